/**
 * The size of a layer's `layer.created` event as the event log stores it: its data as JSON (`layerId`,
 * `entries` and, for an imported layer, `tar`: its tar layout's blob), in UTF-8 bytes. An import counts each entry as it reads it (a bound from below, cheap)
 * so that a layer the log could not hold is refused early, then checks the whole event before appending:
 * exactly when the bound from above says it might not fit.
 */
import type { LayerEntry } from "@strata/core";

/** The characters of an entry's strings: path, link target, digest, extended attributes. */
function stringChars(entry: LayerEntry): { chars: number; xattrs: number } {
  let chars = entry.path.length;
  if ("target" in entry) chars += entry.target.length;
  if ("digest" in entry) chars += entry.digest.length;
  let xattrs = 0;
  if ("xattrs" in entry && entry.xattrs !== undefined)
    for (const [name, value] of Object.entries(entry.xattrs)) {
      chars += name.length;
      xattrs += value.length; // base64: never escaped
    }
  return { chars, xattrs };
}

/**
 * At least the bytes `entry` adds to the event: each string character is at least one byte, and any
 * entry has at least `{"type":"dir","path":""}` and a comma.
 */
export function entryBytesAtLeast(entry: LayerEntry): number {
  const { chars, xattrs } = stringChars(entry);
  return 25 + chars + xattrs;
}

/**
 * At most the bytes `entry` adds: every character of a name escaped (`\uXXXX`, 6 bytes), the keys,
 * punctuation and numbers of the largest entry (400 bytes), each attribute's quotes, colon and comma.
 */
function entryBytesAtMost(entry: LayerEntry): number {
  const { chars, xattrs } = stringChars(entry);
  const count = "xattrs" in entry && entry.xattrs !== undefined ? Object.keys(entry.xattrs).length : 0;
  return 400 + 6 * chars + xattrs + 6 * count;
}

/**
 * The bytes of the event `layer.created` of `layerId` with `entries` (and `tar`) would take, if it could be more
 * than `limit`; else a bound from above (at most `limit`). Exact only when the bound is over `limit`.
 */
export function layerEventBytes(
  layerId: string,
  entries: readonly LayerEntry[],
  limit: number,
  tar?: string,
): number {
  let atMost = 100 + 6 * layerId.length + (tar === undefined ? 0 : 20 + 6 * tar.length);
  for (const e of entries) atMost += entryBytesAtMost(e);
  if (atMost <= limit) return atMost;
  return Buffer.byteLength(JSON.stringify({ layerId, entries, ...(tar === undefined ? {} : { tar }) }));
}
