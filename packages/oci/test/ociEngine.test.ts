/**
 * The OCI functions take `OciEngine`, not `FsEngine`: an engine whose `execute` answers with a Promise
 * (a durable engine appends before it answers) imports and exports the same, every call awaited.
 */
import { join } from "node:path";
import { type Command, type CommandResult, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine } from "@strata/fs";
import { exportImage, importImage, type OciEngine } from "@strata/oci";
import { expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { dir, file, rawTar, writeLayout } from "./support/images.js";

const tmp = tempDirs("strata-oci-engine-");

test("an engine whose execute returns a Promise imports and exports like FsEngine", async () => {
  const inner = createFsEngine({ clock: simulatedClock(1_700_000_000_000), ids: sequentialIds("a") });
  const executed: string[] = [];
  const engine: OciEngine = {
    get state() {
      return inner.state;
    },
    get projected() {
      return inner.projected;
    },
    blobs: inner.blobs,
    clock: inner.clock,
    execute: (command: Command) =>
      new Promise<CommandResult>((resolve) =>
        setImmediate(() => {
          executed.push(command.type);
          resolve(inner.execute(command));
        }),
      ),
  };
  const layout = join(tmp(), "in");
  writeLayout(layout, [{ layers: [{ tar: rawTar([dir("etc/"), file("etc/motd", "hi\n")]) }], refName: "t" }]);
  const r = await importImage(engine, layout, { tag: "async:1" });
  expect(executed).toEqual(["layer.create", "image.create"]);
  expect(Buffer.from(inner.view("async:1").readFile("/etc/motd")).toString()).toBe("hi\n");
  const out = await exportImage(engine, "async:1", join(tmp(), "out"));
  expect(out.layers).toHaveLength(r.layerIds.length);
  // The layers as they came, the config as it was loaded: the same image, the same id.
  expect(out.layers.map((l) => l.diffId)).toEqual(r.layerIds);
  expect(out.config.digest).toBe(r.imageId);
});
