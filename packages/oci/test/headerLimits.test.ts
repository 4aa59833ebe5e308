/**
 * Extended headers and extended attributes against the import's limits (issue 18 audit, item 1): a
 * 1.6 MB layout of PAX `SCHILY.xattr.*` records grew an in-memory engine to 2 GB, and through the CLI
 * ended in a store error ("event … over 64 MiB") instead of a typed refusal. Each case runs through
 * every import path; the memory it takes is measured by bomb.test.ts.
 */
import { DEFAULT_LIMITS, importImage, MAX_LAYER_EVENT_BYTES, OciError, XATTR_SIZE_MAX } from "@strata/oci";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { file, type RawEntry, rawTar, type TestLayer } from "./support/images.js";
import { freshEngine, IMPORT_PATHS, importVia, refusedVia } from "./support/importVia.js";

const tmp = tempDirs("strata-oci-headers-");
const layer = (entries: readonly RawEntry[]): TestLayer => ({ tar: rawTar(entries), gzip: true });
const xattr = (name: string, bytes: number) => [`SCHILY.xattr.${name}`, Buffer.alloc(bytes, 0x61)] as const;

describe("extended attributes and extended headers are counted against the import's limits", () => {
  for (const path of IMPORT_PATHS) {
    test(`${path}: a value over 64 KiB (XATTR_SIZE_MAX) is refused, naming the layer and the entry; 64 KiB is kept`, async () => {
      const e = await refusedVia(
        path,
        [
          layer([
            file("ok", "x", { pax: [xattr("user.a", 10)] }),
            file("big", "x", { pax: [xattr("user.a", 65_537)] }),
          ]),
        ],
        tmp(),
        { code: "InvalidEntry", layerIndex: 0, entry: { index: 1, name: "big" } },
      );
      expect(e.message).toContain(
        `user.a holds 65537 bytes, more than Linux holds in one (${XATTR_SIZE_MAX}`,
      );
      const engine = freshEngine();
      await importVia(
        engine,
        path,
        [layer([file("max", "x", { pax: [xattr("user.a", XATTR_SIZE_MAX)] })])],
        tmp(),
      );
      expect(engine.view("t:1").getxattr("/max", "user.a").length).toBe(XATTR_SIZE_MAX);
    });

    test(`${path}: the extended headers one entry carries add up (a global one and its own) against maxEntryHeaderBytes`, async () => {
      const comment = (n: number) => ["comment", Buffer.alloc(n, 0x63)] as const;
      const e = await refusedVia(
        path,
        [layer([file("f", "x", { globalPax: [comment(600_000)], pax: [comment(600_000)] })])],
        tmp(),
        { code: "TooLarge", layerIndex: 0, entry: { index: 0, name: "(the first entry)" } },
      );
      expect(e.message).toMatch(/more than 1048576 \(the limit, maxEntryHeaderBytes\)$/);
      // Each alone fits.
      const engine = freshEngine();
      await importVia(engine, path, [layer([file("f", "x", { globalPax: [comment(600_000)] })])], tmp());
      expect(engine.view("t:1").readdir("/")).toEqual(["f"]);
    });

    test(`${path}: global records count for every entry after them against maxHeaderBytes`, async () => {
      // One global record of 40,027 bytes: every entry carries it (and its xattr).
      const global = [xattr("user.g", 40_000)];
      const entries = Array.from({ length: 10 }, (_, i) =>
        file(`f${i}`, "x", i === 0 ? { globalPax: global } : {}),
      );
      const e = await refusedVia(
        path,
        [layer(entries)],
        tmp(),
        {
          code: "TooLarge",
          layerIndex: 0,
          entry: { index: 4, name: "f4" }, // 5 × 40,027 > 200,000
        },
        { maxHeaderBytes: 200_000 },
      );
      expect(e.message).toContain("more than 200000 bytes of extended headers");
      const engine = freshEngine();
      await importVia(engine, path, [layer(entries)], tmp());
      expect(engine.view("t:1").getxattr("/f9", "user.g").length).toBe(40_000);
    });

    test(`${path}: a layer whose event the log could not hold is refused as it is read, before anything is appended`, async () => {
      // Each entry is at least 25 + 3 ("/f0") + 71 (digest) + 6 ("user.a") + 5,336 (base64) = 5,441 bytes.
      const entries = Array.from({ length: 30 }, (_, i) =>
        file(`f${i}`, "x", { pax: [xattr("user.a", 4000)] }),
      );
      const e = await refusedVia(
        path,
        [layer(entries)],
        tmp(),
        {
          code: "TooLarge",
          layerIndex: 0,
          entry: { index: 9, name: "f9" }, // 10 × 5,441 > 50,000
        },
        { maxLayerEventBytes: 50_000 },
      );
      expect(e.message).toContain("more than 50000 bytes, more than the log holds in one event");
    });

    test(`${path}: the whole event is checked exactly before it is appended (names of 4-byte characters)`, async () => {
      const entries = (n: number) => Array.from({ length: n }, (_, i) => file(`${"😀".repeat(50)}${i}`, ""));
      // 60 entries: at least 12 KB counted as read, 23 KB as JSON in UTF-8.
      const e = await refusedVia(
        path,
        [layer(entries(60))],
        tmp(),
        {
          code: "TooLarge",
          layerIndex: 0,
          entry: null,
        },
        { maxLayerEventBytes: 20_000 },
      );
      expect(e.message).toMatch(
        /its 60 entries make an event .* of 2\d{4} bytes, more than the log holds in one event \(20000 bytes/,
      );
      const engine = freshEngine();
      await importVia(engine, path, [layer(entries(40))], tmp(), { maxLayerEventBytes: 20_000 });
      expect(engine.view("t:1").readdir("/")).toHaveLength(40);
    });
  }

  test("the defaults, and no limit on a layer's event above what the event log holds", async () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      maxEntryHeaderBytes: 1024 ** 2,
      maxHeaderBytes: 128 * 1024 ** 2,
      maxLayerEventBytes: MAX_LAYER_EVENT_BYTES,
    });
    const error = await importImage(freshEngine(), tmp(), {
      maxLayerEventBytes: MAX_LAYER_EVENT_BYTES + 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).not.toBeInstanceOf(OciError);
    expect((error as Error).message).toContain("what the event log holds in one event");
  });
});
