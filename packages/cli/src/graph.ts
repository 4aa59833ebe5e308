/**
 * Pictures: the layer stack of an image or a container (which layer holds which paths, whiteouts and
 * opaque directories marked, sizes) and, for a container, the lifecycle state diagram with the current
 * state highlighted. As SVG (self-contained, no fonts to fetch) or as Mermaid text.
 */
import type { ContainerStatus, EngineState } from "@strata/core";
import type { FsNode, FsState, Tree } from "@strata/fs";

export interface LayerSummary {
  readonly id: string;
  readonly label: string;
  readonly files: number;
  readonly dirs: number;
  readonly whiteouts: readonly string[];
  readonly opaque: readonly string[];
  readonly bytes: number;
  /** Some paths the layer holds, for the picture. */
  readonly paths: readonly string[];
}

export function summarize(id: string, label: string, tree: Tree): LayerSummary {
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const paths: string[] = [];
  // Pre-order, names in byte order, on a stack of its own (a path may have 2,000 components).
  const stack: [FsNode, string][] = [[tree.root, ""]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, path] = top;
    if (node.kind === "dir") {
      if (path !== "" && !node.implied) dirs++;
      if (node.opaque) opaque.push(path || "/");
      const names = node.children.sortedKeys();
      for (let i = names.length - 1; i >= 0; i--)
        stack.push([node.children.get(names[i] as string) as FsNode, `${path}/${names[i]}`]);
      continue;
    }
    if (node.kind === "whiteout") {
      whiteouts.push(path);
      continue;
    }
    if (node.kind === "file") {
      files++;
      bytes += tree.inodes.get(node.ino)?.size ?? 0;
    }
    if (paths.length < 6) paths.push(node.kind === "symlink" ? `${path} -> ${node.target}` : path);
  }
  return { id, label, files, dirs, whiteouts, opaque, bytes, paths };
}

/** The layers of `ref` (bottom first), the read-write layer last for a container; and its state if any. */
export function stackOf(
  core: EngineState,
  fs: FsState,
  ref: { imageId: string; containerId?: string },
): { layers: LayerSummary[]; status?: ContainerStatus } {
  const image = core.images[ref.imageId];
  const layers = (image?.layers ?? []).map((l) => {
    const tree = fs.layers.get(l.id);
    return tree
      ? summarize(l.id, l.createdBy || "layer", tree)
      : { id: l.id, label: l.createdBy, files: 0, dirs: 0, whiteouts: [], opaque: [], bytes: 0, paths: [] };
  });
  if (ref.containerId) {
    const c = fs.containers.get(ref.containerId);
    const record = core.containers[ref.containerId];
    if (c)
      layers.push(
        summarize(
          ref.containerId,
          `read-write layer of ${record?.context.name ?? ref.containerId.slice(0, 12)}`,
          c.upper,
        ),
      );
    return record ? { layers, status: record.status } : { layers };
  }
  return { layers };
}

const STATES: readonly ContainerStatus[] = [
  "created",
  "running",
  "paused",
  "restarting",
  "exited",
  "dead",
  "removing",
];
const TRANSITIONS: readonly [string, string, string][] = [
  ["created", "running", "start"],
  ["running", "paused", "pause"],
  ["paused", "running", "unpause"],
  ["running", "exited", "stop / kill / exit"],
  ["running", "restarting", "exit + policy"],
  ["restarting", "running", "backoff"],
  ["exited", "running", "start"],
  ["created", "removing", "rm"],
  ["exited", "removing", "rm"],
  ["removing", "dead", "removal fails"],
  ["dead", "removing", "rm"],
];

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** Keeps a line inside its box (about 95 characters at 13 px). */
const clip = (s: string) => (s.length > 95 ? `${s.slice(0, 94)}…` : s);
const human = (n: number) =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

export function toMermaid(title: string, layers: readonly LayerSummary[], status?: ContainerStatus): string {
  const out = ["flowchart TB", `  subgraph stack["${title}"]`, "    direction TB"];
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i] as LayerSummary;
    const marks = [...l.whiteouts.map((p) => `✗ ${p}`), ...l.opaque.map((p) => `◼ ${p}/ opaque`)];
    out.push(
      `    L${i}["${esc(`${short(l.id)} ${l.label}`)}<br/>${l.files} files, ${l.dirs} dirs, ${human(l.bytes)}${marks.length ? `<br/>${esc(marks.join(", "))}` : ""}"]`,
    );
  }
  for (let i = layers.length - 1; i > 0; i--) out.push(`    L${i} --> L${i - 1}`);
  out.push("  end");
  if (status) {
    out.push("", "stateDiagram-v2", "  [*] --> created");
    for (const [a, b, label] of TRANSITIONS) out.push(`  ${a} --> ${b}: ${label}`);
    out.push(
      "  removing --> [*]",
      "  classDef current fill:#2b6cb0,color:#fff,font-weight:bold",
      `  class ${status} current`,
    );
  }
  return `${out.join("\n")}\n`;
}

export function toSvg(title: string, layers: readonly LayerSummary[], status?: ContainerStatus): string {
  const width = 760;
  const boxH = 74;
  const gap = 10;
  const top = 48;
  const maxBytes = Math.max(1, ...layers.map((l) => l.bytes));
  const parts: string[] = [];
  let y = top;
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i] as LayerSummary;
    const rw = i === layers.length - 1 && l.label.startsWith("read-write");
    const bar = Math.max(2, Math.round((l.bytes / maxBytes) * 200));
    const marks = [...l.whiteouts.map((p) => `✗ ${p}`), ...l.opaque.map((p) => `◼ ${p}/ (opaque)`)]
      .slice(0, 4)
      .join("   ");
    parts.push(
      `<g><rect x="20" y="${y}" width="${width - 40}" height="${boxH}" rx="6" fill="${rw ? "#fff7e6" : "#eef3fb"}" stroke="${rw ? "#d69e2e" : "#4a6fa5"}"/>`,
      `<text x="32" y="${y + 20}" font-weight="bold">${esc(`${rw ? "RW" : `L${i}`}  ${short(l.id)}  ${l.label}`)}</text>`,
      `<text x="32" y="${y + 38}">${esc(clip(`${l.files} files · ${l.dirs} dirs · ${human(l.bytes)}${l.paths.length ? ` · ${l.paths.slice(0, 3).join(", ")}` : ""}`))}</text>`,
      `<text x="32" y="${y + 56}" fill="#c53030">${esc(clip(marks))}</text>`,
      `<rect x="${width - 240}" y="${y + 10}" width="${bar}" height="10" fill="#4a6fa5"/></g>`,
    );
    y += boxH + gap;
  }
  if (status) {
    y += 20;
    parts.push(`<text x="20" y="${y}" font-weight="bold">lifecycle</text>`);
    y += 12;
    const w = (width - 40) / STATES.length;
    STATES.forEach((s, k) => {
      const current = s === status;
      parts.push(
        `<rect x="${20 + k * w + 4}" y="${y}" width="${w - 8}" height="34" rx="17" fill="${current ? "#2b6cb0" : "#f7fafc"}" stroke="#2b6cb0"/>`,
        `<text x="${20 + k * w + w / 2}" y="${y + 22}" text-anchor="middle" fill="${current ? "#fff" : "#1a202c"}"${current ? ' font-weight="bold"' : ""}>${s}</text>`,
      );
    });
    y += 34;
  }
  const height = y + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="20" y="28" font-size="17" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
