/**
 * The workloads the measures share, each generated from a fixed seed: images of N files over L layers,
 * and a container's history of file writes.
 */
import { sequentialIds, simulatedClock } from "@strata/core";
import { type BlobStore, createFsEngine, type FsEngine, type FsEngineOptions } from "@strata/fs";
import { seededRandom } from "./seededRandom.js";

export const layerId = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

/** The path of file `i` of an image: directories of 1,000 files. */
export const filePath = (i: number) => `/d${Math.floor(i / 1000)}/f${i}`;

/**
 * An engine holding image `scale:1`: `files` files (`filePath(i)`) spread evenly over `layers` layers.
 * `content(i)` gives file i's bytes (default: one shared 1-byte blob).
 */
export function imageEngine(
  files: number,
  layers: number,
  options: {
    blobs?: BlobStore;
    content?: (i: number) => Buffer;
    /** Names the images it makes by their content, as the durable engine does (oci's `imageNamer`). */
    namer?: FsEngineOptions["namer"];
  } = {},
): FsEngine {
  const e = createFsEngine({
    clock: simulatedClock(),
    ids: sequentialIds(`bench-${files}-${layers}`),
    ...(options.blobs ? { blobs: options.blobs } : {}),
    ...(options.namer ? { namer: options.namer } : {}),
  });
  const shared = options.content ? null : e.putBlob("x");
  const perLayer = Math.ceil(files / layers);
  const ids: string[] = [];
  for (let l = 0; l < layers; l++) {
    const entries = [];
    const dirs = new Set<string>();
    for (let i = l * perLayer; i < Math.min(files, (l + 1) * perLayer); i++) {
      const dir = `/d${Math.floor(i / 1000)}`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ type: "dir" as const, path: dir, mode: 0o755, uid: 0, gid: 0, mtime: 0 });
      }
      const bytes = options.content?.(i);
      entries.push({
        type: "file" as const,
        path: filePath(i),
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        digest: bytes ? e.putBlob(bytes) : (shared as string),
        size: bytes ? bytes.length : 1,
      });
    }
    const r = e.execute({ type: "layer.create", layerId: layerId(l + 1), entries });
    if (!r.ok) throw r.error;
    ids.push(layerId(l + 1));
  }
  const r = e.execute({
    type: "image.create",
    layers: ids.map((id, i) => ({ id, parent: ids[i - 1] ?? null })),
    tags: ["scale:1"],
  });
  if (!r.ok) throw r.error;
  return e;
}

/**
 * An engine whose log holds a 2,000-file image, one running container, and `writes` file writes into
 * it (seeded: 2,000 distinct paths, small random contents). `blobs` keeps the contents there (default:
 * in memory); `contents` draws them from that many distinct ones (default: each write its own), so a
 * long history on a disk blob store does not write a file per event.
 */
export function writeHistory(
  writes: number,
  options: { seed?: number; blobs?: BlobStore; contents?: number } = {},
): FsEngine {
  const e = imageEngine(2_000, 1, options.blobs ? { blobs: options.blobs } : {});
  const random = seededRandom(options.seed ?? 1);
  const pool = options.contents ? Array.from({ length: options.contents }, (_, i) => `content ${i}\n`) : null;
  const created = e.execute({ type: "container.create", image: "scale:1", name: "app" });
  if (!created.ok) throw created.error;
  e.execute({ type: "container.start", container: "app" });
  for (let i = 0; i < writes; i++) {
    const file = random.int(2_000);
    const w = e.execute({
      type: "fs.writeFile",
      container: "app",
      path: `/d${file % 2 === 0 ? 0 : 1}/w${file}`,
      content: pool
        ? (pool[random.int(pool.length)] as string)
        : random.bytes(16 + random.int(64)).toString("base64"),
    });
    if (!w.ok) throw w.error;
  }
  return e;
}
