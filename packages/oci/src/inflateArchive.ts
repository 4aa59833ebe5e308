/**
 * A gzip-compressed image archive (`docker save | gzip`, which `docker load` takes) inflated into a
 * private temporary file, so that it is then read in place as any archive is (an archive is read by
 * byte ranges, which a gzip stream has not). The bytes are streamed and counted: more than
 * {@link MAX_INFLATED_ARCHIVE_BYTES} is a `TooLarge` before the disk fills; the file is removed when
 * the archive has been read (or at once, on a failure).
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { OciError } from "./OciError.js";

/** The most bytes a compressed archive may inflate to (the layers it holds have their own limits). */
export const MAX_INFLATED_ARCHIVE_BYTES = 64 * 1024 ** 3;

/** An inflated copy of an archive; `remove()` deletes it. */
export interface InflatedArchive {
  readonly path: string;
  remove(): void;
}

/**
 * Inflates the gzip archive `file` into a temporary file (in a directory of its own under the system's
 * temporary directory, readable by this user only).
 *
 * @example
 * const copy = await inflateArchive("save.tar.gz");
 * try { read(copy.path); } finally { copy.remove(); }
 */
export async function inflateArchive(
  file: string,
  max: number = MAX_INFLATED_ARCHIVE_BYTES,
): Promise<InflatedArchive> {
  const dir = mkdtempSync(join(tmpdir(), "strata-archive-"));
  const path = join(dir, "archive.tar");
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let inflated = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > max)
        done(
          new OciError(
            "TooLarge",
            `${file} is gzip-compressed and inflates to more than ${max} bytes (the most an archive may)`,
          ),
        );
      else done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), counted, createWriteStream(path, { mode: 0o600 }));
  } catch (e) {
    remove();
    if (e instanceof OciError) throw e;
    const err = e as NodeJS.ErrnoException;
    const problem =
      err.code === "Z_BUF_ERROR" || /unexpected end of file/i.test(err.message ?? "")
        ? "its gzip data ends too early: it was cut short"
        : `gzip says "${err.message}"`;
    throw new OciError("InvalidTar", `${file} is gzip-compressed and cannot be inflated: ${problem}`);
  }
  return { path, remove };
}
