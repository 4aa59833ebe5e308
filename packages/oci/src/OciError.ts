/**
 * Why an OCI image was refused, naming where: the layer (its position in the image, counted from 1 in
 * messages, and its digest) and the tar entry (counted from 1 in messages, and its name) when there is
 * one, then what is wrong in plain words. Nothing of a refused image reaches the event log, and the
 * content it stored is dropped again.
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

/** Where a problem is: a layer (digest and/or its index in the image, from 0), a tar entry (index from 0). */
export interface OciWhere {
  readonly layer?: string;
  readonly layerIndex?: number;
  readonly entry?: { readonly index: number; readonly name: string };
}

/** A name in quotes, escaped as JSON except the `\xNN` a name that is not UTF-8 is shown with. */
function quoted(name: string): string {
  return JSON.stringify(name).replace(/\\\\x([0-9a-f]{2})/g, "\\x$1");
}

/** "layer 2 (sha256:…), tar entry 5 "etc/x"": the place words of a message. */
export function placeOf(where: OciWhere): string {
  const layer =
    where.layerIndex !== undefined
      ? `layer ${where.layerIndex + 1}${where.layer ? ` (${where.layer})` : ""}`
      : where.layer
        ? `layer ${where.layer}`
        : "";
  const entry = where.entry ? `tar entry ${where.entry.index + 1} ${quoted(where.entry.name)}` : "";
  return [layer, entry].filter(Boolean).join(", ");
}

export class OciError extends StrataError {
  readonly layer: string | null;
  /** The layer's position in the image, from 0 (null when not about one layer of an image). */
  readonly layerIndex: number | null;
  /** The tar entry: its index from 0 and its name. */
  readonly entry: { readonly index: number; readonly name: string } | null;
  /** What is wrong, without the place. */
  readonly problem: string;
  constructor(code: OciErrorCode, message: string, where: OciWhere = {}) {
    const at = placeOf(where);
    super(code, 400, code, at ? `${at}: ${message}` : message);
    this.problem = message;
    this.layer = where.layer ?? null;
    this.layerIndex = where.layerIndex ?? null;
    this.entry = where.entry ?? null;
  }

  /** The same problem, placed in layer `layerIndex` (digest `layer`) of an image. */
  inLayer(layer: string, layerIndex: number): OciError {
    if (this.layerIndex !== null) return this;
    return new OciError(this.code as OciErrorCode, this.problem, {
      layer,
      layerIndex,
      ...(this.entry ? { entry: this.entry } : {}),
    });
  }
}
