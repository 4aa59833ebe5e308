/**
 * Images as single tar archives:
 * - `exportImageArchive` writes the OCI layout as one tar (what `skopeo copy oci-archive:` and
 *   `podman load` read), deterministically: entries sorted, mtime 0, uid/gid 0;
 * - `importImageArchive` reads either an OCI layout tar or a `docker save` archive (`manifest.json`
 *   form). The archive is untrusted too: only the names a layout or a docker archive holds are
 *   extracted (no `..`, no links, no devices), into a private temporary directory.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { findImage } from "@strata/core";
import tar from "tar-stream";
import { type ExportOptions, type ExportResult, exportImage } from "./exportImage.js";
import { ImageAssembler } from "./ImageAssembler.js";
import { type ImportOptions, type ImportResult, importImage } from "./importImage.js";
import type { OciEngine } from "./OciEngine.js";
import { OciError } from "./OciError.js";
import { importProgress } from "./Progress.js";

/** Writes `ref` as an OCI layout packed in one tar file at `file`. */
export async function exportImageArchive(
  engine: OciEngine,
  ref: string,
  file: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const dir = mkdtempSync(join(tmpdir(), "strata-export-"));
  try {
    const result = await exportImage(engine, ref, dir, options);
    const names: string[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(join(dir, rel)).sort()) {
        const p = rel ? `${rel}/${name}` : name;
        if (statSync(join(dir, p)).isDirectory()) {
          names.push(`${p}/`);
          walk(p);
        } else names.push(p);
      }
    };
    walk("");
    const pack = tar.pack();
    const out = pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(file));
    for (const name of names) {
      const isDir = name.endsWith("/");
      const body = isDir ? new Uint8Array(0) : readFileSync(join(dir, name));
      await new Promise<void>((resolve, reject) =>
        pack.entry(
          {
            name,
            type: isDir ? "directory" : "file",
            mode: isDir ? 0o755 : 0o644,
            uid: 0,
            gid: 0,
            uname: "",
            gname: "",
            mtime: new Date(0),
          },
          body,
          (err?: Error | null) => (err ? reject(err) : resolve()),
        ),
      );
    }
    pack.finalize();
    await out;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LAYOUT_NAME =
  /^(oci-layout|index\.json|manifest\.json|repositories|blobs\/?|blobs\/sha256\/?|blobs\/sha256\/[a-f0-9]{64}|[a-f0-9]{64}(\.json|\.tar)?|[a-f0-9]{64}\/|[a-f0-9]{64}\/(layer\.tar|json|VERSION))$/;

/** Extracts the archive's layout files into `dir`, refusing anything else. */
async function extractArchive(file: string, dir: string): Promise<Map<string, string>> {
  /** Symlinks docker archives use (`<id>/layer.tar -> ../<hex>.tar`), kept as names, never created. */
  const aliases = new Map<string, string>();
  const extract = tar.extract();
  const source = createReadStream(file);
  source.on("error", (e: NodeJS.ErrnoException) =>
    extract.destroy(new OciError("InvalidLayout", `cannot read ${file}: ${e.code ?? e.message}`)),
  );
  source.pipe(extract as unknown as NodeJS.WritableStream);
  let index = -1;
  try {
    for await (const entry of extract) {
      index += 1;
      const name = entry.header.name.replace(/^\.\//, "");
      const where = { entry: { index, name: entry.header.name } };
      if (!LAYOUT_NAME.test(name))
        throw new OciError("InvalidLayout", "not a name an image archive holds", where);
      if (entry.header.type === "directory") {
        mkdirSync(join(dir, name), { recursive: true });
        entry.resume();
        continue;
      }
      if (entry.header.type === "symlink") {
        const target = normalize(join(dirname(name), entry.header.linkname ?? ""));
        if (!LAYOUT_NAME.test(target)) {
          throw new OciError(
            "InvalidLayout",
            `a link to ${JSON.stringify(entry.header.linkname)}, outside the archive's files`,
            where,
          );
        }
        aliases.set(name, target);
        entry.resume();
        continue;
      }
      if (entry.header.type !== "file")
        throw new OciError(
          "InvalidLayout",
          `an image archive holds only files and directories, not ${entry.header.type}`,
          where,
        );
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      await pipeline(
        entry as unknown as NodeJS.ReadableStream,
        createWriteStream(join(dir, name), { flags: "wx" }),
      );
    }
  } catch (e) {
    if (e instanceof OciError) throw e;
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new OciError("DuplicateEntry", "a file appears twice in the archive", {
        entry: { index, name: "?" },
      });
    throw new OciError("InvalidTar", (e as Error).message, { entry: { index: index + 1, name: "?" } });
  }
  return aliases;
}

/**
 * Imports an image archive: an OCI layout packed in one tar, or a `docker save` archive.
 *
 * @example
 * await importImageArchive(engine, "busybox.tar", { tag: "busybox:imported" });
 */
export async function importImageArchive(
  engine: OciEngine,
  file: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const dir = mkdtempSync(join(tmpdir(), "strata-import-"));
  try {
    const aliases = await extractArchive(file, dir);
    if (existsSync(join(dir, "oci-layout"))) return await importImage(engine, dir, options);
    if (existsSync(join(dir, "manifest.json")))
      return await importDockerArchive(engine, dir, aliases, options);
    throw new OciError(
      "InvalidLayout",
      "the archive holds neither an OCI layout nor a docker save manifest.json",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `docker save` archive, extracted: `manifest.json` names the config and the layer tars. */
async function importDockerArchive(
  engine: OciEngine,
  dir: string,
  aliases: ReadonlyMap<string, string>,
  options: ImportOptions,
): Promise<ImportResult> {
  let manifest: { Config?: string; RepoTags?: string[]; Layers?: string[] }[];
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  } catch {
    throw new OciError("InvalidLayout", "manifest.json is not JSON");
  }
  const chosen =
    options.ref === undefined
      ? manifest
      : manifest.filter((m) => m.RepoTags?.includes(options.ref as string));
  if (chosen.length !== 1)
    throw new OciError("InvalidLayout", `manifest.json has ${manifest.length} images; name one with ref`);
  const m = chosen[0] as { Config?: string; RepoTags?: string[]; Layers?: string[] };
  const inside = (p: unknown) => {
    const name = typeof p === "string" ? (aliases.get(p) ?? p) : p;
    if (typeof name !== "string" || !LAYOUT_NAME.test(name) || !existsSync(join(dir, name))) {
      throw new OciError(
        "InvalidLayout",
        `manifest.json names ${JSON.stringify(p)}, not a file of the archive`,
      );
    }
    return join(dir, name);
  };
  const configBytes = readFileSync(inside(m.Config));
  const configDigest = `sha256:${createHash("sha256").update(configBytes).digest("hex")}`;
  const config = JSON.parse(configBytes.toString("utf8")) as {
    rootfs?: { type?: string; diff_ids?: string[] };
    config?: { Cmd?: string[] };
  };
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layerPaths = m.Layers ?? [];
  if (config.rootfs?.type !== "layers" || diffIds.length !== layerPaths.length) {
    throw new OciError(
      "InvalidLayout",
      `config has ${diffIds.length} diff_ids for ${layerPaths.length} layers`,
    );
  }
  const assembler = new ImageAssembler(engine);
  const sizes = layerPaths.map((path) => statSync(inside(path), { throwIfNoEntry: false })?.size ?? 0);
  const progress = importProgress(
    options.onProgress,
    sizes.reduce((n, s) => n + s, 0),
  );
  for (const [i, path] of layerPaths.entries()) {
    const diffId = diffIds[i] as string;
    if (assembler.known(diffId, i)) {
      progress.skip(sizes[i] as number);
      continue;
    }
    const full = inside(path);
    const gz = startsWithGzipMagic(full);
    const hash = createHash("sha256");
    const file = createReadStream(full);
    progress.watch(file);
    const source = file.pipe(gz ? createGunzip() : new PassThrough());
    source.on("data", (c: Buffer) => hash.update(c));
    await assembler.add(diffId, source, diffId);
    if (`sha256:${hash.digest("hex")}` !== diffId) {
      throw new OciError("DigestMismatch", `layer ${path} does not hash to its diff_id`, { layer: diffId });
    }
  }
  if (findImage(engine.state, configDigest))
    throw new OciError("InvalidLayout", `image ${configDigest} already exists`);
  return assembler.append(configDigest, options.tag ?? m.RepoTags?.[0], config.config?.Cmd);
}

/** Whether the file starts with gzip's magic bytes (reads two bytes, not the file). */
function startsWithGzipMagic(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}
