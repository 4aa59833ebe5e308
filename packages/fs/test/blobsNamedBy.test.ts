/**
 * `blobsNamedBy` finds every content digest an event names and does not carry: over random layers and
 * filesystem operations, the digests it returns are exactly those found anywhere in each event's data
 * under a `digest` key, less a content the event carries inline, and every one of them is in the blob
 * store; every write small enough carries its content, and that content is the one it names.
 */
import { INLINE_CONTENT_MAX_BYTES } from "@strata/core";
import { blobsNamedBy, inlineContent } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { genScenario } from "./support/generators.js";
import { buildModel, runOps } from "./support/model.js";

function digestsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) digestsIn(v, found);
  else if (value !== null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      if (k === "digest" && typeof v === "string") found.add(v);
      else digestsIn(v, found);
    }
  return found;
}

describe("blobsNamedBy", () => {
  test("property: names exactly the digests an event holds and does not carry, and each is in the blob store", () => {
    fc.assert(
      fc.property(genScenario, ([layers, ops]) => {
        const engine = buildModel(layers);
        runOps(engine, ops);
        for (const event of engine.log.read()) {
          const named = blobsNamedBy(event);
          const carried = inlineContent(event);
          const held = digestsIn(event.data);
          if (event.type === "fs.fileWritten") {
            const { size, digest } = event.data as { size: number; digest: string };
            expect(carried !== undefined, `seq ${event.seq}: carries its ${size} bytes`).toBe(
              size <= INLINE_CONTENT_MAX_BYTES,
            );
            if (carried) expect(carried.digest).toBe(digest);
          } else expect(carried).toBeUndefined();
          if (carried) held.delete(carried.digest);
          expect(new Set(named), `${event.type} at seq ${event.seq}`).toEqual(held);
          expect(named.length).toBe(new Set(named).size);
          for (const d of named) expect(engine.blobs.has(d)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});
