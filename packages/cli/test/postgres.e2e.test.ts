/**
 * Every `strata` command against a PostgreSQL log (`--log postgres://…?schema=…`), through the same
 * engine as a directory: Strata's own commands and Docker's verbs, the built binary, a real server. A
 * command that starts no log creates no schema; a server that refuses the client is exit 3 naming what
 * (never the password). Under CI=true the server must be reachable; elsewhere the suite is skipped with
 * the reason printed.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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
const location = () => locationOf(freshSchema());
const freshSchema = () => {
  const schema = `strata_cli_${randomBytes(5).toString("hex")}`;
  schemas.push(schema);
  return schema;
};
const locationOf = (schema: string, url = URL_) => `${url}${url.includes("?") ? "&" : "?"}schema=${schema}`;
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
  return strataIn(tmp(), log, ...args);
}
function strataIn(cwd: string, log: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "--log", log, ...args], {
    encoding: "utf8",
    cwd,
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** Exit 3, one line naming what went wrong: never a stack, an internal error, or the password. */
function expectLogError(r: { code: number | null; err: string }, message: RegExp) {
  expect(r.err, r.err).toMatch(message);
  expect(r.code, r.err).toBe(3);
  expect(r.err).not.toMatch(/\n\s+at |internal error|a bug in strata/);
  const password = new URL(URL_).password;
  if (password) expect(r.err).not.toContain(`:${password}@`);
  expect(r.err).not.toContain("not-the-password");
}
async function schemaExists(schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  try {
    const r = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    return r.rowCount === 1;
  } finally {
    await client.end();
  }
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

  test("Docker's verbs: import, create, start, pause, unpause, restart, kill, wait, rename, cp both ways, tag, save, rmi, load, images, history, run -d, exec -d, stop, rm, container and image prune, events, info, version", () => {
    const log = location();
    const dir = tmp();
    const run = (...args: string[]) => ok(strataIn(dir, log, ...args)).trim();
    mkdirSync(join(dir, "root", "etc"), { recursive: true });
    writeFileSync(join(dir, "root", "etc", "greeting"), "hello\n");
    // The programs the containers run: a start looks them up in the container's files, as runc does.
    mkdirSync(join(dir, "root", "bin"));
    for (const program of ["sh", "true"])
      writeFileSync(join(dir, "root", "bin", program), "#!/bin/sh\n", { mode: 0o755 });
    execFileSync("tar", ["-cf", join(dir, "root.tar"), "-C", join(dir, "root"), "."]);
    const status = (ref: string) => run("inspect", "-f", "{{.State.Status}}", ref);

    expect(run("import", "root.tar", "base:1")).toMatch(/^sha256:[0-9a-f]{64}$/);
    const id = run("create", "--name", "c1", "base:1", "/bin/sh");
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(status("c1")).toBe("created");
    expect(run("start", "c1")).toBe("c1");
    expect(run("pause", "c1")).toBe("c1");
    expect(status("c1")).toBe("paused");
    expect(run("unpause", "c1")).toBe("c1");
    expect(run("restart", "-t", "0", "c1")).toBe("c1");
    expect(status("c1")).toBe("running");
    expect(run("kill", "c1")).toBe("c1");
    expect(run("wait", "c1")).toBe("137");
    expect(run("rename", "c1", "c2")).toBe("");
    expect(run("inspect", "-f", "{{.Name}} {{.Id}}", "c2")).toBe(`/c2 ${id}`);

    writeFileSync(join(dir, "f.txt"), "data\n");
    run("cp", "f.txt", "c2:/f.txt");
    run("cp", "c2:/f.txt", "out.txt");
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("data\n");
    run("cp", "c2:/etc/greeting", "greeting");
    expect(readFileSync(join(dir, "greeting"), "utf8")).toBe("hello\n");

    run("tag", "base:1", "base:2");
    expect(run("images", "--format", "{{.Repository}}:{{.Tag}}").split("\n").sort()).toEqual([
      "base:1",
      "base:2",
    ]);
    run("save", "-o", "s.tar", "base:2");
    expect(readFileSync(join(dir, "s.tar")).length).toBeGreaterThan(0);
    expect(run("rmi", "base:2")).toBe("Untagged: base:2");
    expect(run("load", "-i", "s.tar")).toBe("Loaded image: base:2");
    expect(run("history", "base:1")).toContain("Imported from -");

    const r1 = run("run", "-d", "--name", "r1", "base:1", "/bin/sh");
    expect(r1).toMatch(/^[0-9a-f]{64}$/);
    expect(run("exec", "-d", "r1", "/bin/true")).toBe("");
    expect(run("stop", "-t", "0", "r1")).toBe("r1");
    expect(status("r1")).toBe("exited");
    expect(run("rm", "r1")).toBe("r1");
    expect(run("container", "prune", "-f")).toContain(id);
    expect(run("image", "prune", "-a", "-f")).toMatch(/Deleted Images:[\s\S]*untagged: base:1/);
    expect(run("images", "-q")).toBe("");

    const events = run("events", "--since", "0", "--until", String(Math.ceil(Date.now() / 1000) + 1));
    for (const action of [
      "image load",
      "container create",
      "container pause",
      "container rename",
      "exec_start",
      "image untag",
      "container destroy",
    ])
      expect(events).toContain(action);
    expect(run("info")).toMatch(/Containers: 0/);
    expect(run("version")).toContain("Client: Strata");
  }, 600_000);

  test("a command that starts no log, on a schema that is not there: exit 3 naming it, and no schema is created", async () => {
    const schema = freshSchema();
    const log = locationOf(schema);
    for (const args of [
      ["ps"],
      ["images"],
      ["save", "a"],
      ["wait", "web"],
      ["cp", "web:/x", "./out"],
      ["log", "events"],
    ]) {
      const cwd = tmp();
      expectLogError(
        strataIn(cwd, log, ...args),
        new RegExp(`schema=${schema}: there is no strata log here`),
      );
      expect(readdirSync(cwd)).toEqual([]);
    }
    expect(await schemaExists(schema)).toBe(false);
  }, 300_000);

  test("a wrong password, a missing database or role: exit 3 naming what was wrong, not the password (commands and serve)", () => {
    const withUrl = (change: (u: URL) => void) => {
      const u = new URL(URL_);
      change(u);
      return locationOf("strata_nowhere", u.toString());
    };
    const wrongPassword = withUrl((u) => {
      u.password = "not-the-password";
    });
    expectLogError(
      strata(wrongPassword, "ps"),
      /cannot open postgres:\/\/.*: password authentication failed for user/,
    );
    expectLogError(
      strata(wrongPassword, "create", "--name", "x", "base:1"),
      /password authentication failed/,
    );
    const serve = strata(wrongPassword, "serve", "--socket", join(tmp(), "s.sock"));
    expectLogError(serve, /password authentication failed/);
    const noDatabase = withUrl((u) => {
      u.pathname = "/strata_no_such_db";
    });
    expectLogError(strata(noDatabase, "ps"), /database "strata_no_such_db" does not exist \(3D000\)/);
    expectLogError(strata(noDatabase, "apply", "/dev/null"), /database "strata_no_such_db" does not exist/);
    const noRole = withUrl((u) => {
      u.username = "strata_no_such_role";
    });
    expectLogError(strata(noRole, "ps"), /strata_no_such_role/);
  }, 300_000);
});
