/**
 * The disk blob store: durable before named (a packed blob gets its index record, a file its name, only
 * once its bytes are synced), never serves bytes that no longer match their digest, creates nothing
 * until it writes, and cleans up after a writer that died before syncing: a crash never leaves a blob
 * named whose bytes are not whole.
 */
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { BlobError, DiskBlobStore, sha256Digest } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-blobs-");
const RECORD = 64;

/** The blob files (`sha256/<hex>`) with a name. */
const files = (dir: string) =>
  existsSync(join(dir, "sha256")) ? readdirSync(join(dir, "sha256")).filter((f) => !f.startsWith(".")) : [];
/** Temporary files (not named yet) in `sha256/`. */
const temporary = (dir: string) =>
  existsSync(join(dir, "sha256")) ? readdirSync(join(dir, "sha256")).filter((f) => f.startsWith(".")) : [];
/** The packs' directories. */
const packs = (dir: string) =>
  existsSync(join(dir, "packs")) ? readdirSync(join(dir, "packs")).map((p) => join(dir, "packs", p)) : [];
/** The hex digests the packs' indexes name (whole records with the magic; the CRC is the store's to check). */
const packRecords = (dir: string) =>
  packs(dir).flatMap((p) => {
    const index = readFileSync(join(p, "index"));
    const out: string[] = [];
    for (let at = 0; at + RECORD <= index.length; at += RECORD)
      if (index.toString("latin1", at, at + 4) === "SBP1") out.push(index.toString("hex", at + 4, at + 36));
    return out;
  });
/** Every blob named on disk, files and packed (what another process finds). */
const named = (dir: string) => [...files(dir), ...packRecords(dir)].sort();

async function* chunks(bytes: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(r.stdout.toString());
}

describe("DiskBlobStore", () => {
  test("property: what is put is read back exactly, before and after sync, by this store and (after sync) by another", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 80 }),
        async (blobs) => {
          const dir = tmp();
          const store = new DiskBlobStore(dir);
          // A reader that looked before anything was named: it must find what is named later.
          const early = new DiskBlobStore(dir);
          expect(early.has(sha256Digest(Buffer.from("nothing")))).toBe(false);
          const digests: string[] = [];
          for (const [i, b] of blobs.entries())
            digests.push(
              i % 2 === 0 ? store.put(b) : (await store.putStream(chunks(Buffer.from(b), 700))).digest,
            );
          for (const [i, b] of blobs.entries()) {
            expect(digests[i]).toBe(sha256Digest(b));
            expect(Buffer.from(store.get(digests[i] as string) as Uint8Array).equals(Buffer.from(b))).toBe(
              true,
            );
          }
          // Many at once: the same bytes as one by one; a digest the store lacks is left out.
          const missing = sha256Digest(Buffer.from("never put"));
          const many = (s: DiskBlobStore) => {
            const got = s.getMany([...digests, missing]);
            expect(got.has(missing)).toBe(false);
            for (const [i, b] of blobs.entries())
              expect(Buffer.from(got.get(digests[i] as string) as Uint8Array).equals(Buffer.from(b))).toBe(
                true,
              );
          };
          many(store);
          // Nothing has a name before sync: another process sees none of them yet.
          expect(named(dir)).toEqual([]);
          await store.sync();
          const other = new DiskBlobStore(dir);
          for (const [i, b] of blobs.entries()) {
            const digest = digests[i] as string;
            expect(other.has(digest)).toBe(true);
            expect(Buffer.from(early.get(digest) as Uint8Array).equals(Buffer.from(b))).toBe(true);
            const streamed = await collect(other.openStream(digest) as AsyncIterable<Uint8Array>);
            expect(streamed.equals(Buffer.from(b))).toBe(true);
          }
          many(new DiskBlobStore(dir));
          many(store);
          expect(named(dir)).toEqual([...new Set(digests.map((d) => d.slice(7)))].sort());
          expect(temporary(dir)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("many small blobs go into one pack, synced and named at once; streams are files", async () => {
    const dir = tmp();
    const store = new DiskBlobStore(dir);
    for (let i = 0; i < 300; i++) store.put(Buffer.from(`blob ${i}`));
    for (let i = 0; i < 70; i++) await store.putStream(chunks(Buffer.from(`stream ${i}`), 4));
    await store.sync();
    expect(packs(dir)).toHaveLength(1);
    expect(packRecords(dir)).toHaveLength(300);
    expect(files(dir)).toHaveLength(70);
    expect(statSync(join(packs(dir)[0] as string, "data")).size).toBe(
      Array.from({ length: 300 }, (_, i) => `blob ${i}`.length).reduce((a, b) => a + b),
    );
  });

  test("bytes changed on disk are refused, whole or streamed, packed or in a file, with a typed error naming the blob", async () => {
    const dir = tmp();
    const store = new DiskBlobStore(dir);
    const original = Buffer.from("the original content\n");
    const digest = store.put(original);
    const big = Buffer.alloc(200_000, 7);
    const bigDigest = (await store.putStream(chunks(big, 65_536))).digest;
    await store.sync();
    const data = join(packs(dir)[0] as string, "data");
    const bytes = readFileSync(data);
    bytes.set(Buffer.from("the altered  content\n"), bytes.indexOf(original));
    writeFileSync(data, bytes);
    const bigPath = join(dir, "sha256", bigDigest.slice(7));
    const altered = Buffer.from(big);
    altered[150_000] = 8;
    writeFileSync(bigPath, altered);
    const reader = new DiskBlobStore(dir);
    const error = (() => {
      try {
        reader.get(digest);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BlobError);
    expect(error).toMatchObject({ reason: "blob-corrupt", digest, path: data });
    expect(() => reader.getMany([bigDigest, digest])).toThrow(
      expect.objectContaining({ reason: "blob-corrupt", digest }),
    );
    for (const d of [digest, bigDigest])
      await expect(collect(reader.openStream(d) as AsyncIterable<Uint8Array>)).rejects.toMatchObject({
        reason: "blob-corrupt",
        digest: d,
      });
  });

  test("a store that only reads creates nothing on disk", () => {
    const dir = join(tmp(), "not-yet");
    const store = new DiskBlobStore(dir);
    expect(store.has(sha256Digest(Buffer.from("x")))).toBe(false);
    expect(store.get(sha256Digest(Buffer.from("x")))).toBeUndefined();
    expect(store.openStream(sha256Digest(Buffer.from("x")))).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
  });

  test("what a writer put but never synced (it died) is cut off by the next writer, which takes its pack over; synced blobs stay", async () => {
    const dir = tmp();
    const script = `
      const { DiskBlobStore } = await import(${JSON.stringify(new URL("../dist/index.js", import.meta.url).pathname)});
      const s = new DiskBlobStore(${JSON.stringify(dir)});
      s.put(Buffer.from("kept")); await s.sync();
      // Two blobs of 600 KB: the first is written to the pack when the second is put (bytes are
      // gathered into writes of about 1 MiB).
      s.put(Buffer.alloc(600000, 1)); s.put(Buffer.alloc(600000, 2));
      async function* one() { yield Buffer.from("never synced either"); }
      await s.putStream(one());
      process.kill(process.pid, "SIGKILL");`;
    spawnSync(process.execPath, ["--input-type=module", "-e", script]);
    const [pack] = packs(dir) as [string];
    expect(statSync(join(pack, "data")).size).toBe(4 + 600_000);
    expect(temporary(dir)).toHaveLength(1);
    const store = new DiskBlobStore(dir);
    store.put(Buffer.from("next"));
    await store.putStream(chunks(Buffer.from("next stream"), 4));
    // The dead writer's temporary file is gone (this one's is there until sync).
    expect(temporary(dir)).toHaveLength(1);
    expect(temporary(dir)[0]).toMatch(new RegExp(`^\\.pending-${process.pid}-`));
    await store.sync();
    // The dead writer's pack, now this process's: its unnamed tail is gone.
    const [taken] = packs(dir) as [string];
    expect(taken).not.toBe(pack);
    expect(basename(taken).startsWith(`${process.pid}-`)).toBe(true);
    expect(readFileSync(join(taken, "data"), "latin1")).toBe("keptnext");
    expect(temporary(dir)).toEqual([]);
    const reader = new DiskBlobStore(dir);
    expect(Buffer.from(reader.get(sha256Digest(Buffer.from("kept"))) ?? []).toString()).toBe("kept");
    expect(reader.has(sha256Digest(Buffer.alloc(600_000, 1)))).toBe(false);
    expect(reader.has(sha256Digest(Buffer.from("never synced either")))).toBe(false);
  });

  test("property: a crash never leaves a blob named whose bytes are not whole, and the next writer cuts the tails off", async () => {
    const dead = deadPid();
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 3000 }), {
          minLength: 1,
          maxLength: 30,
          selector: (b) => Buffer.from(b).toString("hex"),
        }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.uint8Array({ maxLength: 200 }),
        async (blobs, syncedCut, indexCut, dataCut, garbage) => {
          const dir = tmp();
          const store = new DiskBlobStore(dir);
          const synced = blobs.slice(0, syncedCut % (blobs.length + 1));
          for (const b of synced) store.put(b);
          await store.sync();
          for (const b of blobs.slice(synced.length)) store.put(b);
          // The crash: the index keeps any prefix of what was written, then maybe garbage (a page that
          // was being written); the data keeps at least what the surviving records name.
          const [pack] = packs(dir) as [string];
          const index = join(pack, "index");
          const data = join(pack, "data");
          const indexSize = statSync(index).size;
          const keptIndex = indexSize === 0 ? 0 : indexCut % (indexSize + 1);
          truncateSync(index, keptIndex);
          appendFileSync(index, garbage);
          const whole = Math.floor(keptIndex / RECORD);
          const survivors = synced.slice(0, whole);
          const namedEnd = survivors.reduce((n, b) => n + b.length, 0);
          const dataSize = statSync(data).size;
          truncateSync(data, namedEnd + (dataCut % (dataSize - namedEnd + 1)));
          const crashed = join(dir, "packs", `${dead}-00`);
          renameSync(pack, crashed);
          const reader = new DiskBlobStore(dir);
          for (const [i, b] of blobs.entries()) {
            const d = sha256Digest(b);
            const survived = i < whole;
            expect(reader.has(d)).toBe(survived);
            if (survived) expect(Buffer.from(reader.get(d) ?? [])).toEqual(Buffer.from(b));
          }
          // The next writer takes the pack over and cuts both tails off.
          const writer = new DiskBlobStore(dir);
          writer.put(Buffer.from("after the crash"));
          await writer.sync();
          const [taken] = packs(dir) as [string];
          expect(packs(dir)).toHaveLength(1);
          expect(statSync(join(taken, "index")).size).toBe((whole + 1) * RECORD);
          expect(statSync(join(taken, "data")).size).toBe(namedEnd + "after the crash".length);
          const after = new DiskBlobStore(dir);
          for (const b of survivors)
            expect(Buffer.from(after.get(sha256Digest(b)) ?? [])).toEqual(Buffer.from(b));
          expect(Buffer.from(after.get(sha256Digest(Buffer.from("after the crash"))) ?? []).toString()).toBe(
            "after the crash",
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  test("discard drops blobs not yet synced (their files, and their bytes from the pack) and leaves synced ones", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 2000 }), {
          minLength: 1,
          maxLength: 12,
          selector: (b) => Buffer.from(b).toString("hex"),
        }),
        fc.nat(),
        async (blobs, cut) => {
          const dir = tmp();
          const store = new DiskBlobStore(dir);
          const synced = blobs.slice(0, cut % (blobs.length + 1));
          for (const b of synced) store.put(b);
          await store.sync();
          const fresh: string[] = [];
          for (const [i, b] of blobs.entries()) {
            if (i < synced.length) continue;
            const r =
              i % 2 === 0 ? { digest: store.put(b) } : await store.putStream(chunks(Buffer.from(b), 300));
            fresh.push(r.digest);
          }
          // putStream and add say whether the bytes were new.
          if (synced.length > 0) {
            expect((await store.putStream(chunks(Buffer.from(synced[0] as Uint8Array), 300))).created).toBe(
              false,
            );
            expect(store.add(synced[0] as Uint8Array).created).toBe(false);
          }
          expect([...store.pending].sort()).toEqual([...fresh].sort());
          store.discard([...fresh, ...synced.map((b) => sha256Digest(b))]);
          expect(store.pending.size).toBe(0);
          expect(temporary(dir)).toEqual([]);
          for (const d of fresh) expect(store.has(d)).toBe(false);
          for (const b of synced)
            expect(Buffer.from(store.get(sha256Digest(b)) ?? [])).toEqual(Buffer.from(b));
          // Nothing of the discarded blobs stays on disk: no pack at all if nothing was ever named.
          const packBytes = packs(dir).reduce((n, p) => n + statSync(join(p, "data")).size, 0);
          expect(packBytes).toBe(synced.reduce((n, b) => n + b.length, 0));
          if (synced.length === 0) expect(packs(dir)).toEqual([]);
          await store.sync();
          expect(named(dir)).toEqual(synced.map((b) => sha256Digest(b).slice(7)).sort());
        },
      ),
      { numRuns: 100 },
    );
  });
});
