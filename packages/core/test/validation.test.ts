/**
 * Input from outside is validated at the boundary: a bad event or command is a ValidationError
 * naming its position and the field at fault; a log that cannot be replayed is a ReplayError naming
 * the seq.
 */

import { evolve, parseCommand, parseEvent, ReplayError, replay, ValidationError } from "@strata/core";
import { describe, expect, test } from "vitest";
import { baseImage, Scenario } from "./support/scenario.js";

const cid = "a".repeat(64);
const good = {
  seq: 1,
  streamId: cid,
  schemaVersion: 1,
  recordedAt: 0,
  type: "container.paused",
  data: {},
};

describe("parseEvent", () => {
  test("accepts a well-formed event", () => {
    expect(parseEvent(good, "line 1")).toEqual(good);
  });

  const bad: [string, unknown, string, RegExp][] = [
    ["a missing seq", { ...good, seq: undefined }, "seq", /number/i],
    ["a negative seq", { ...good, seq: -3 }, "seq", /.+/],
    ["an unknown type", { ...good, type: "container.exploded" }, "type", /unknown event type/],
    ["a future schema version", { ...good, schemaVersion: 2 }, "schemaVersion", /must be 1/],
    [
      "a wrong field type",
      { ...good, type: "process.exited", data: { pid: 2, exitCode: "x", signal: null } },
      "data.exitCode",
      /number/i,
    ],
    [
      "an exit code above 255",
      { ...good, type: "process.exited", data: { pid: 2, exitCode: 300, signal: null } },
      "data.exitCode",
      /.+/,
    ],
    ["an unknown extra field", { ...good, data: { extra: 1 } }, "data.extra", /.+/],
    [
      "an unknown signal",
      {
        ...good,
        type: "container.signalled",
        data: { pid: 1, signal: "SIGFOO", cancelsRestartPolicy: false },
      },
      "data.signal",
      /known signal/,
    ],
    ["an image event on a container stream", { ...good, type: "image.deleted" }, "streamId", /image id/],
  ];
  for (const [what, input, field, message] of bad) {
    test(`rejects ${what}, naming the position and ${field}`, () => {
      try {
        parseEvent(input, "line 7");
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        const err = e as ValidationError;
        expect(err.position).toBe("line 7");
        expect(err.issues[0]?.field).toBe(field);
        expect(err.issues[0]?.message).toMatch(message);
        expect(err.message).toContain("line 7");
      }
    });
  }

  test("layer and fs events validate with their own stream kinds", () => {
    const layerId = `sha256:${"b".repeat(64)}`;
    const layer = {
      seq: 1,
      streamId: layerId,
      schemaVersion: 1,
      recordedAt: 0,
      type: "layer.created",
      data: { layerId, entries: [{ type: "whiteout", path: "/x" }] },
    };
    expect(parseEvent(layer, "line 1")).toEqual(layer);
    expect(() => parseEvent({ ...layer, streamId: cid }, "line 2")).toThrow(/streamId must be a layer id/);
    const fs = { ...good, type: "fs.removed", data: { path: "/etc/motd" } };
    expect(parseEvent(fs, "line 3")).toEqual(fs);
    expect(() => parseEvent({ ...fs, data: { path: "etc/../x" } }, "line 4")).toThrow(/data.path/);
  });

  test("a container.created whose stream is not its own id is refused", () => {
    const s = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    const created = s.engine.log.read().find((e) => e.type === "container.created");
    expect(() => parseEvent({ ...created, streamId: cid }, "seq 3")).toThrow(
      /streamId.*must equal the id it creates/,
    );
  });
});

describe("parseCommand", () => {
  test("names the field at fault", () => {
    expect(() =>
      parseCommand({ type: "container.stop", container: "web", timeout: "soon" }, "line 3"),
    ).toThrow(/invalid command at line 3: field timeout/);
    expect(() => parseCommand({ type: "container.teleport" }, "line 4")).toThrow(
      /line 4: field type unknown command type/,
    );
    expect(parseCommand({ type: "container.start", container: "web" }, "line 5")).toEqual({
      type: "container.start",
      container: "web",
    });
  });
});

describe("replay", () => {
  const scenario = () =>
    new Scenario().given(
      baseImage,
      { type: "container.create", image: "base:1", name: "web" },
      { type: "container.start", container: "web" },
      { type: "container.pause", container: "web" },
    );

  test("an event out of order is a ReplayError naming its seq", () => {
    const events = scenario().engine.log.read();
    const shuffled = [events[0], events[2], events[1]].filter((e) => e !== undefined);
    expect(() => replay(shuffled)).toThrow(ReplayError);
    expect(() => replay(shuffled)).toThrow(/event seq 3: expected seq 2 after 1/);
  });

  test("an event the lifecycle does not accept is a ReplayError naming seq, type and state", () => {
    const events = scenario().engine.log.read();
    const forged = {
      ...good,
      seq: events.length + 1,
      streamId: events.find((e) => e.type === "container.created")?.streamId ?? "",
      type: "container.started",
      data: { pid: 1, manual: true },
    };
    expect(() => replay([...events, parseEvent(forged, "forged")])).toThrow(
      new RegExp(
        `event seq ${events.length + 1}: container.started is not accepted for container [0-9a-f]{64} in state paused`,
      ),
    );
  });

  test("evolve never mutates its input, and the state is frozen", () => {
    const s = scenario();
    const before = s.state;
    const copy = structuredClone(before);
    s.given({ type: "container.unpause", container: "web" }, { type: "container.kill", container: "web" });
    expect(before).toEqual(copy);
    expect(Object.isFrozen(s.state)).toBe(true);
    expect(Object.isFrozen(Object.values(s.state.containers)[0]?.context)).toBe(true);
    expect(() => evolve(before, parseEvent({ ...good, seq: 1 }, "test"))).toThrow(ReplayError);
  });

  test("a log survives a JSON round trip and replays to the same state", () => {
    const s = scenario();
    const lines = s.engine.log.read().map((e) => JSON.stringify(e));
    const parsed = lines.map((line, i) => parseEvent(JSON.parse(line), `line ${i + 1}`));
    expect(replay(parsed)).toEqual(s.state);
  });
});
