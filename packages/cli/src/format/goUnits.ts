/**
 * docker/go-units: HumanDuration ("5 minutes", "About an hour", "3 weeks") and the decimal sizes docker
 * prints ("1.23MB" with 3 significant digits in lists, 4 in HumanSize; Go's %g, so 999.95 kB is
 * "1e+03kB"). Pure. Rules: go-units v0.5.0 duration.go and size.go.
 */
import { formatFloat } from "./goFloat.js";

/** units.HumanDuration for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

const DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

function sizeAndUnit(size: number, base: number, units: readonly string[]): [number, string] {
  let i = 0;
  let s = size;
  while (s >= base && i < units.length - 1) {
    s /= base;
    i++;
  }
  return [s, units[i] as string];
}

/** units.HumanSizeWithPrecision: `%.*g` of the size in decimal units. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [s, unit] = sizeAndUnit(size, 1000, DECIMAL);
  return `${formatFloat(s, "g", precision)}${unit}`;
}

/** units.HumanSize: 4 significant digits. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** units.BytesSize: binary units, 4 significant digits. */
export function bytesSize(size: number): string {
  const [s, unit] = sizeAndUnit(size, 1024, BINARY);
  return `${formatFloat(s, "g", 4)}${unit}`;
}
