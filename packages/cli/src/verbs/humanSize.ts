/**
 * go-units `HumanSize` (decimal, 4 significant digits: `1.234MB`), as docker prints sizes: `0B`,
 * `512B`, `1.5kB`, `7.81MB`.
 */
const UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

export function humanSize(bytes: number, precision = 4): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${formatG(size, precision)}${UNITS[i]}`;
}

/** Go's `%.Ng`: N significant digits, no trailing zeros. */
function formatG(value: number, digits: number): string {
  if (value === 0) return "0";
  const text = value.toPrecision(digits);
  if (text.includes("e")) return String(Number(text));
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
