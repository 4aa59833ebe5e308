/**
 * End to end: the built `strata` binary against temporary log directories.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, test } from "vitest";

const BIN = new URL("../dist/main.js", import.meta.url).pathname;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "strata-cli-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`the e2e tests run the built binary: run pnpm build first (${BIN} is missing)`);
});

function strata(log: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, "--log", log], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("strata", () => {
  test("demo leaves a log the other commands read: ps, images, diff, cat at a past seq, events, log verify", () => {
    const log = join(tmp(), "log");
    const demo = strata(log, "demo");
    expect(demo.code, demo.err).toBe(0);
    expect(demo.out).toContain("$ export demo/web:2");
    const ps = JSON.parse(strata(log, "ps", "-a", "--format", "json").out);
    expect(ps).toMatchObject([{ name: "web", status: "exited", exitCode: 0 }]);
    expect(strata(log, "ps").out.trim().split("\n")).toHaveLength(1); // header only: nothing running
    const images = JSON.parse(strata(log, "images", "--format", "json").out).map(
      (i: { tag: string }) => i.tag,
    );
    expect(images.sort()).toEqual(["demo/web:1", "demo/web:2"]);
    expect(strata(log, "diff", "web").out).toContain(
      "D /etc/nginx/conf.d/default.conf\nA /etc/nginx/conf.d/site.conf",
    );
    const events = JSON.parse(strata(log, "events", "--format", "json").out) as {
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
    expect(strata(log, "log", "verify").out).toMatch(/^ok: \d+ events, head [0-9a-f]{64}/);
    const [inspected] = JSON.parse(strata(log, "inspect", "web").out);
    expect(inspected).toMatchObject({ Type: "container", name: "web", State: { Status: "exited" } });
    const [then] = JSON.parse(strata(log, "inspect", `web@${firstWrite - 1}`).out);
    expect(then.State.Status).toBe("running");
    const history = JSON.parse(strata(log, "history", "demo/web:2", "--format", "json").out);
    expect(history.map((h: { createdBy: string }) => h.createdBy)).toEqual([
      "nginx -g daemon off;",
      "RUN apk add nginx",
      "ADD rootfs.tar /",
    ]);
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
    const r = strata(log, "run", script);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "line 3: container.stop: Error response from daemon: container is already stopped",
    );
    expect(r.err).toContain("line 4: not JSON");
    expect(r.out).toContain("line 5: container.start: 1 event(s)");
    expect(JSON.parse(strata(log, "ps", "--format", "json").out)).toMatchObject([
      { name: "job", status: "running" },
    ]);
  });

  test("export and import round-trip an image between two logs", () => {
    const a = join(tmp(), "a");
    const b = join(tmp(), "b");
    expect(strata(a, "demo").code).toBe(0);
    const archive = join(tmp(), "web.tar");
    expect(strata(a, "export", "demo/web:2", archive).code).toBe(0);
    const imported = strata(b, "import", archive, "--tag", "copy/web:2");
    expect(imported.code, imported.err).toBe(0);
    expect(strata(b, "cat", "copy/web:2", "/etc/nginx/conf.d/site.conf").out).toBe(
      "server { listen 8080; }\n",
    );
  });

  test("errors: Docker's wording on stderr and documented exit codes", () => {
    const log = join(tmp(), "log");
    expect(strata(log, "cat", "nope", "/x")).toMatchObject({
      code: 1,
      err: "Error response from daemon: No such container or image: nope\n",
    });
    expect(strata(log, "frobnicate").code).toBe(2);
    expect(strata(log, "cat").code).toBe(2);
    expect(strata(log, "demo").code).toBe(0);
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
    const events = JSON.parse(strata(log, "events", "--format", "json").out) as {
      seq: number;
      type: string;
    }[];
    const started = events.find((e) => e.type === "container.started")?.seq as number;
    expect(strata(log, "graph", `web@${started}`, "--format", "mermaid").out).toContain(
      "class running current",
    );
    expect(strata(log, "graph", "demo/web:1", "--format", "mermaid").out).not.toContain("stateDiagram");
  });

  test("every command has --help", () => {
    const log = join(tmp(), "log");
    const top = strata(log, "--help").out;
    const names = [...top.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names)
      expect(strata(log, name, "--help").out).toMatch(new RegExp(`^Usage: strata ${name}`));
  });
});
