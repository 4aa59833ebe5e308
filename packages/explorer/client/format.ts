/** Small formatting helpers shared by the panels. */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A layer's short name: L0 at the bottom, RW for a container's read-write layer. */
export function layerLabel(index: number, _count: number, readWrite: boolean): string {
  return readWrite ? "RW" : `L${index}`;
}

/** A colour per layer, the same in the stack and in the tree's badges. */
export function layerColour(index: number, count: number): string {
  const hue = Math.round((index * 360) / Math.max(1, count) + 200) % 360;
  return `hsl(${hue} 55% 45%)`;
}

export function formatMode(mode: number, type: string): string {
  const t = { dir: "d", symlink: "l", file: "-", device: "c" }[type] ?? "-";
  let s = t;
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (mode >> shift) & 7;
    s += `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${bits & 1 ? "x" : "-"}`;
  }
  return s;
}
