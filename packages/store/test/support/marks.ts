/**
 * The verified-prefix mark as the tests see it, read independently of the store's code: `MARK`'s first
 * line is JSON (`seq`, `segments`: [first seq, checked bytes] of each covered segment, ...), its second
 * the sha256 of the first; `INDEX` holds 48 bytes per record.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface MarkJson {
  readonly seq: number;
  readonly head: string;
  readonly segments: readonly (readonly [number, number])[];
  readonly indexCrc: number;
  readonly streams: readonly (readonly [string, number, number])[];
  readonly tags: readonly (readonly [string, number])[];
  readonly [key: string]: unknown;
}

export const markPath = (dir: string) => join(dir, "MARK");
export const indexPath = (dir: string) => join(dir, "INDEX");

/** The mark in `dir`, if there is one and its checksum holds. */
export function markOf(dir: string): MarkJson | null {
  if (!existsSync(markPath(dir))) return null;
  const text = readFileSync(markPath(dir), "utf8");
  const [json, sum] = text.split("\n");
  if (!json || sum !== createHash("sha256").update(json).digest("hex")) return null;
  return JSON.parse(json) as MarkJson;
}

/** Writes `mark` as a well-formed MARK (its checksum recomputed): how a forger would. */
export function writeMarkJson(dir: string, mark: MarkJson): void {
  const json = JSON.stringify(mark);
  writeFileSync(markPath(dir), `${json}\n${createHash("sha256").update(json).digest("hex")}\n`);
}

/**
 * Whether byte `at` of segment `file` (of the log's segment `files`) lies in what the mark covers: then
 * opening may leave it unchecked.
 */
export function covered(mark: MarkJson | null, files: readonly string[], file: string, at: number): boolean {
  if (!mark) return false;
  const i = files.indexOf(file);
  const last = mark.segments.length - 1;
  return i < last || (i === last && at < (mark.segments[last] as readonly [number, number])[1]);
}
