/**
 * The content an `fs.fileWritten` carries inline is not the content it names: its bytes do not hash to
 * the event's `digest`, or are not `size` bytes. Found when the event is folded (a replay, a catch-up)
 * and by `strata log verify`; names the event's seq, so the damage can be found in the log.
 */
import { ReplayError } from "@strata/core";

export class InlineContentError extends ReplayError {
  /** The digest the event names. */
  readonly digest: string;
  /** What is wrong with the content ("it hashes to sha256:…"). */
  readonly detail: string;
  constructor(seq: number, path: string, digest: string, detail: string) {
    super(
      seq,
      "inline-content-damaged",
      `the content fs.fileWritten carries inline for ${path} is not ${digest}: ${detail}`,
    );
    this.digest = digest;
    this.detail = detail;
  }
}
