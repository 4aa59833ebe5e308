/**
 * Contents that travel inline in the log: an `fs.fileWritten` of at most `INLINE_CONTENT_MAX_BYTES`
 * carries its bytes in `content` (base64), so they are durable in the same flush as the event.
 * `inlineContent` reads them back, checked against the event's digest and size.
 * Format: docs/events.md#fsfilewritten · durability: docs/store.md#blobs
 */
import { INLINE_CONTENT_MAX_BYTES } from "@strata/core";
import { sha256Digest } from "./BlobStore.js";
import { InlineContentError } from "./InlineContentError.js";

/** An event as the log gives it back (seq, type, data), parsed or not. */
interface LoggedEvent {
  readonly seq: number;
  readonly type: string;
  readonly data: unknown;
}

/** What a write of `size` bytes carries inline: its content when the size allows (the rule of the events). */
export function carriesInline(size: number): boolean {
  return size <= INLINE_CONTENT_MAX_BYTES;
}

/**
 * The bytes `event` carries inline, checked: undefined when it carries none (another type, a larger
 * file, or a log written before inline contents); an {@link InlineContentError} naming its seq when
 * they do not hash to its digest or are not its size.
 */
export function inlineContent(event: LoggedEvent): { digest: string; bytes: Buffer } | undefined {
  if (event.type !== "fs.fileWritten") return undefined;
  const data = event.data as { path?: unknown; digest?: unknown; size?: unknown; content?: unknown };
  if (data.content === undefined) return undefined;
  const path = String(data.path);
  const digest = String(data.digest);
  if (typeof data.content !== "string")
    throw new InlineContentError(event.seq, path, digest, "it is not a string of base64");
  // Buffer.from skips what is not base64; whatever it skipped, the size and the digest must still hold.
  const bytes = Buffer.from(data.content, "base64");
  if (bytes.length !== data.size)
    throw new InlineContentError(
      event.seq,
      path,
      digest,
      `it is ${bytes.length} bytes, the event says ${String(data.size)}`,
    );
  const actual = sha256Digest(bytes);
  if (actual !== digest) throw new InlineContentError(event.seq, path, digest, `it hashes to ${actual}`);
  return { digest, bytes };
}
