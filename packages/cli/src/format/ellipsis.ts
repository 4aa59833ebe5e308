/**
 * docker's Ellipsis (cut a string to a display width and end it with "…") and stringid.TruncateID (an
 * id without its "sha256:" prefix, cut to 12 characters). Byte strings in and out.
 * Pure. Rules: docker/cli cli/command/formatter/displayutils.go; moby pkg/stringid.
 */
import { goRunes, runeCount, runesToGoString } from "./goString.js";
import { eastAsianWidth } from "./runeWidth.js";

const ELLIPSIS = 0x2026;

/** formatter.Ellipsis(s, maxDisplayWidth). */
export function ellipsis(s: string, maxDisplayWidth: number): string {
  if (maxDisplayWidth <= 0) return "";
  const rs = goRunes(s);
  if (maxDisplayWidth === 1) {
    if (rs.length === 0) throw new Error("runtime error: index out of range [0] with length 0");
    return runesToGoString(rs.slice(0, 1));
  }
  if (s.length === runeCount(s)) {
    if (s.length <= maxDisplayWidth) return s;
    return runesToGoString([...rs.slice(0, maxDisplayWidth - 1), ELLIPSIS]);
  }
  const display: number[] = [];
  let width = 0;
  for (const r of rs) {
    width += eastAsianWidth(r);
    display.push(width);
  }
  if (width <= maxDisplayWidth) return s;
  for (let i = 0; i < display.length; i++) {
    if ((display[i] as number) <= maxDisplayWidth - 1 && (display[i + 1] ?? 0) > maxDisplayWidth - 1) {
      return runesToGoString([...rs.slice(0, i + 1), ELLIPSIS]);
    }
  }
  return s;
}

/** stringid.TruncateID: after the first ':', at most 12 bytes. */
export function truncateId(id: string): string {
  const colon = id.indexOf(":");
  const rest = colon >= 0 ? id.slice(colon + 1) : id;
  return rest.length > 12 ? rest.slice(0, 12) : rest;
}
