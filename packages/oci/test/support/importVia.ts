/**
 * Test support: one image imported through each import path (an OCI layout directory, an OCI archive, a
 * docker save archive) into a fresh engine, and the check every refusal must pass: a typed OciError,
 * nothing appended, nothing left in the blob store.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, type FsEngine, MemoryBlobStore } from "@strata/fs";
import { type ImportOptions, importImage, importImageArchive, OciError } from "@strata/oci";
import { expect } from "vitest";
import { dockerArchive, ociArchive, type TestLayer, writeLayout } from "./images.js";

export type ImportPath = "layout" | "oci-archive" | "docker-archive";
export const IMPORT_PATHS: readonly ImportPath[] = ["layout", "oci-archive", "docker-archive"];

/** A fresh engine over an in-memory blob store (the default of docs/api.md). */
export const freshEngine = (blobs = new MemoryBlobStore()): FsEngine =>
  createFsEngine({ clock: simulatedClock(), ids: sequentialIds("h"), blobs });

/** Imports an image of `layers` (bottom first), tagged `t:1`, through `path`; `work` is a fresh directory. */
export async function importVia(
  engine: FsEngine,
  path: ImportPath,
  layers: readonly TestLayer[],
  work: string,
  options: ImportOptions = {},
): Promise<unknown> {
  const image = { layers, refName: "t" };
  if (path === "layout") {
    writeLayout(join(work, "layout"), [image]);
    return importImage(engine, join(work, "layout"), { tag: "t:1", ...options });
  }
  const archive = join(work, "image.tar");
  writeFileSync(
    archive,
    path === "oci-archive" ? ociArchive([image], {}, join(work, "scratch")) : dockerArchive(image),
  );
  return importImageArchive(engine, archive, { tag: "t:1", ...options });
}

/** Expects the import to be refused with an OciError matching `want`, leaving no event and no blob behind. */
export async function refusedVia(
  path: ImportPath,
  layers: readonly TestLayer[],
  work: string,
  want: Record<string, unknown>,
  options: ImportOptions = {},
): Promise<OciError> {
  const blobs = new MemoryBlobStore();
  const engine = freshEngine(blobs);
  const before = blobs.size;
  const error = await importVia(engine, path, layers, work, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `${path}: refused`).toBeInstanceOf(OciError);
  expect(error, path).toMatchObject(want);
  expect(engine.log.lastSeq, `${path}: nothing appended`).toBe(0);
  expect(blobs.size, `${path}: nothing stored`).toBe(before);
  return error as OciError;
}
