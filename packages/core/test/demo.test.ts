import { replay, runLifecycleDemo } from "@strata/core";
import { expect, test } from "vitest";

test("the README demo walks the whole lifecycle and leaves a replayable log", () => {
  const lines: string[] = [];
  const engine = runLifecycleDemo((l) => lines.push(l));
  const states = lines.filter((l) => l.includes("→ container web:")).map((l) => l.split(": ")[1]);
  expect(states).toEqual([
    "gone",
    "created",
    "running",
    "running",
    "running",
    "paused",
    "paused",
    "running",
    "running",
    "exited",
    "exited",
    "gone",
  ]);
  expect(lines.join("\n")).toContain(
    "error 409 Conflict: Container web is paused, unpause the container before exec",
  );
  expect(replay(engine.log.read())).toEqual(engine.state);
  // Deterministic: the same demo gives the same log, byte for byte.
  const again = runLifecycleDemo(() => {});
  expect(JSON.stringify(again.log.read())).toBe(JSON.stringify(engine.log.read()));
});
