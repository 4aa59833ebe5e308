/**
 * End to end: the built `strata` binary against temporary log directories.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { main, makeProgressBar } from "@strata/cli";
import { FileEventLog } from "@strata/store";
import { beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const BIN = new URL("../dist/bin.js", import.meta.url).pathname;
const tmp = tempDirs("strata-cli-");
beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`the e2e tests run the built binary: run pnpm build first (${BIN} is missing)`);
});

/** docker's `--format json`: one object a line. */
function jsonLines(out: string): unknown[] {
  return out
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

function strata(log: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "--log", log, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("strata", () => {
  test("demo leaves a log the other commands read: ps, images, diff, cat at a past seq, events, log verify", () => {
    const log = join(tmp(), "log");
    const demo = strata(log, "demo");
    expect(demo.code, demo.err).toBe(0);
    expect(demo.out).toContain("$ oci export demo/web:2");
    // docker's --format json: one object a line, docker's keys
    const ps = jsonLines(strata(log, "ps", "-a", "--format", "json").out);
    expect(ps).toMatchObject([
      { Names: "web", State: "exited", Status: expect.stringMatching(/^Exited \(0\) /) },
    ]);
    expect(strata(log, "ps").out.trim().split("\n")).toHaveLength(1); // header only: nothing running
    expect(strata(log, "ps", "-aq").out).toMatch(/^[0-9a-f]{12}\n$/);
    expect(strata(log, "diff", "web").out).toContain(
      "D /etc/nginx/conf.d/default.conf\nA /etc/nginx/conf.d/site.conf",
    );
    const events = JSON.parse(strata(log, "log", "events", "--format", "json").out) as {
      seq: number;
      type: string;
    }[];
    const firstWrite = events.find((e) => e.type === "fs.fileWritten")?.seq as number;
    expect(strata(log, "cat", `web@${firstWrite - 1}`, "/usr/share/nginx/html/index.html").out).toBe(
      "<h1>It works</h1>\n",
    );
    expect(strata(log, "cat", "web", "/usr/share/nginx/html/index.html").out).toBe(
      "<h1>Hello from Strata</h1>\n",
    );
    const listed = JSON.parse(strata(log, "ls", "web", "/etc/nginx", "--format", "json").out) as {
      name: string;
    }[];
    expect(listed.map((r) => r.name)).toEqual(["conf.d", "nginx.conf"]);
    const single = JSON.parse(strata(log, "ls", "web", "/etc/nginx/nginx.conf", "--format", "json").out);
    expect(single).toMatchObject([{ name: "/etc/nginx/nginx.conf", type: "file" }]);
    expect(strata(log, "ls", "web", "/nope").code).toBe(1);
    expect(strata(log, "log", "verify").out).toMatch(/^ok: \d+ events, head [0-9a-f]{64}/);
    const [inspected] = JSON.parse(strata(log, "inspect", "web").out);
    expect(inspected).toMatchObject({ Name: "/web", State: { Status: "exited", Running: false } });
    // time travel: the server's /strata/at/SEQ paths
    const [then] = JSON.parse(strata(log, "inspect", `web@${firstWrite - 1}`).out);
    expect(then.State).toMatchObject({ Status: "running", Running: true });
    expect(strata(log, "inspect", "-f", "{{.State.Status}}", `web@${firstWrite - 1}`, "web").out).toBe(
      "running\nexited\n",
    );
    expect(strata(log, "inspect", "nope")).toMatchObject({
      code: 1,
      out: "[]\n",
      err: "Error: No such object: nope\n",
    });
    expect(strata(log, "inspect", "web@99999")).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^Error response from daemon: No such event: 99999/),
    });
  });

  test("run applies a script line by line; a failing line is reported and changes nothing", () => {
    const log = join(tmp(), "log");
    const script = join(tmp(), "script.jsonl");
    writeFileSync(
      script,
      [
        JSON.stringify({ type: "image.create", layers: [], tags: ["scratch:1"] }),
        JSON.stringify({ type: "container.create", image: "scratch:1", name: "job" }),
        JSON.stringify({ type: "container.stop", container: "job" }),
        "{not json",
        JSON.stringify({ type: "container.start", container: "job" }),
      ].join("\n"),
    );
    const r = strata(log, "apply", script);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "line 3: container.stop: Error response from daemon: container is already stopped",
    );
    expect(r.err).toContain("line 4: not JSON");
    expect(r.out).toContain("line 5: container.start: 1 event(s)");
    expect(jsonLines(strata(log, "ps", "--format", "json").out)).toMatchObject([
      { Names: "job", State: "running" },
    ]);
  });

  test("export and import round-trip an image between two logs", () => {
    const a = join(tmp(), "a");
    const b = join(tmp(), "b");
    expect(strata(a, "demo").code).toBe(0);
    const archive = join(tmp(), "web.tar");
    expect(strata(a, "oci", "export", "demo/web:2", archive).code).toBe(0);
    const imported = strata(b, "oci", "import", archive, "--tag", "copy/web:2");
    expect(imported.code, imported.err).toBe(0);
    expect(strata(b, "cat", "copy/web:2", "/etc/nginx/conf.d/site.conf").out).toBe(
      "server { listen 8080; }\n",
    );
  });

  test("a refused import leaves no content in the blob store, and says which layer and entry, plainly", () => {
    const a = join(tmp(), "a");
    expect(strata(a, "demo").code).toBe(0);
    const layout = join(tmp(), "layout");
    expect(strata(a, "oci", "export", "demo/web:2", layout).code).toBe(0);
    // Damage the top layer: cut its blob short (its descriptor's size is made to match).
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    const blob = (d: string) => join(layout, "blobs", "sha256", d.slice(7));
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), "utf8"));
    const top = manifest.layers.at(-1);
    const cut = readFileSync(blob(top.digest)).subarray(0, 40);
    writeFileSync(blob(top.digest), cut);
    top.size = cut.length;
    const manifestText = JSON.stringify(manifest);
    const digest = `sha256:${createHash("sha256").update(manifestText).digest("hex")}`;
    writeFileSync(blob(digest), manifestText);
    index.manifests = [{ ...index.manifests[0], digest, size: Buffer.byteLength(manifestText) }];
    writeFileSync(join(layout, "index.json"), JSON.stringify(index));
    const b = join(tmp(), "b");
    const r = strata(b, "oci", "import", layout, "--tag", "copy/web:2");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error: layer 3 \(sha256:[0-9a-f]{64}\)(, tar entry \d+ "[^"]*")?: /);
    const blobs = join(b, "blobs", "sha256");
    expect(existsSync(blobs) ? readdirSync(blobs) : []).toEqual([]);
  });

  test("errors: Docker's wording on stderr and documented exit codes", () => {
    const log = join(tmp(), "log");
    // As docker: an unknown command or the wrong number of arguments is 1, a bad flag 125.
    expect(strata(log, "frobnicate")).toMatchObject({
      code: 1,
      err: "strata: unknown command: strata frobnicate\n\nRun 'strata --help' for more information\n",
    });
    expect(strata(log, "cat").code).toBe(1);
    expect(strata(log, "stop")).toMatchObject({
      code: 1,
      err: "strata: 'strata stop' requires at least 1 argument\n\nUsage:  strata stop [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'strata stop --help' for more information\n",
    });
    expect(strata(log, "ps", "--bogus")).toMatchObject({
      code: 125,
      err: expect.stringMatching(/^unknown flag: --bogus\n\nUsage: {2}strata ps/),
    });
    expect(strata(log, "demo").code).toBe(0);
    expect(strata(log, "cat", "nope", "/x")).toMatchObject({
      code: 1,
      err: "Error response from daemon: No such container or image: nope\n",
    });
    const beyond = strata(log, "cat", "web@100000", "/etc/hostname");
    expect(beyond.code).toBe(1);
    expect(beyond.err).toMatch(
      /^Error response from daemon: No such event: 100000 \(the log has events 1 to \d+/,
    );
    expect(strata(log, "replay", "--at", "-3").code).toBe(1);
    // Missing inputs are named, never a stack trace; no daemon answers for a file the CLI reads itself.
    expect(strata(log, "oci", "import", "/nonexistent/image.tar")).toMatchObject({
      code: 1,
      err: "Error: cannot read /nonexistent/image.tar: ENOENT\n",
    });
    expect(strata(log, "apply", "/nonexistent/script.jsonl").err).toMatch(
      /^strata apply: cannot read \/nonexistent\/script\.jsonl: ENOENT/,
    );
    expect(strata(log, "replay", "/nonexistent/log").code).toBe(1);
    const replayed = spawnSync(process.execPath, [BIN, "replay", log, "--at", "3", "--format", "json"], {
      encoding: "utf8",
    });
    expect(JSON.parse(replayed.stdout)).toMatchObject({ seq: 3 });
    const segs = join(log, "events", "segments");
    const file = join(segs, readdirSync(segs)[0] as string);
    const bytes = readFileSync(file);
    bytes[100] = (bytes[100] as number) ^ 0xff;
    writeFileSync(file, bytes);
    const damaged = strata(log, "log", "verify");
    expect(damaged.code).toBe(3);
    expect(damaged.err).toMatch(/at byte \d+ \(seq 1\)/);
  });

  test("graph draws the layer stack with whiteouts marked and the current lifecycle state, as SVG or Mermaid", () => {
    const log = join(tmp(), "log");
    expect(strata(log, "demo").code).toBe(0);
    const file = join(tmp(), "web.svg");
    expect(strata(log, "graph", "web", "-o", file).code).toBe(0);
    const svg = readFileSync(file, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("✗ /etc/nginx/conf.d/default.conf");
    expect(svg).toContain("read-write layer of web");
    expect(svg).toMatch(/fill="#fff" font-weight="bold">exited</);
    const mermaid = strata(log, "graph", "web", "--format", "mermaid").out;
    expect(mermaid).toContain("stateDiagram-v2");
    expect(mermaid).toContain("class exited current");
    const events = JSON.parse(strata(log, "log", "events", "--format", "json").out) as {
      seq: number;
      type: string;
    }[];
    const started = events.find((e) => e.type === "container.started")?.seq as number;
    expect(strata(log, "graph", `web@${started}`, "--format", "mermaid").out).toContain(
      "class running current",
    );
    expect(strata(log, "graph", "demo/web:1", "--format", "mermaid").out).not.toContain("stateDiagram");
  });

  test("oci import takes a directory as a layout and any other file as an archive, a gzip'd one too", () => {
    const a = join(tmp(), "a");
    expect(strata(a, "demo").code).toBe(0);
    const archive = join(tmp(), "web.tar");
    expect(strata(a, "oci", "export", "demo/web:2", archive, "--format", "docker").code).toBe(0);
    // Regression: any name not ending in .tar was taken for a directory (ENOTDIR: stat 'save.tar.gz/oci-layout').
    const gz = join(tmp(), "save.tar.gz");
    writeFileSync(gz, gzipSync(readFileSync(archive)));
    const b = join(tmp(), "b");
    const imported = strata(b, "oci", "import", gz);
    expect(imported.code, imported.err).toBe(0);
    expect(strata(b, "cat", "demo/web:2", "/etc/nginx/conf.d/site.conf").out).toBe(
      "server { listen 8080; }\n",
    );
    const dir = join(tmp(), "layout.d");
    expect(strata(a, "oci", "export", "demo/web:2", dir).code).toBe(0);
    expect(strata(join(tmp(), "c"), "oci", "import", dir).code).toBe(0);
  });

  test("a group's --help lists its commands, as the group alone does (regression: unknown command)", () => {
    const log = join(tmp(), "log");
    const alone = strata(log, "oci");
    expect(alone.code).toBe(0);
    expect(alone.out).toMatch(/^\nUsage: {2}strata oci COMMAND\n/);
    for (const flag of ["--help", "-h"])
      expect(strata(log, "oci", flag)).toMatchObject({ code: 0, out: alone.out });
    expect(strata(log, "log", "--help")).toMatchObject({ code: 0, out: expect.stringContaining("verify") });
  });

  test("every command has --help", () => {
    const log = join(tmp(), "log");
    const top = strata(log, "--help").out;
    const names = [...top.matchAll(/^ {2}([a-z]\S*(?: [a-z]\S*)?) {2,}/gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names)
      expect(strata(log, name, "--help").out).toMatch(new RegExp(`^\nUsage: {2}strata ${name}`));
  });
});

/** Resolves once `child` printed `lines` lines on stdout. */
function lines(child: ChildProcess, count: number): { done: Promise<string[]>; text: () => string } {
  let text = "";
  const done = new Promise<string[]>((resolve, reject) => {
    child.stdout?.on("data", (c: Buffer) => {
      text += c.toString("utf8");
      const all = text.split("\n").filter((l) => l !== "");
      if (all.length >= count) resolve(all);
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} after: ${text}`)));
  });
  return { done, text: () => text };
}

describe("output", () => {
  test("a large output through a pipe arrives whole (the process does not exit before stdout drains)", () => {
    const log = join(tmp(), "log");
    const script = join(tmp(), "many.jsonl");
    writeFileSync(
      script,
      Array.from({ length: 1500 }, (_, i) =>
        JSON.stringify({ type: "image.create", layers: [], tags: [`img:${i}`], cmd: ["x".repeat(2000)] }),
      ).join("\n"),
    );
    expect(strata(log, "apply", script).code).toBe(0);
    const r = spawnSync(process.execPath, [BIN, "log", "events", "--format", "json", "--log", log], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    });
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(2 * 1024 * 1024); // far more than a pipe's buffer
    const events = JSON.parse(r.stdout) as { seq: number }[];
    expect(events).toHaveLength(3000);
  });
});

describe("strata beside a writer", () => {
  test("a follower whose reader goes away (| head) ends quietly with code 0", async () => {
    const log = join(tmp(), "log");
    const s = join(tmp(), "s.jsonl");
    writeFileSync(s, JSON.stringify({ type: "image.create", layers: [], tags: ["x:1"] }));
    expect(strata(log, "apply", s).code).toBe(0);
    const follower = spawn(process.execPath, [BIN, "log", "events", "--follow", "--log", log]);
    let err = "";
    follower.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    await new Promise<void>((resolve) => follower.stdout.once("data", () => resolve()));
    follower.stdout.destroy(); // the reader is gone: the next write gets EPIPE
    const more = join(tmp(), "more.jsonl");
    writeFileSync(more, JSON.stringify({ type: "image.create", layers: [], tags: ["y:1"] }));
    expect(strata(log, "apply", more).code).toBe(0);
    const code = await new Promise((r) => follower.once("exit", r));
    expect(code).toBe(0);
    expect(err).toBe("");
  });

  const script = (path: string, n: number, from = 0) =>
    writeFileSync(
      path,
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({ type: "image.create", layers: [], tags: [`img:${from + i}`] }),
      ).join("\n"),
    );

  test("events --follow prints what another strata appends, in order, and stops on SIGTERM or at --until", async () => {
    const log = join(tmp(), "log");
    const first = join(tmp(), "first.jsonl");
    const second = join(tmp(), "second.jsonl");
    script(first, 3);
    script(second, 40, 3);
    expect(strata(log, "apply", first).code).toBe(0);
    const before = JSON.parse(strata(log, "log", "events", "--format", "json").out) as unknown[];
    const follower = spawn(process.execPath, [
      BIN,
      "log",
      "events",
      "--follow",
      "--format",
      "json",
      "--log",
      log,
    ]);
    const seen = lines(follower, before.length);
    await seen.done; // it printed what was there; now another strata appends
    const appended = strata(log, "apply", second);
    expect(appended.code, appended.err).toBe(0);
    const all = JSON.parse(strata(log, "log", "events", "--format", "json").out) as { seq: number }[];
    expect(all.length).toBeGreaterThan(before.length);
    await new Promise<void>((resolve) => {
      const check = () =>
        seen.text().trim().split("\n").length >= all.length ? resolve() : setTimeout(check, 20);
      check();
    });
    follower.kill("SIGTERM");
    const code = await new Promise((r) => follower.once("exit", r));
    expect(code).toBe(0);
    const printed = seen
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(printed).toEqual(all);
    // --until stops by itself
    const until = strata(log, "log", "events", "--follow", "--since", "2", "--until", "4");
    expect(until.code).toBe(0);
    expect(
      until.out
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["#2", "#3", "#4"]);
  }, 60_000);

  test("commands run while another process has the log open for writing; writers take turns", async () => {
    const log = join(tmp(), "log");
    const s = join(tmp(), "s.jsonl");
    script(s, 2);
    expect(strata(log, "apply", s).code).toBe(0);
    const writer = await FileEventLog.open(join(log, "events"));
    try {
      expect(strata(log, "ps", "-a").code).toBe(0);
      expect(strata(log, "log", "events").out).toMatch(/^#2 /m);
      // Two more processes write at the same time while this one has the log open: all go in, in turn.
      const scripts = ["one", "two"].map((n) => {
        const file = join(tmp(), `${n}.jsonl`);
        writeFileSync(file, JSON.stringify({ type: "image.create", layers: [], tags: [`${n}:1`] }));
        return file;
      });
      const codes = await Promise.all(
        scripts.map(
          (file) =>
            new Promise<number | null>((resolve) =>
              spawn(process.execPath, [BIN, "apply", file, "--log", log]).once("exit", resolve),
            ),
        ),
      );
      expect(codes).toEqual([0, 0]);
      const tags = (
        JSON.parse(strata(log, "log", "events", "--format", "json").out) as {
          type: string;
          data: { tag?: string };
        }[]
      )
        .filter((e) => e.type === "image.tagged")
        .map((e) => e.data.tag);
      expect(tags).toEqual(expect.arrayContaining(["one:1", "two:1"]));
      expect(await writer.lastSeq()).toBe(4 + 4);
    } finally {
      await writer.close();
    }
  });

  test("the installed binary: the package manager's shim and a symlink on PATH both run strata", () => {
    const root = new URL("../../../", import.meta.url).pathname;
    const shim = spawnSync(join(root, "node_modules", ".bin", "strata"), ["--help"], { encoding: "utf8" });
    expect(shim.status, shim.stderr).toBe(0);
    expect(shim.stdout).toMatch(/^\nUsage: {2}strata \[OPTIONS\] COMMAND/);
    const bin = tmp();
    symlinkSync(BIN, join(bin, "strata"));
    const log = join(tmp(), "log");
    const script = join(tmp(), "empty.jsonl");
    writeFileSync(script, "");
    expect(strata(log, "apply", script).code).toBe(0);
    const onPath = spawnSync("sh", ["-c", 'strata ps --log "$1"', "sh", log], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(onPath.status, onPath.stderr).toBe(0);
    expect(onPath.stdout).toMatch(/^CONTAINER ID/);
  });
});

describe("progress bars", () => {
  test("on a TTY, a long export and import draw a bar on stderr and erase it; piped, stderr stays clean", async () => {
    const log = join(tmp(), "log");
    expect(strata(log, "demo").code).toBe(0);
    const archive = join(tmp(), "web.tar");
    let t = 0;
    const err: string[] = [];
    const io = {
      out: () => {},
      err: (s: string) => err.push(s),
      tty: false,
      errTty: true,
      now: () => (t += 150),
    };
    expect(await main(["oci", "export", "demo/web:2", archive, "--log", log], io)).toBe(0);
    const drawn = err.join("");
    expect(drawn).toMatch(/exporting demo\/web:2 \[=+ *\] \d+% \d+\/3 layers/);
    expect(drawn).toContain("100% 3/3 layers");
    expect(drawn.endsWith("\r\u001b[2K")).toBe(true);
    err.length = 0;
    expect(await main(["oci", "import", archive, "--log", join(tmp(), "other")], io)).toBe(0);
    expect(err.join("")).toMatch(/importing .*web\.tar \[=+\] 100% [\d.]+\/[\d.]+ MB/);
    const piped = strata(join(tmp(), "third"), "oci", "import", archive);
    expect(piped.code).toBe(0);
    expect(piped.err).toBe("");
  });

  test("a bar waits 200 ms before drawing, redraws at most every 100 ms, and draws nothing off a TTY", () => {
    let t = 0;
    const out: string[] = [];
    const bar = makeProgressBar(
      (s) => out.push(s),
      true,
      () => t,
    );
    bar.update("x", 1, 10);
    t = 150;
    bar.update("x", 2, 10);
    expect(out).toEqual([]);
    t = 210;
    bar.update("x", 3, 10);
    t = 250;
    bar.update("x", 4, 10);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain("30% 3/10 events");
    t = 260;
    bar.update("x", 10, 10);
    expect(out.at(-1)).toContain("100% 10/10 events");
    bar.done();
    expect(out.at(-1)).toBe("\r\u001b[2K");
    const none: string[] = [];
    const off = makeProgressBar(
      (s) => none.push(s),
      false,
      () => (t += 1000),
    );
    off.update("x", 5, 10, "bytes");
    off.done();
    expect(none).toEqual([]);
  });
});
