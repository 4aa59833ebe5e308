/**
 * File contents in PostgreSQL, beside the log (`strata_blobs`, `strata_blob_parts`, migration 5), so
 * that any host that reads the log can read the files its events name. Content-addressed by sha256:
 * storing a blob twice is a no-op. A blob's parts (at most 4 MiB each) and its row go in one
 * transaction, so a blob is whole or absent; reads check the digest.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { StoreError } from "../errors.js";
import type { RemoteBlobStore } from "../RemoteBlobStore.js";
import { readOnlyError } from "./postgresFailure.js";

const PART_BYTES = 4 * 1024 * 1024;

export class PostgresBlobStore implements RemoteBlobStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  /** The log's location when it was opened read-only (`put` refuses), else null. */
  readonly #readOnly: string | null;

  /** Use `PostgresEventLog.blobs()`: the store shares the log's connections and schema. */
  constructor(pool: pg.Pool, schema: string, readOnly: string | null = null) {
    this.#pool = pool;
    this.#schema = schema;
    this.#readOnly = readOnly;
  }

  async has(digests: readonly string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    const r = await this.#pool.query(
      `SELECT digest FROM ${this.#schema}.strata_blobs WHERE digest = ANY($1)`,
      [[...digests]],
    );
    return new Set((r.rows as { digest: string }[]).map((row) => row.digest));
  }

  async put(blobs: readonly { readonly digest: string; readonly bytes: Uint8Array }[]): Promise<void> {
    if (this.#readOnly !== null) throw readOnlyError(this.#readOnly);
    const present = await this.has(blobs.map((b) => b.digest));
    const missing = blobs.filter(
      (b, i) => !present.has(b.digest) && blobs.findIndex((x) => x.digest === b.digest) === i,
    );
    if (missing.length === 0) return;
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      for (const blob of missing) {
        const parts = Math.max(1, Math.ceil(blob.bytes.length / PART_BYTES));
        const inserted = await client.query(
          `INSERT INTO ${this.#schema}.strata_blobs (digest, size, parts) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING`,
          [blob.digest, blob.bytes.length, parts],
        );
        if (inserted.rowCount === 0) continue; // another writer stored it meanwhile
        for (let p = 0; p < parts; p++) {
          await client.query(
            `INSERT INTO ${this.#schema}.strata_blob_parts (digest, part, bytes) VALUES ($1, $2, $3)`,
            [
              blob.digest,
              p,
              Buffer.from(
                blob.bytes.buffer,
                blob.bytes.byteOffset + p * PART_BYTES,
                Math.min(PART_BYTES, blob.bytes.length - p * PART_BYTES),
              ),
            ],
          );
        }
      }
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async get(digest: string): Promise<Uint8Array | undefined> {
    const head = await this.#pool.query(
      `SELECT size, parts FROM ${this.#schema}.strata_blobs WHERE digest = $1`,
      [digest],
    );
    const row = head.rows[0] as { size: string; parts: number } | undefined;
    if (!row) return undefined;
    const r = await this.#pool.query(
      `SELECT bytes FROM ${this.#schema}.strata_blob_parts WHERE digest = $1 ORDER BY part`,
      [digest],
    );
    const bytes = Buffer.concat((r.rows as { bytes: Buffer }[]).map((p) => p.bytes));
    const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (bytes.length !== Number(row.size) || actual !== digest)
      throw new StoreError(
        "BlobCorrupt",
        `content ${digest} in ${this.#schema}.strata_blob_parts does not match its digest (it hashes to ${actual})`,
      );
    return bytes;
  }
}
