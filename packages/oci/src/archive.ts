/**
 * Images as single tar archives: `exportImageArchive` and `exportImagesArchive` write the OCI layout
 * (with `format: "docker"`, what current `docker save` writes: the layout plus `manifest.json` and
 * `repositories`) as one tar, deterministically (entries sorted, mtime 0, owner 0) and streamed (a
 * blob is copied from its file, never held in memory). Reading them back is `importImageArchive`.
 */
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { type ExportOptions, type ExportResult, exportImages } from "./exportImage.js";
import type { OciEngine } from "./OciEngine.js";
import { END_OF_TAR, padding, tarHeader } from "./tarHeader.js";

export { importImageArchive } from "./importImage.js";

/**
 * Writes `ref` as an OCI layout (or a `docker save` archive: `format: "docker"`) packed in one tar file.
 *
 * @example
 * await exportImageArchive(engine, "web:1", "web.tar", { format: "docker" }); // podman load -i web.tar
 */
export async function exportImageArchive(
  engine: OciEngine,
  ref: string,
  file: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  return (await exportImagesArchive(engine, [ref], file, options))[0] as ExportResult;
}

/** Writes several images into one archive (see `exportImages`). */
export async function exportImagesArchive(
  engine: OciEngine,
  refs: readonly string[],
  file: string,
  options: ExportOptions = {},
): Promise<ExportResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "strata-export-"));
  try {
    const results = await exportImages(engine, refs, dir, options);
    await packDirectory(dir, file);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Packs a directory as a tar: names sorted, directories first, mtime 0, owner 0, streamed. */
async function packDirectory(dir: string, file: string): Promise<void> {
  const names: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      if (name.startsWith(".")) continue; // a temporary file
      const p = rel ? `${rel}/${name}` : name;
      if (statSync(join(dir, p)).isDirectory()) {
        names.push(`${p}/`);
        walk(p);
      } else names.push(p);
    }
  };
  walk("");
  async function* chunks(): AsyncGenerator<Buffer> {
    for (const name of names) {
      const isDir = name.endsWith("/");
      const size = isDir ? 0 : statSync(join(dir, name)).size;
      const header = tarHeader({
        name,
        type: isDir ? "directory" : "file",
        mode: isDir ? 0o755 : 0o644,
        uid: 0,
        gid: 0,
        mtime: new Date(0),
        size,
      });
      yield Buffer.concat(header);
      if (isDir) continue;
      let written = 0;
      for await (const c of createReadStream(join(dir, name))) {
        written += (c as Buffer).length;
        yield c as Buffer;
      }
      if (written !== size) throw new Error(`${name} changed while it was packed`);
      yield padding(size);
    }
    yield END_OF_TAR;
  }
  await pipeline(chunks, createWriteStream(file));
}
