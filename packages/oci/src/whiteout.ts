/**
 * Whiteouts in OCI layer tars, as a mapper/unmapper pair: a whiteout of `dir/x` is the empty regular
 * file `dir/.wh.x`; an opaque directory `dir` is the empty regular file `dir/.wh..wh..opq`.
 */

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

/** The tar name of a whiteout hiding `name` (a basename). */
export function whiteoutName(name: string): string {
  return `${WHITEOUT_PREFIX}${name}`;
}

/** What a tar basename means: an ordinary name, a whiteout of a name, the opaque marker, or invalid. */
export type WhiteoutMeaning =
  | { readonly kind: "plain"; readonly name: string }
  | { readonly kind: "whiteout"; readonly name: string }
  | { readonly kind: "opaque" }
  | { readonly kind: "invalid"; readonly reason: string };

export function readWhiteout(basename: string): WhiteoutMeaning {
  if (basename === OPAQUE_MARKER) return { kind: "opaque" };
  if (!basename.startsWith(WHITEOUT_PREFIX)) return { kind: "plain", name: basename };
  const name = basename.slice(WHITEOUT_PREFIX.length);
  if (name === "" || name === "." || name === ".." || name.startsWith(WHITEOUT_PREFIX)) {
    return { kind: "invalid", reason: `invalid whiteout entry ${basename}` };
  }
  return { kind: "whiteout", name };
}
