// The cost of an fs snapshot at scale: an image of FILES files (100 per directory) with CONTAINERS
// containers on it, each with one directory of its own. Prints the text's size and the best of RUNS
// timings of encode, JSON.stringify, JSON.parse and decode.
// Run after `pnpm run build`: node packages/fs/scripts/snapshotCost.mjs [FILES] [CONTAINERS] [RUNS]
import {
  decodeFsState,
  emptyTree,
  encodeFsState,
  flatten,
  initialFsState,
  layerTree,
} from "../dist/index.js";

const [files = 100_000, containers = 100, runs = 5] = process.argv.slice(2).map(Number);
const digest = `sha256:${"0".repeat(64)}`;
const entries = [];
for (let d = 0; d < files / 1000; d++) {
  entries.push({ type: "dir", path: `/d${d}`, mode: 0o755, uid: 0, gid: 0, mtime: 0 });
  for (let f = 0; f < 1000; f++)
    entries.push({
      type: "file",
      path: `/d${d}/f${f}`,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: 0,
      digest,
      size: 3,
    });
}
const layerId = `sha256:${"e".repeat(64)}`;
const tree = layerTree(layerId, entries);
const flattened = flatten([tree]);
let state = initialFsState();
state = {
  ...state,
  seq: 1,
  layers: state.layers.set(layerId, tree),
  images: state.images.set("image", { layerIds: [layerId], flattened }),
};
for (let i = 0; i < containers; i++) {
  const upper = emptyTree();
  const own = { ...emptyTree().root, mtime: i };
  const root = { ...upper.root, children: upper.root.children.set(`own${i}`, own) };
  const c = { imageId: "image", lower: flattened, upper: { ...upper, root } };
  state = { ...state, containers: state.containers.set(`c${i}`, c) };
}
const best = { encode: Infinity, stringify: Infinity, parse: Infinity, decode: Infinity };
let text = "";
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const json = encodeFsState(state);
  const t1 = performance.now();
  text = JSON.stringify(json);
  const t2 = performance.now();
  const parsed = JSON.parse(text);
  const t3 = performance.now();
  decodeFsState(parsed);
  const t4 = performance.now();
  best.encode = Math.min(best.encode, t1 - t0);
  best.stringify = Math.min(best.stringify, t2 - t1);
  best.parse = Math.min(best.parse, t3 - t2);
  best.decode = Math.min(best.decode, t4 - t3);
}
const ms = Object.entries(best).map(([k, v]) => `${k} ${v.toFixed(0)} ms`);
console.log(
  `${files} files, ${containers} containers: ${(text.length / 1e6).toFixed(1)} MB; best of ${runs}: ${ms.join(", ")}`,
);
