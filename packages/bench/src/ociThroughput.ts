/**
 * Measure 8: OCI export and import of a 10,000-file image (seeded contents, 0.5 to 8 KiB each, on a
 * disk blob store), as throughput of uncompressed layer bytes against node:crypto's sha256 over the same
 * bytes (export and import must both hash every byte, so this is the floor); and, when umoci is
 * installed, against `umoci repack` and `umoci unpack` of the same image (gzip layers, as both write by
 * default).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, DiskBlobStore, type FsEngine } from "@strata/fs";
import { exportImage, importImage } from "@strata/oci";
import { type Measure, type Result, type RunOptions, sized } from "./Measure.js";
import { seededRandom } from "./seededRandom.js";
import { alternate, fmtMB, median, timeOnce } from "./timing.js";
import { filePath, imageEngine } from "./workloads.js";

/** The image's files: 10,000 (50 under --smoke). */
const filesFor = (o: RunOptions) => sized(o, 10_000, 50);

interface Fixture {
  readonly files: number;
  readonly dir: string;
  readonly engine: FsEngine;
  readonly contents: (i: number) => Buffer;
  readonly cleanup: () => void;
}

function fixture(files: number): Fixture {
  const dir = mkdtempSync(join(tmpdir(), "strata-bench-oci-"));
  const random = seededRandom(8);
  const sizes = Array.from({ length: files }, () => 512 + random.int(7_680));
  const cache = new Map<number, Buffer>();
  const contents = (i: number) => {
    let b = cache.get(i);
    if (!b) {
      b = seededRandom(1_000 + i).bytes(sizes[i] as number);
      cache.set(i, b);
    }
    return b;
  };
  const engine = imageEngine(files, 1, { blobs: new DiskBlobStore(join(dir, "blobs")), content: contents });
  return { files, dir, engine, contents, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const freshEngine = (dir: string) =>
  createFsEngine({
    clock: simulatedClock(),
    ids: sequentialIds("bench-import"),
    blobs: new DiskBlobStore(dir),
  });

let n = 0;
const scratch = (root: string) => {
  const d = join(root, `run-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

/** Export and import throughput against sha256 over the same uncompressed layer bytes. */
async function againstSha256(kind: "export" | "import", o: RunOptions): Promise<Result> {
  const f = fixture(filesFor(o));
  try {
    const reference = await exportImage(f.engine, "scale:1", scratch(f.dir), { compression: "none" });
    const layout = join(f.dir, "reference");
    await exportImage(f.engine, "scale:1", layout, { compression: "none" });
    const layer = reference.layers[0];
    if (!layer) throw new Error("no layer exported");
    const bytes = readFileSync(join(layout, "blobs", "sha256", layer.digest.slice(7)));
    const hashAll = () => createHash("sha256").update(bytes).digest();
    const ours =
      kind === "export"
        ? async () => {
            const out = scratch(f.dir);
            await exportImage(f.engine, "scale:1", out, { compression: "none" });
            rmSync(out, { recursive: true });
          }
        : async () => {
            const blobs = scratch(f.dir);
            await importImage(freshEngine(blobs), layout);
            rmSync(blobs, { recursive: true });
          };
    const t = await alternate(ours, hashAll, sized(o, 3, 1));
    const mbps = (ms: number) => `${((bytes.length / 2 ** 20 / ms) * 1000).toFixed(0)} MiB/s`;
    return {
      ratio: t.baseline / t.ours,
      detail: `${mbps(t.ours)} vs ${mbps(t.baseline)} (${fmtMB(bytes.length)} layer, ${f.files.toLocaleString("en")} files)`,
    };
  } finally {
    f.cleanup();
  }
}

const umociMissing = async () => {
  try {
    execFileSync("umoci", ["--version"], { stdio: "ignore" });
    return process.getuid?.() === 0 ? null : "umoci unpack needs root here";
  } catch {
    return "umoci is not installed";
  }
};

const umoci = (...args: string[]) => execFileSync("umoci", args, { stdio: ["ignore", "ignore", "pipe"] });

export const ociExport: Measure = {
  id: "8a",
  measure: "OCI export throughput (10,000 files, uncompressed layer)",
  baseline: "node:crypto sha256 over the same bytes",
  target: { op: ">=", value: 0.5 },
  run: (o) => againstSha256("export", o),
};

export const ociImport: Measure = {
  id: "8b",
  measure: "OCI import throughput (10,000 files, uncompressed layer)",
  baseline: "node:crypto sha256 over the same bytes",
  target: { op: ">=", value: 0.3 },
  run: (o) => againstSha256("import", o),
};

export const ociRepack: Measure = {
  id: "8c",
  measure: "OCI export of the 10,000-file image (gzip)",
  baseline: "umoci repack of the same files (gzip)",
  target: { op: ">=", value: 2 },
  unavailable: umociMissing,
  async run(o) {
    const f = fixture(filesFor(o));
    try {
      const layout = join(f.dir, "umoci-layout");
      umoci("init", "--layout", layout);
      umoci("new", "--image", `${layout}:base`);
      const rounds = sized(o, 3, 1);
      const theirs: number[] = [];
      const ours: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const bundle = join(f.dir, `bundle-${r}`);
        umoci("unpack", "--image", `${layout}:base`, bundle);
        for (let i = 0; i < f.files; i++) {
          const path = join(bundle, "rootfs", filePath(i));
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, f.contents(i));
        }
        theirs.push(await timeOnce(() => umoci("repack", "--image", `${layout}:full${r}`, bundle)));
        rmSync(bundle, { recursive: true });
        const out = scratch(f.dir);
        ours.push(await timeOnce(() => exportImage(f.engine, "scale:1", out)));
        rmSync(out, { recursive: true });
      }
      const [mine, umocis] = [median(ours), median(theirs)];
      return { ratio: umocis / mine, detail: `${mine.toFixed(0)} ms vs ${umocis.toFixed(0)} ms` };
    } finally {
      f.cleanup();
    }
  },
};

export const ociUnpack: Measure = {
  id: "8d",
  measure: "OCI import of the 10,000-file image (gzip)",
  baseline: "umoci unpack of the same layout",
  target: { op: ">=", value: 2 },
  unavailable: umociMissing,
  async run(o) {
    const f = fixture(filesFor(o));
    try {
      const layout = join(f.dir, "layout");
      await exportImage(f.engine, "scale:1", layout);
      const t = await alternate(
        async () => {
          const blobs = scratch(f.dir);
          await importImage(freshEngine(blobs), layout);
          rmSync(blobs, { recursive: true });
        },
        () => {
          const bundle = scratch(f.dir);
          rmSync(bundle, { recursive: true });
          umoci("unpack", "--image", `${layout}:1`, bundle);
          rmSync(bundle, { recursive: true });
        },
        sized(o, 3, 1),
      );
      return { ratio: t.baseline / t.ours, detail: `${t.ours.toFixed(0)} ms vs ${t.baseline.toFixed(0)} ms` };
    } finally {
      f.cleanup();
    }
  },
};
