/**
 * The disk blob store: durable before named (a blob gets its name only once its bytes are synced),
 * never serves bytes that no longer match their digest, creates nothing until it writes, and cleans up
 * after a writer that died before syncing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BlobError, DiskBlobStore, sha256Digest } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-blobs-");
const named = (dir: string) =>
  existsSync(join(dir, "sha256")) ? readdirSync(join(dir, "sha256")).filter((f) => !f.startsWith(".")) : [];

async function* chunks(bytes: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe("DiskBlobStore", () => {
  test("property: what is put is read back exactly, before and after sync, by this store and (after sync) by another", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 80 }),
        async (blobs) => {
          const dir = tmp();
          const store = new DiskBlobStore(dir);
          const digests = [];
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
          // Nothing has a name before sync: another process sees none of them yet.
          expect(named(dir)).toEqual([]);
          await store.sync();
          const other = new DiskBlobStore(dir);
          for (const [i, b] of blobs.entries()) {
            expect(other.has(digests[i] as string)).toBe(true);
            const streamed = await collect(
              other.openStream(digests[i] as string) as AsyncIterable<Uint8Array>,
            );
            expect(streamed.equals(Buffer.from(b))).toBe(true);
          }
          expect(readdirSync(join(dir, "sha256")).filter((f) => f.startsWith("."))).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("many blobs are synced at once (one syncfs), then named", async () => {
    const dir = tmp();
    const store = new DiskBlobStore(dir);
    for (let i = 0; i < 300; i++) store.put(Buffer.from(`blob ${i}`));
    await store.sync();
    expect(named(dir)).toHaveLength(300);
  });

  test("bytes changed on disk are refused, whole or streamed, with a typed error naming the blob", async () => {
    const dir = tmp();
    const store = new DiskBlobStore(dir);
    const digest = store.put(Buffer.from("the original content\n"));
    const big = Buffer.alloc(200_000, 7);
    const bigDigest = store.put(big);
    await store.sync();
    const path = join(dir, "sha256", digest.slice(7));
    writeFileSync(path, "the altered  content\n");
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
    expect(error).toMatchObject({ reason: "blob-corrupt", digest, path });
    await expect(collect(reader.openStream(bigDigest) as AsyncIterable<Uint8Array>)).rejects.toMatchObject({
      reason: "blob-corrupt",
      digest: bigDigest,
    });
  });

  test("a store that only reads creates nothing on disk", () => {
    const dir = join(tmp(), "not-yet");
    const store = new DiskBlobStore(dir);
    expect(store.has(sha256Digest(Buffer.from("x")))).toBe(false);
    expect(store.get(sha256Digest(Buffer.from("x")))).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
  });

  test("blobs a writer put but never synced (it died) are removed by the next writer; synced ones stay", async () => {
    const dir = tmp();
    const script = `
      const { DiskBlobStore } = await import(${JSON.stringify(new URL("../dist/index.js", import.meta.url).pathname)});
      const s = new DiskBlobStore(${JSON.stringify(dir)});
      s.put(Buffer.from("kept")); await s.sync();
      s.put(Buffer.from("never synced"));
      process.kill(process.pid, "SIGKILL");`;
    spawnSync(process.execPath, ["--input-type=module", "-e", script]);
    const pending = () => readdirSync(join(dir, "sha256")).filter((f) => f.startsWith(".pending-"));
    const dead = pending();
    expect(dead).toHaveLength(1);
    const store = new DiskBlobStore(dir);
    store.put(Buffer.from("next"));
    const now = pending();
    expect(now).toHaveLength(1);
    expect(now).not.toContain(dead[0]);
    expect(readFileSync(join(dir, "sha256", sha256Digest(Buffer.from("kept")).slice(7)), "utf8")).toBe(
      "kept",
    );
  });

  test("discard drops blobs not yet synced (temporary files and all) and leaves synced ones", async () => {
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
          const fresh = [];
          for (const [i, b] of blobs.entries()) {
            if (i < synced.length) continue;
            const r =
              i % 2 === 0 ? { digest: store.put(b) } : await store.putStream(chunks(Buffer.from(b), 300));
            fresh.push(r.digest);
          }
          // putStream says whether the bytes were new.
          if (synced.length > 0)
            expect((await store.putStream(chunks(Buffer.from(synced[0] as Uint8Array), 300))).created).toBe(
              false,
            );
          expect([...store.pending].sort()).toEqual([...fresh].sort());
          store.discard([...fresh, ...synced.map((b) => sha256Digest(b))]);
          expect(store.pending.size).toBe(0);
          expect(readdirSync(join(dir, "sha256")).filter((f) => f.startsWith("."))).toEqual([]);
          for (const d of fresh) expect(store.has(d)).toBe(false);
          for (const b of synced)
            expect(Buffer.from(store.get(sha256Digest(b)) ?? [])).toEqual(Buffer.from(b));
          await store.sync();
          expect(named(dir).sort()).toEqual(synced.map((b) => sha256Digest(b).slice(7)).sort());
        },
      ),
      { numRuns: 100 },
    );
  });
});
