/**
 * Platforms as OCI writes them (`os`/`architecture`/`variant`, image-spec image-index.md and config.md)
 * and as users type them (`linux/arm64/v8`): parsing, the host's, matching, and the text form. An image
 * with no recorded platform is `linux/amd64`.
 */
import type { Platform } from "@strata/core";
import { OciError } from "./OciError.js";

export type { Platform };

export const DEFAULT_PLATFORM: Platform = Object.freeze({ os: "linux", architecture: "amd64" });

/** `linux/arm64/v8` → the platform; an OciError (InvalidLayout) when it is not `os/arch[/variant]`. */
export function parsePlatform(text: string): Platform {
  const parts = text.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p)))
    throw new OciError("InvalidLayout", `${JSON.stringify(text)} is not a platform (os/arch[/variant])`);
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** Node's names for CPUs → OCI's (GOARCH). */
const ARCH: Record<string, Platform> = {
  x64: { os: "linux", architecture: "amd64" },
  arm64: { os: "linux", architecture: "arm64", variant: "v8" },
  arm: { os: "linux", architecture: "arm", variant: "v7" },
  ia32: { os: "linux", architecture: "386" },
  ppc64: { os: "linux", architecture: "ppc64le" },
  s390x: { os: "linux", architecture: "s390x" },
  riscv64: { os: "linux", architecture: "riscv64" },
  loong64: { os: "linux", architecture: "loong64" },
  mips64el: { os: "linux", architecture: "mips64le" },
};

/** The platform this machine runs (containers are Linux ones). */
export function hostPlatform(): Platform {
  return ARCH[process.arch] ?? { os: "linux", architecture: process.arch };
}

/** A variant that says nothing: arm64's v8 is the only one it has. */
const normalVariant = (p: Platform) =>
  p.architecture === "arm64" && p.variant === "v8" ? undefined : (p.variant ?? undefined);

/**
 * Whether an image for `offered` runs where `wanted` is asked for: same os and architecture, and the
 * variant when `wanted` names one (arm64's `v8` is the same as none).
 */
export function platformMatches(wanted: Platform, offered: Platform): boolean {
  if (wanted.os !== offered.os || wanted.architecture !== offered.architecture) return false;
  const w = normalVariant(wanted);
  return w === undefined || w === normalVariant(offered);
}

/** A platform from JSON (an index's `platform`, a config's fields), or undefined when it has none. */
export function platformFrom(json: unknown): Platform | undefined {
  const j = json as { os?: unknown; architecture?: unknown; variant?: unknown } | null;
  if (typeof j?.os !== "string" || typeof j.architecture !== "string" || !j.os || !j.architecture)
    return undefined;
  return typeof j.variant === "string" && j.variant !== ""
    ? { os: j.os, architecture: j.architecture, variant: j.variant }
    : { os: j.os, architecture: j.architecture };
}
