/**
 * Why an OCI image was refused, naming where: the layer (by digest), the tar entry (index and name)
 * when there is one. Nothing of a refused image reaches the event log.
 */
import { StrataError } from "@strata/core";

export type OciErrorCode =
  | "InvalidLayout"
  | "DigestMismatch"
  | "SizeMismatch"
  | "UnsupportedMediaType"
  | "TooLarge"
  | "InvalidTar"
  | "Breakout"
  | "InvalidWhiteout"
  | "DuplicateEntry"
  | "InvalidEntry";

export class OciError extends StrataError {
  readonly layer: string | null;
  readonly entry: { readonly index: number; readonly name: string } | null;
  constructor(
    code: OciErrorCode,
    message: string,
    where: { layer?: string; entry?: { index: number; name: string } } = {},
  ) {
    const at = [
      where.layer ? `layer ${where.layer}` : "",
      where.entry ? `tar entry ${where.entry.index} (${JSON.stringify(where.entry.name)})` : "",
    ]
      .filter(Boolean)
      .join(", ");
    super(code, 400, code, at ? `${at}: ${message}` : message);
    this.layer = where.layer ?? null;
    this.entry = where.entry ?? null;
  }
}
