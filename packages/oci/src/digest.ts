/**
 * Digests as the OCI image spec writes them: `sha256:` + 64 lowercase hex. A DiffID (the digest of a
 * layer's uncompressed tar) and a blob digest (the digest of the bytes stored, maybe compressed) are
 * both digests but mean different things; the types keep them apart.
 */
import { createHash } from "node:crypto";

declare const diffIdBrand: unique symbol;
declare const blobBrand: unique symbol;
export type Digest = string;
/** sha256 of a layer's uncompressed tar (config `rootfs.diff_ids`). */
export type DiffId = Digest & { readonly [diffIdBrand]: true };
/** sha256 of the bytes of a blob (descriptors, `blobs/sha256/<hex>`). */
export type BlobDigest = Digest & { readonly [blobBrand]: true };

export const DIGEST_PATTERN: RegExp = /^sha256:[a-f0-9]{64}$/;

export function sha256(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The hex part of a digest. */
export function hexOf(digest: Digest): string {
  return digest.slice("sha256:".length);
}

/**
 * ChainID(L0) = DiffID(L0); ChainID(L0|…|Ln) = sha256(ChainID(L0|…|Ln-1) + " " + DiffID(Ln)).
 *
 * @example
 * chainIds(["sha256:c6f9…bbd1", "sha256:5f70…c3c6ef"]).at(-1) // "sha256:c3191d32…9b93f"
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}
