/**
 * `blobsNamedBy` finds every content digest an event names: over random layers and filesystem
 * operations, the digests it returns are exactly those found anywhere in each event's data under a
 * `digest` key, and every one of them is in the blob store.
 */
import { blobsNamedBy } from "@strata/fs";
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
  test("property: names exactly the digests an event holds, and each is in the blob store", () => {
    fc.assert(
      fc.property(genScenario, ([layers, ops]) => {
        const engine = buildModel(layers);
        runOps(engine, ops);
        for (const event of engine.log.read()) {
          const named = blobsNamedBy(event);
          expect(new Set(named), `${event.type} at seq ${event.seq}`).toEqual(digestsIn(event.data));
          expect(named.length).toBe(new Set(named).size);
          for (const d of named) expect(engine.blobs.has(d)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});
