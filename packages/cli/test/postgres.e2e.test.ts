/**
 * Every `strata` command against a PostgreSQL log (`--log postgres://…?schema=…`), through the same
 * engine as a directory: the built binary, a real server. Under CI=true the server must be reachable;
 * elsewhere the suite is skipped with the reason printed.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const BIN = new URL("../dist/bin.js", import.meta.url).pathname;
const URL_ = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";
const tmp = tempDirs("strata-cli-pg-");

const why = await (async () => {
  const client = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (e) {
    return `cannot connect to PostgreSQL: ${(e as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
})();
if (why !== null) {
  if (process.env.CI === "true") throw new Error(`the PostgreSQL CLI tests must run in CI, but ${why}`);
  console.warn(`skipping the PostgreSQL CLI tests: ${why}`);
}

const schemas: string[] = [];
const location = () => {
  const schema = `strata_cli_${randomBytes(5).toString("hex")}`;
  schemas.push(schema);
  return `${URL_}${URL_.includes("?") ? "&" : "?"}schema=${schema}`;
};
afterAll(async () => {
  if (why !== null || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.end();
});
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`run pnpm build first (${BIN} is missing)`);
});

function strata(log: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "--log", log, ...args], { encoding: "utf8", cwd: tmp() });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const ok = (r: { code: number | null; out: string; err: string }) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};

describe.skipIf(why !== null)("strata on a PostgreSQL log", () => {
  test("every command: demo, run, ps, inspect, graph, ls, tree, cat, diff, commit, export, import, replay, events (and --follow), log verify", async () => {
    const log = location();
    expect(ok(strata(log, "demo"))).toContain("the PostgreSQL log");
    expect(JSON.parse(ok(strata(log, "ps", "-a", "--format", "json")))).toMatchObject({ Names: "web" });
    const [inspected] = JSON.parse(ok(strata(log, "inspect", "web")));
    expect(inspected).toMatchObject({ Name: "/web", State: { Status: "exited" } });
    expect(ok(strata(log, "graph", "web", "--format", "mermaid"))).toContain("graph");
    expect(ok(strata(log, "ls", "web", "/etc/nginx"))).toContain("nginx.conf");
    expect(ok(strata(log, "tree", "web", "/etc"))).toContain("/etc/nginx");
    expect(ok(strata(log, "cat", "web", "/usr/share/nginx/html/index.html"))).toBe(
      "<h1>Hello from Strata</h1>\n",
    );
    const events = JSON.parse(ok(strata(log, "log", "events", "--format", "json"))) as {
      seq: number;
      type: string;
    }[];
    const firstWrite = events.find((e) => e.type === "fs.fileWritten")?.seq as number;
    expect(ok(strata(log, "cat", `web@${firstWrite - 1}`, "/usr/share/nginx/html/index.html"))).toBe(
      "<h1>It works</h1>\n",
    );
    expect(ok(strata(log, "diff", "web"))).toContain("A /etc/nginx/conf.d/site.conf");
    const script = join(tmp(), "s.jsonl");
    writeFileSync(
      script,
      JSON.stringify({ type: "fs.writeFile", container: "web", path: "/more", content: "m" }),
    );
    expect(ok(strata(log, "apply", script))).toMatch(/line 1: fs.writeFile: 1 event/);
    expect(ok(strata(log, "commit", "web", "pg/web:3"))).toMatch(/^sha256:/);
    const archive = join(tmp(), "web.tar");
    ok(strata(log, "oci", "export", "pg/web:3", archive));
    const other = location();
    expect(ok(strata(other, "oci", "import", archive, "--tag", "copy:1"))).toMatch(/^sha256:/);
    expect(ok(strata(other, "cat", "copy:1", "/more"))).toBe("m");
    // The run's write, and the commit's image (its layer inside it), tag and committed: 4 more events.
    expect(JSON.parse(ok(strata(log, "replay", "--format", "json")))).toMatchObject({
      seq: events.length + 4,
    });
    expect(ok(strata(log, "log", "verify"))).toMatch(/^ok: \d+ events, \d+ blobs checked/);
    expect(strata(log, "log", "repair").code).toBe(1);
    // --follow sees what another strata appends.
    const follower = spawn(process.execPath, [
      BIN,
      "log",
      "events",
      "--follow",
      "--since",
      "1",
      "--log",
      log,
    ]);
    let seen = "";
    follower.stdout.on("data", (d: Buffer) => {
      seen += d.toString();
    });
    await new Promise((r) => setTimeout(r, 1_500));
    writeFileSync(script, JSON.stringify({ type: "image.create", layers: [], tags: ["late:1"] }));
    ok(strata(log, "apply", script));
    for (let i = 0; i < 100 && !seen.includes('"tag":"late:1"'); i++)
      await new Promise((r) => setTimeout(r, 50));
    follower.kill("SIGTERM");
    expect(seen).toContain('"tag":"late:1"');
    expect(readFileSync(archive).length).toBeGreaterThan(0);
  }, 120_000);
});
