/**
 * No filesystem command costs more than linear in its path's depth (issue 19.6: `mkdir -p` was cubic).
 * Cost is counted, never timed: the persistent maps count their lookups and updates while a probe is
 * set, and each command is run at depth n and 2n on the same kind of tree. Linear work doubles; a
 * quadratic walk (a lookup from the root per component) quadruples.
 */
import { type Command, type LayerEntry, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, type FsEngine, mapProbe, PATH_MAX } from "@strata/fs";
import { describe, expect, test } from "vitest";

const deep = (n: number, leaf = "") => `/${Array.from({ length: n }, () => "d").join("/")}${leaf}`;

/** An engine with a container on an image whose one layer holds a file at depth `n`. */
function engineWithDeepFile(n: number): FsEngine {
  const engine = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("depth") });
  const layer = `sha256:${"1".repeat(64)}`;
  const entries: LayerEntry[] = [
    {
      type: "file",
      path: deep(n, "/f"),
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: 0,
      digest: engine.putBlob("x"),
      size: 1,
    },
  ];
  for (const c of [
    { type: "layer.create", layerId: layer, entries },
    { type: "image.create", layers: [{ id: layer, parent: null }], tags: ["deep:1"] },
    { type: "container.create", image: "deep:1", name: "box" },
  ] as Command[]) {
    const r = engine.execute(c);
    if (!r.ok) throw r.error;
  }
  return engine;
}

/** Map operations while `run` executes, after `setup` (not counted). */
function cost(
  n: number,
  setup: (engine: FsEngine, n: number) => void,
  command: (n: number) => Command,
): number {
  const engine = engineWithDeepFile(n);
  setup(engine, n);
  const counter = { gets: 0, sets: 0 };
  mapProbe.counter = counter;
  try {
    const r = engine.execute(command(n));
    if (!r.ok) throw r.error;
  } finally {
    mapProbe.counter = undefined;
  }
  return counter.gets + counter.sets;
}

const none = () => {};
const cases: [string, (engine: FsEngine, n: number) => void, (n: number) => Command][] = [
  [
    "mkdir -p of a new path",
    none,
    (n) => ({ type: "fs.mkdir", container: "box", path: deep(n, "/new"), parents: true }),
  ],
  [
    "mkdir -p whose every component is new",
    none,
    (n) => ({ type: "fs.mkdir", container: "box", path: `/n${deep(n)}`, parents: true }),
  ],
  [
    "write of a lower file (copy-up of every ancestor)",
    none,
    (n) => ({ type: "fs.writeFile", container: "box", path: deep(n, "/f"), content: "y" }),
  ],
  [
    "chmod of a lower file (copy-up of every ancestor)",
    none,
    (n) => ({ type: "fs.chmod", container: "box", path: deep(n, "/f"), mode: 0o600 }),
  ],
  [
    "a new file beside a lower one",
    none,
    (n) => ({ type: "fs.writeFile", container: "box", path: deep(n, "/g"), content: "z" }),
  ],
  [
    "a write through symlinks to the bottom",
    (engine, n) => {
      engine.execute({ type: "fs.symlink", container: "box", path: "/s", target: deep(n) });
    },
    () => ({ type: "fs.writeFile", container: "box", path: "/s/h", content: "w" }),
  ],
  [
    "rename at the bottom",
    none,
    (n) => ({ type: "fs.rename", container: "box", from: deep(n, "/f"), to: deep(n, "/f2") }),
  ],
  ["unlink at the bottom", none, (n) => ({ type: "fs.unlink", container: "box", path: deep(n, "/f") })],
  [
    "a path with .. all the way up and down again",
    none,
    (n) => ({
      type: "fs.writeFile",
      container: "box",
      path: `${deep(n)}/${Array.from({ length: n }, () => "..").join("/")}${deep(n, "/u")}`,
      content: "u",
    }),
  ],
  [
    "a layer with an entry at depth n",
    none,
    (n) => ({
      type: "layer.create",
      layerId: `sha256:${"2".repeat(64)}`,
      entries: [{ type: "dir", path: deep(n, "/x"), mode: 0o755, uid: 0, gid: 0, mtime: 0 }],
    }),
  ],
];

describe("no command costs more than linear in its path's depth (counted map operations)", () => {
  for (const [name, setup, command] of cases) {
    test(name, () => {
      const n = 200;
      const once = cost(n, setup, command);
      const twice = cost(2 * n, setup, command);
      expect(once).toBeGreaterThan(n / 2); // it does walk the path
      // Linear: about 2× (plus a constant); a quadratic walk would be about 4×.
      expect(twice / once, `${once} map operations at depth ${n}, ${twice} at ${2 * n}`).toBeLessThan(2.5);
    });
  }

  test("a path argument of PATH_MAX bytes or more is ENAMETOOLONG, before any walk", () => {
    const engine = engineWithDeepFile(1);
    // "/d" repeated: 4094 bytes is accepted (deepest mkdir -p allowed), 4096 is refused up front.
    const ok = engine.execute({ type: "fs.mkdir", container: "box", path: deep(2047), parents: true });
    expect(ok.ok).toBe(true);
    const counter = { gets: 0, sets: 0 };
    mapProbe.counter = counter;
    const r = engine.execute({ type: "fs.mkdir", container: "box", path: `${deep(2047)}/e`, parents: true });
    mapProbe.counter = undefined;
    expect(r.ok || r.error.code).toBe("ENAMETOOLONG");
    expect(counter.gets + counter.sets, "no walk: at most the container's own lookup").toBeLessThan(5);
    expect(Buffer.byteLength(`${deep(2047)}/e`)).toBeGreaterThanOrEqual(PATH_MAX);
  });
});
