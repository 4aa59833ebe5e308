/**
 * Properties of `docker cp`'s two halves, in process (no CLI), with GNU tar as the real tool on the
 * other side:
 *
 * - any tree GNU tar archives, extracted into a container, is in the container's union view as it was
 *   on disk (types, bytes, modes with setuid/setgid/sticky, owners, times, link targets, hard links);
 *   and the archive the server makes of it, extracted by GNU tar, gives the same tree back;
 * - any archive, however hostile its names and links: the answer is a typed error or success, never a
 *   crash; an archive refused for what it holds changes nothing; a name leaving the destination is
 *   always refused; without symlinks in the archive, nothing outside the destination changes.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { StrataError } from "@strata/core";
import {
  archiveContainerPath,
  DockerApiError,
  extractToContainer,
  goTarHeader,
  TAR_END,
  tarPadding,
} from "@strata/docker";
import { type DurableEngine, openEngine } from "@strata/engine";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seedImage } from "./support/served.js";

const RUNS = Number(process.env.STRATA_DOCKER_RUNS ?? 100);

let engine: DurableEngine;
let scratch: string;
let containers = 0;
beforeAll(async () => {
  engine = await openEngine({ location: "memory:" });
  await seedImage(engine);
  scratch = mkdtempSync(join(tmpdir(), "strata-cp-"));
});
afterAll(async () => {
  await engine.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh container with an empty directory `/dst`. */
async function freshContainer(): Promise<string> {
  const name = `cp${++containers}`;
  const r = await engine.execute({ type: "container.create", image: "alpine", name });
  if (!r.ok) throw r.error;
  const m = await engine.execute({ type: "fs.mkdir", container: name, path: "/dst", mode: 0o755 });
  if (!m.ok) throw m.error;
  return name;
}

const extract = (container: string, tar: Buffer, path = "/dst") =>
  extractToContainer(engine, {
    container,
    path,
    copyUIDGID: false,
    noOverwriteDirNonDir: true,
    body: Readable.from([tar]),
    limit: 64 * 1024 * 1024,
  });

// --- trees ---

type Node =
  | { kind: "dir"; mode: number; uid: number; gid: number; mtime: number; children: [string, Node][] }
  | { kind: "file"; mode: number; uid: number; gid: number; mtime: number; content: Uint8Array }
  | { kind: "symlink"; uid: number; gid: number; mtime: number; target: string }
  | { kind: "hardlink"; to: number };

const NAMES = ["a", "b", "c d", "é", "x.y", "long".repeat(20), ".hidden", ".wh.file"];
const meta = {
  uid: fc.constantFrom(0, 1, 1000, 65534, 123456),
  gid: fc.constantFrom(0, 1, 1000, 65534, 654321),
  mtime: fc.integer({ min: 0, max: 2_000_000_000 }).map((s) => s * 1000),
};
const { tree } = fc.letrec<{ tree: Node; node: Node }>((tie) => ({
  tree: fc.record({
    kind: fc.constant("dir" as const),
    mode: fc.integer({ min: 0o700, max: 0o7777 }),
    ...meta,
    children: fc.uniqueArray(fc.tuple(fc.constantFrom(...NAMES), tie("node")), {
      maxLength: 4,
      selector: ([n]) => n,
    }),
  }),
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({
      kind: fc.constant("file" as const),
      mode: fc.integer({ min: 0, max: 0o7777 }),
      ...meta,
      content: fc.uint8Array({ maxLength: 600 }),
    }),
    fc.record({
      kind: fc.constant("symlink" as const),
      ...meta,
      target: fc.constantFrom("a", "../b", "/etc/hostname", "é/x", "nowhere"),
    }),
    fc.record({ kind: fc.constant("hardlink" as const), to: fc.nat() }),
    tie("tree"),
  ),
}));

/** Writes `node` at `path`; hard links link to the n-th file written before them (or become files). */
function materialize(
  node: Node,
  path: string,
  files: string[],
  dirs: [string, Node & { kind: "dir" }][],
): void {
  switch (node.kind) {
    case "dir":
      mkdirSync(path);
      for (const [name, child] of node.children) materialize(child, join(path, name), files, dirs);
      chownSync(path, node.uid, node.gid);
      chmodSync(path, node.mode);
      dirs.push([path, node]);
      return;
    case "file":
      writeFileSync(path, node.content);
      chownSync(path, node.uid, node.gid);
      chmodSync(path, node.mode);
      utimesSync(path, node.mtime / 1000, node.mtime / 1000);
      files.push(path);
      return;
    case "symlink":
      symlinkSync(node.target, path);
      execFileSync("chown", ["-h", `${node.uid}:${node.gid}`, path]);
      lutimesSync(path, node.mtime / 1000, node.mtime / 1000);
      return;
    case "hardlink":
      if (files.length > 0) linkSync(files[node.to % files.length] as string, path);
      else {
        writeFileSync(path, "");
        utimesSync(path, 0, 0);
      }
      return;
  }
}

interface Seen {
  type: string;
  mode?: number;
  uid: number;
  gid: number;
  mtime: number;
  content?: string;
  target?: string;
  /** The first path (in walk order) of the same inode, for names of one inode. */
  sameAs?: string;
}

/** A tree on disk, path by path (relative), in byte order. */
function onDisk(root: string): Map<string, Seen> {
  const out = new Map<string, Seen>();
  const inodes = new Map<number, string>();
  const visit = (rel: string) => {
    const path = join(root, rel);
    const s = lstatSync(path);
    const type = s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : "file";
    const seen: Seen = { type, uid: s.uid, gid: s.gid, mtime: Math.floor(s.mtimeMs / 1000) * 1000 };
    if (type !== "symlink") seen.mode = s.mode & 0o7777;
    if (type === "symlink") seen.target = readlinkSync(path);
    if (type === "file") {
      seen.content = readFileSync(path).toString("base64");
      if (s.nlink > 1) {
        const first = inodes.get(s.ino);
        if (first === undefined) inodes.set(s.ino, rel);
        else seen.sameAs = first;
      }
    }
    out.set(rel, seen);
    if (type === "dir")
      for (const name of readdirSync(path).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))))
        visit(rel === "." ? name : `${rel}/${name}`);
  };
  visit(".");
  return out;
}

/** The same, in a container's union view under `root`. */
function inContainer(container: string, root: string): Map<string, Seen> {
  const out = new Map<string, Seen>();
  const inodes = new Map<string, string>();
  for (const e of engine.view(container).walk(root)) {
    const rel = e.path === root ? "." : e.path.slice(root.length + 1);
    const seen: Seen = { type: e.type, uid: e.uid, gid: e.gid, mtime: e.mtime };
    if (e.type !== "symlink") seen.mode = e.mode & 0o7777;
    if (e.type === "symlink") seen.target = e.target ?? "";
    if (e.type === "file") {
      seen.content = Buffer.from(engine.view(container).readFile(e.path)).toString("base64");
      if ((e.nlink ?? 1) > 1 && e.ino !== undefined) {
        const first = inodes.get(e.ino);
        if (first === undefined) inodes.set(e.ino, rel);
        else seen.sameAs = first;
      }
    }
    out.set(rel, seen);
  }
  return out;
}

describe("docker cp round trips through GNU tar", () => {
  test("a tree GNU tar archives arrives in the container as it was on disk, and comes back out the same", async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (t) => {
        const dir = mkdtempSync(join(scratch, "src-"));
        try {
          const dirs: [string, Node & { kind: "dir" }][] = [];
          materialize(t, join(dir, "r"), [], dirs);
          for (const [path, node] of dirs) utimesSync(path, node.mtime / 1000, node.mtime / 1000);
          const expected = onDisk(join(dir, "r"));
          const tar = execFileSync("tar", ["--format=pax", "--numeric-owner", "-C", dir, "-cf", "-", "r"], {
            maxBuffer: 64 * 1024 * 1024,
          });
          const container = await freshContainer();
          await extract(container, tar);
          expect(inContainer(container, "/dst/r")).toEqual(expected);
          // And out again: GNU tar extracts what the server archives.
          const archive = await archiveContainerPath(engine, engine.view(container), "/dst/r", container);
          const chunks: Buffer[] = [];
          for await (const c of archive.tar) chunks.push(c);
          const out = mkdtempSync(join(scratch, "out-"));
          execFileSync(
            "tar",
            ["-xpf", "-", "--same-owner", "--numeric-owner", "--warning=no-timestamp", "-C", out],
            {
              input: Buffer.concat(chunks),
            },
          );
          expect(onDisk(join(out, "r"))).toEqual(expected);
          rmSync(out, { recursive: true, force: true });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// --- hostile archives ---

const segment = fc.oneof(
  { arbitrary: fc.constantFrom("a", "b", "d"), weight: 8 },
  { arbitrary: fc.constant(".."), weight: 2 },
  { arbitrary: fc.constantFrom(".", ""), weight: 1 },
);
const hostileName = fc
  .tuple(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 4 }))
  .map(([abs, parts]) => `${abs ? "/" : ""}${parts.join("/")}`);
const hostileEntry = fc.record({
  name: hostileName,
  type: fc.constantFrom("file", "dir", "symlink", "link") as fc.Arbitrary<
    "file" | "dir" | "symlink" | "link"
  >,
  target: hostileName,
  mode: fc.integer({ min: 0, max: 0o7777 }),
});

const PLAN_REFUSALS = /is outside of|^invalid symlink|^invalid hardlink|^archive\/tar|not UTF-8|^mknod/;

/** Go's `filepath.Clean` of a relative name, enough to tell whether it leaves the directory. */
function leaves(name: string): boolean {
  const out: string[] = [];
  for (const part of name.replace(/^\/+/, "").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return true;
      out.pop();
    } else out.push(part);
  }
  return false;
}

describe("hostile archives", () => {
  test("a typed answer; refused for what it holds: nothing changes; no escape from the destination without links", async () => {
    const outcomes = { accepted: 0, refused: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(hostileEntry, { minLength: 1, maxLength: 6 }), async (entries) => {
        const container = await freshContainer();
        const parts: Buffer[] = [];
        for (const e of entries) {
          const content = Buffer.from(e.type === "file" ? "x" : "");
          parts.push(
            goTarHeader({
              name: e.type === "dir" ? `${e.name.replace(/\/+$/, "")}/` : e.name,
              type: e.type,
              mode: e.mode,
              uid: 0,
              gid: 0,
              size: content.length,
              mtime: 0,
              ...(e.type === "symlink" || e.type === "link" ? { linkname: e.target } : {}),
            }),
            content,
            tarPadding(content.length),
          );
        }
        parts.push(TAR_END);
        const before = engine.seq;
        let error: unknown = null;
        try {
          await extract(container, Buffer.concat(parts));
        } catch (e) {
          error = e;
        }
        outcomes[
          error === null ? "accepted" : PLAN_REFUSALS.test((error as Error).message) ? "refused" : "failed"
        ]++;
        if (error !== null) {
          expect(error instanceof DockerApiError || error instanceof StrataError, String(error)).toBe(true);
          if (PLAN_REFUSALS.test((error as Error).message)) expect(engine.seq).toBe(before);
        }
        if (entries.some((e) => leaves(e.name)))
          expect((error as Error | null)?.message).toMatch(PLAN_REFUSALS);
        if (error === null && entries.every((e) => e.type !== "symlink"))
          for (const change of engine.now().diff(container))
            expect(
              change.path === "/dst" ||
                change.path.startsWith("/dst/") ||
                ((change.path === "/" || change.path === "/tmp") && change.kind === "C"),
              `${change.kind} ${change.path}`,
            ).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
    // The generator reaches each outcome (a change that loses one would test less than it says).
    expect(
      Object.values(outcomes).every((n) => n > 0),
      JSON.stringify(outcomes),
    ).toBe(true);
  });
});
