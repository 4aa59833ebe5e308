/**
 * Identifiers of the things Strata tracks. They are plain strings at run time and branded in the type
 * system, so a container id cannot be passed where an image id is expected.
 */

declare const brand: unique symbol;
/** A string that the type system keeps apart from other strings. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** An image id, `sha256:` followed by 64 hex digits (Docker's long form). */
export type ImageId = Brand<string, "ImageId">;
/** A container id: 64 hex digits, as Docker prints with `--no-trunc`. */
export type ContainerId = Brand<string, "ContainerId">;
/** A layer id: `sha256:` followed by 64 hex digits. */
export type LayerId = Brand<string, "LayerId">;
/** An exec instance id: 64 hex digits. */
export type ExecId = Brand<string, "ExecId">;

const HEX64 = /^[0-9a-f]{64}$/;
const SHA256_ID = /^sha256:[0-9a-f]{64}$/;

/** True when `s` is 64 lowercase hex digits. */
export function isHex64(s: string): boolean {
  return HEX64.test(s);
}

/** True when `s` is `sha256:` plus 64 lowercase hex digits. */
export function isSha256Id(s: string): boolean {
  return SHA256_ID.test(s);
}

/** The first 12 hex digits of an id, as Docker prints it (`sha256:` dropped). */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

/** Docker's container name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (a leading `/` is accepted and dropped). */
export const CONTAINER_NAME_PATTERN: RegExp = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Strips the leading `/` Docker allows on names. */
export function normalizeContainerName(name: string): string {
  return name.startsWith("/") ? name.slice(1) : name;
}

/**
 * Normalises an image reference the way Docker does for local tags: Docker Hub's names in their
 * familiar form (`docker.io/library/busybox`, `index.docker.io/library/busybox` and `library/busybox`
 * are all `busybox`; `docker.io/me/app` is `me/app`), and a reference without a tag gets `:latest`.
 * (A `:` inside the last path segment is a tag; one before a `/` is a registry port.)
 *
 * @example
 * normalizeImageRef("busybox") // "busybox:latest"
 * normalizeImageRef("docker.io/library/busybox:1") // "busybox:1"
 * normalizeImageRef("localhost:5000/app") // "localhost:5000/app:latest"
 */
export function normalizeImageRef(ref: string): string {
  const familiar = familiarImageRef(ref);
  const lastSlash = familiar.lastIndexOf("/");
  const lastSegment = familiar.slice(lastSlash + 1);
  if (lastSegment.includes("@")) return familiar;
  return lastSegment.includes(":") ? familiar : `${familiar}:latest`;
}

/** Docker Hub's domain and `library/` namespace dropped, as Docker shows names (`FamiliarString`). */
function familiarImageRef(ref: string): string {
  const slash = ref.indexOf("/");
  if (slash < 0) return ref;
  const first = ref.slice(0, slash);
  let path = ref;
  if (first === "docker.io" || first === "index.docker.io") path = ref.slice(slash + 1);
  else if (first === "localhost" || /[.:]/.test(first) || first.toLowerCase() !== first) return ref;
  if (!path.startsWith("library/")) return path;
  const rest = path.slice("library/".length);
  // `library/a/b` keeps its namespace: only Docker Hub's official images (one component) lose it.
  const name = rest.split(/[:@]/)[0] as string;
  return name.includes("/") ? path : rest;
}

/** Docker's reference grammar, reduced to what a local tag needs: lowercase repository path and a tag. */
export const IMAGE_REF_PATTERN: RegExp =
  /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
