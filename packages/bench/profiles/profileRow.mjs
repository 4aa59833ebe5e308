/**
 * Profiles the measured part of a bench row in this process (node:inspector), without its setup, and
 * prints the self time of the functions that take the most: what docs/performance.md quotes for the
 * rows it misses. Run after `pnpm run build`: `node packages/bench/profiles/profileRow.mjs 1` (or 2, 8).
 * Row 8 profiles an export and an import of its 10,000-file image. Not a test and not a measure.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dist = (pkg, file = "index.js") => new URL(`../../${pkg}/dist/${file}`, import.meta.url).href;
const { replayProjected, sequentialIds, simulatedClock } = await import(dist("core"));
const { DiskBlobStore, createFsEngine, fsProjection } = await import(dist("fs"));
const { FileEventLog, FileEventLogReader } = await import(dist("store"));
const { exportImage, importImage } = await import(dist("oci"));
const { imageEngine, writeHistory } = await import(dist("bench", "workloads.js"));
const { seededRandom } = await import(dist("bench", "seededRandom.js"));

const session = new Session();
session.connect();
await session.post("Profiler.enable");

/** Runs `f` `times` times under the profiler; prints the time per run and the top self times. */
async function profile(name, times, f) {
  await f();
  await session.post("Profiler.start");
  const start = performance.now();
  for (let i = 0; i < times; i++) await f();
  const ms = (performance.now() - start) / times;
  const { profile: p } = await session.post("Profiler.stop");
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  p.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber}`;
    const dt = p.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  console.log(`${name}: ${ms.toFixed(1)} ms a run`);
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`${((100 * t) / total).toFixed(1).padStart(6)} %  ${key}`);
}

/** Milliseconds a run of `f`, over `times` runs. */
function timed(times, f) {
  const start = performance.now();
  for (let i = 0; i < times; i++) f();
  return (performance.now() - start) / times;
}

const row = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), "strata-profile-"));
try {
  if (row === "1") {
    const engine = writeHistory(20_000);
    const events = engine.log.read();
    const projection = fsProjection({ blobs: engine.blobs });
    await profile("replay of 20,000 writes (row 1)", 30, () => replayProjected(projection, events));
    const writes = events.filter((e) => e.type === "fs.fileWritten");
    const map = timed(30, () => {
      const files = new Map();
      for (const { data } of writes)
        files.set(data.path, { digest: data.digest, size: data.size, mode: data.mode });
    });
    console.log(`the baseline, a Map: ${map.toFixed(1)} ms a run`);
  } else if (row === "2") {
    const events = writeHistory(20_000).log.read();
    const log = await FileEventLog.open(dir);
    for (let i = 0; i < events.length; i += 1_000)
      await log.append(events.slice(i, i + 1_000).map(({ seq: _seq, ...e }) => e));
    await log.close();
    await profile("reading 20,000 events from the file log (row 2)", 10, async () => {
      const reader = await FileEventLogReader.open(dir);
      await reader.read();
      await reader.close();
    });
    const lines = events.map((e) => JSON.stringify(e));
    console.log(
      `the baseline, JSON.parse: ${timed(10, () => lines.map((l) => JSON.parse(l))).toFixed(1)} ms a run`,
    );
  } else if (row === "8") {
    const random = seededRandom(8);
    const sizes = Array.from({ length: 10_000 }, () => 512 + random.int(7_680));
    const content = (i) => seededRandom(1_000 + i).bytes(sizes[i]);
    const engine = imageEngine(10_000, 1, { blobs: new DiskBlobStore(join(dir, "blobs")), content });
    let n = 0;
    const fresh = () => {
      const d = join(dir, `run-${n++}`);
      mkdirSync(d);
      return d;
    };
    const layout = fresh();
    await exportImage(engine, "scale:1", layout, { compression: "none" });
    await profile("export, uncompressed (row 8a)", 3, () =>
      exportImage(engine, "scale:1", fresh(), { compression: "none" }),
    );
    await profile("import, uncompressed (row 8b)", 3, () =>
      importImage(
        createFsEngine({
          clock: simulatedClock(),
          ids: sequentialIds("p"),
          blobs: new DiskBlobStore(fresh()),
        }),
        layout,
      ),
    );
  } else {
    console.error("usage: node packages/bench/profiles/profileRow.mjs 1|2|8");
    process.exitCode = 2;
  }
} finally {
  session.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
