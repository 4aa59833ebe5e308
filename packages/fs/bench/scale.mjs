// Shape-for-scale measurements of the fs model (docs/fs-model.md, "Scale"): each line prints a ratio
// against a baseline measured in the same run, so the numbers mean something on a noisy machine.
// Run: pnpm bench   (or: pnpm build && node --expose-gc packages/fs/bench/scale.mjs [--json])
import { sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine } from "@strata/fs";

const gc = globalThis.gc ?? (() => {});
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** An image of `files` files spread over `layers` layers (directories of 1,000 files). */
function image(files, layers) {
  const e = createFsEngine({ clock: simulatedClock(), ids: sequentialIds(`scale-${files}-${layers}`) });
  const digest = e.putBlob("x");
  const perLayer = Math.ceil(files / layers);
  const ids = [];
  for (let l = 0; l < layers; l++) {
    const layerId = `sha256:${(l + 1).toString(16).padStart(64, "0")}`;
    const entries = [];
    const dirs = new Set();
    for (let i = l * perLayer; i < Math.min(files, (l + 1) * perLayer); i++) {
      const dir = `/d${Math.floor(i / 1000)}`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ type: "dir", path: dir, mode: 0o755, uid: 0, gid: 0, mtime: 0 });
      }
      entries.push({
        type: "file",
        path: `${dir}/f${i}`,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        digest,
        size: 1,
      });
    }
    const r = e.execute({ type: "layer.create", layerId, entries });
    if (!r.ok) throw r.error;
    ids.push(layerId);
  }
  const r = e.execute({
    type: "image.create",
    layers: ids.map((id, i) => ({ id, parent: ids[i - 1] ?? null })),
    tags: ["scale:1"],
  });
  if (!r.ok) throw r.error;
  return e;
}

function time(f, repeat = 1) {
  const start = performance.now();
  for (let i = 0; i < repeat; i++) f(i);
  return (performance.now() - start) / repeat;
}

const rows = [];
const report = (measure, ratio, target, detail) =>
  rows.push({ measure, ratio: Number(ratio.toFixed(3)), target, detail });

// 1. Lookup at 100 layers vs 1 layer, same 100,000 files.
{
  const deep = image(100_000, 100);
  const flat = image(100_000, 1);
  const paths = Array.from(
    { length: 20_000 },
    (_, i) => `/d${(i * 7919) % 100}/f${((i * 7919) % 100) * 1000 + (i % 1000)}`,
  );
  const vDeep = deep.view("scale:1");
  const vFlat = flat.view("scale:1");
  const statAll = (v) => () => {
    for (const p of paths) v.stat(p);
  };
  time(statAll(vDeep)); // warm up
  time(statAll(vFlat));
  const tDeep = time(statAll(vDeep), 3);
  const tFlat = time(statAll(vFlat), 3);
  report(
    "union lookup, 100 layers / 1 layer (100,000 files)",
    tDeep / tFlat,
    "<= 1.5",
    `${((tDeep / paths.length) * 1e3).toFixed(2)} µs vs ${((tFlat / paths.length) * 1e3).toFixed(2)} µs per stat`,
  );
}

// 2. A write (which is also the new snapshot) in a container over 100,000 files vs 1,000 files.
function writes(e, n) {
  const r = e.execute({ type: "container.create", image: "scale:1", name: `w${e.log.lastSeq}` });
  if (!r.ok) throw r.error;
  const name = r.events[0].data.name;
  return time((i) => {
    const w = e.execute({
      type: "fs.writeFile",
      container: name,
      path: `/d0/f${i % 1000}`,
      content: `v${i}`,
    });
    if (!w.ok) throw w.error;
  }, n);
}
{
  const big = image(100_000, 100);
  const small = image(1_000, 10);
  writes(big, 200);
  writes(small, 200);
  const tBig = writes(big, 2_000);
  const tSmall = writes(small, 2_000);
  report(
    "write + snapshot, container on 100,000 files / on 1,000 files",
    tBig / tSmall,
    "<= 2",
    `${(tBig * 1e3).toFixed(1)} µs vs ${(tSmall * 1e3).toFixed(1)} µs per write`,
  );
}

// 3. Heap of 1,000 containers with 10 writes each on a 100,000-file image vs the image alone.
{
  const before = heap();
  const e = image(100_000, 100);
  const imageAlone = heap() - before;
  for (let c = 0; c < 1_000; c++) {
    const r = e.execute({ type: "container.create", image: "scale:1", name: `c${c}` });
    if (!r.ok) throw r.error;
    for (let i = 0; i < 10; i++) {
      const w = e.execute({
        type: "fs.writeFile",
        container: `c${c}`,
        path: `/d${(c + i) % 100}/f${((c + i) % 100) * 1000 + i}`,
        content: `c${c}-${i}`,
      });
      if (!w.ok) throw w.error;
    }
  }
  const withContainers = heap() - before;
  report(
    "heap, image + 1,000 containers x 10 writes / image alone",
    withContainers / imageAlone,
    "<= 1.3",
    `${(withContainers / 2 ** 20).toFixed(0)} MiB vs ${(imageAlone / 2 ** 20).toFixed(0)} MiB (includes the event log)`,
  );
}

// 4. Commit of 10 changes on a 100,000-file image vs a 1,000-file image.
function commitTime(e, tag) {
  return time((i) => {
    const name = `k${i}`;
    e.execute({ type: "container.create", image: "scale:1", name });
    for (let j = 0; j < 10; j++)
      e.execute({ type: "fs.writeFile", container: name, path: `/d0/f${j}`, content: `k${i}-${j}` });
    const t0 = performance.now();
    const r = e.execute({ type: "container.commit", container: name, tag: `${tag}:${i}` });
    if (!r.ok) throw r.error;
    commitTime.total = (commitTime.total ?? 0) + (performance.now() - t0);
  }, 50);
}
{
  const big = image(100_000, 100);
  const small = image(1_000, 10);
  commitTime.total = 0;
  commitTime(big, "big");
  const tBig = commitTime.total / 50;
  commitTime.total = 0;
  commitTime(small, "small");
  const tSmall = commitTime.total / 50;
  report(
    "commit of 10 changes, 100,000-file image / 1,000-file image",
    tBig / tSmall,
    "<= 2",
    `${tBig.toFixed(2)} ms vs ${tSmall.toFixed(2)} ms per commit`,
  );
}

if (process.argv.includes("--json")) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`node ${process.version}, ${(await import("node:os")).cpus().length} cores`);
  for (const r of rows)
    console.log(
      `${r.ratio.toFixed(3).padStart(8)}  (target ${r.target.padEnd(6)})  ${r.measure}: ${r.detail}`,
    );
}
