/**
 * The local store in front of the remote one: `sync` sends what was put in groups of about
 * `groupBytes`, reading each blob from the local store only when its group is sent (a large import
 * never holds every blob in memory), and a blob sent is never sent again.
 */
import { ReplicatedBlobStore } from "@strata/engine";
import { type BlobStore, MemoryBlobStore, sha256Digest } from "@strata/fs";
import type { RemoteBlobStore } from "@strata/store";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

/** A remote in memory that records each group put, and how many local reads had happened by then. */
class RecordingRemote implements RemoteBlobStore {
  readonly blobs = new Map<string, Uint8Array>();
  readonly groups: { digests: string[]; bytes: number[]; readsBefore: number }[] = [];
  constructor(readonly reads: () => number) {}

  async put(blobs: readonly { readonly digest: string; readonly bytes: Uint8Array }[]): Promise<void> {
    this.groups.push({
      digests: blobs.map((b) => b.digest),
      bytes: blobs.map((b) => b.bytes.length),
      readsBefore: this.reads(),
    });
    for (const b of blobs) this.blobs.set(b.digest, b.bytes);
  }

  async has(digests: readonly string[]): Promise<Set<string>> {
    return new Set(digests.filter((d) => this.blobs.has(d)));
  }

  async get(digest: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(digest);
  }
}

/** A memory store that counts the reads of whole blobs. */
function countingLocal(): { local: BlobStore; reads: () => number } {
  const store = new MemoryBlobStore();
  let reads = 0;
  const local: BlobStore = {
    put: (bytes) => store.put(bytes),
    get: (digest) => {
      reads += 1;
      return store.get(digest);
    },
    has: (digest) => store.has(digest),
  };
  return { local, reads: () => reads };
}

/** Distinct contents of the given sizes (the index makes each one unique). */
const contents = (sizes: readonly number[]) =>
  sizes.map((size, i) => {
    const bytes = new Uint8Array(size + 4);
    new DataView(bytes.buffer).setUint32(0, i);
    return bytes;
  });

describe("ReplicatedBlobStore.sync", () => {
  test("sends every blob once, in groups under the limit (but for their last blob), each read only when its group is sent", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8_000 }),
        async (sizes, groupBytes) => {
          const { local, reads } = countingLocal();
          const remote = new RecordingRemote(reads);
          const store = new ReplicatedBlobStore(remote, local, { groupBytes });
          const all = contents(sizes);
          const digests = all.map((b) => store.put(b));
          await store.sync();
          // Everything is on the remote, each blob in one group only.
          const sent = remote.groups.flatMap((g) => g.digests);
          expect(new Set(sent).size).toBe(sent.length);
          expect(new Set(sent)).toEqual(new Set(digests));
          for (const digest of digests)
            expect(sha256Digest(remote.blobs.get(digest) as Uint8Array)).toBe(digest);
          let readSoFar = 0;
          for (const g of remote.groups) {
            // Below the limit until its last blob.
            const total = g.bytes.reduce((a, b) => a + b, 0);
            expect(total - (g.bytes.at(-1) as number)).toBeLessThan(groupBytes);
            // Read from the local store just before it was sent: nothing read ahead.
            readSoFar += g.digests.length;
            expect(g.readsBefore).toBe(readSoFar);
          }
          // Nothing is left to send.
          const before = remote.groups.length;
          await store.sync();
          expect(remote.groups.length).toBe(before);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("a remote that fails part-way: the groups sent are not sent again, the rest are on the next sync", async () => {
    const { local, reads } = countingLocal();
    const remote = new RecordingRemote(reads);
    const store = new ReplicatedBlobStore(remote, local, { groupBytes: 100 });
    const digests = contents([60, 60, 60, 60]).map((b) => store.put(b));
    const put = remote.put.bind(remote);
    let calls = 0;
    remote.put = async (blobs) => {
      calls += 1;
      if (calls === 2) throw new Error("the remote is down");
      return put(blobs);
    };
    await expect(store.sync()).rejects.toThrow("the remote is down");
    expect(remote.groups.map((g) => g.digests)).toEqual([digests.slice(0, 2)]);
    await store.sync();
    expect(remote.groups.map((g) => g.digests)).toEqual([digests.slice(0, 2), digests.slice(2, 4)]);
  });
});
