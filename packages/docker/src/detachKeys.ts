/**
 * moby/term `ToBytes`: a detach key sequence (`ctrl-p,ctrl-q`) as bytes, each key one character,
 * `ctrl-@` … `ctrl-_` or `DEL`. Strata never reads them (no process takes input), but refuses the same
 * sequences dockerd refuses.
 */

const CTRL = "@abcdefghijklmnopqrstuvwxyz[\\]^_";

/**
 * The bytes of `keys`, or null when a key is not one dockerd knows.
 *
 * @example
 * detachKeyBytes("ctrl-p,ctrl-q"); // [16, 17]
 */
export function detachKeyBytes(keys: string): number[] | null {
  const out: number[] = [];
  for (const key of keys.split(",")) {
    if (Buffer.byteLength(key) === 1) out.push(key.charCodeAt(0));
    else if (key === "DEL") out.push(127);
    else if (key.startsWith("ctrl-") && key.length === 6 && CTRL.includes(key[5] as string))
      out.push(CTRL.indexOf(key[5] as string));
    else return null;
  }
  return out;
}
