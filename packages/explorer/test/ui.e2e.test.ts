/**
 * `strata ui` as a user runs it: it prints the page's address, serves the page and the API over the
 * log (read-only: the log is not changed), and stops cleanly on SIGTERM; a wrong port is a usage error.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const CLI = new URL("../../cli/dist/bin.js", import.meta.url).pathname;
const tmp = tempDirs("strata-ui-");

test("strata ui prints its address, serves the page and the API read-only, and stops on SIGTERM", {
  timeout: 60_000,
}, async () => {
  const dir = tmp();
  const log = join(dir, "log");
  execFileSync(process.execPath, [CLI, "--log", log, "demo"], { cwd: dir, stdio: "pipe" });
  const events = execFileSync(process.execPath, [CLI, "--log", log, "log", "events"], { encoding: "utf8" });
  const child = spawn(process.execPath, [CLI, "--log", log, "ui", "--port", "0"], { cwd: dir });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, "line")) as [string];
  const url = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(first)?.[1];
  expect(first).toContain(`(log ${log}, 20 events)`);
  expect(url).toBeDefined();
  const page = await fetch(url as string);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<div id="app">');
  const info = (await (await fetch(`${url}api/info`)).json()) as { lastSeq: number; location: string };
  expect(info).toMatchObject({ lastSeq: 20, location: log });
  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  expect(code).toBe(0);
  expect(execFileSync(process.execPath, [CLI, "--log", log, "log", "events"], { encoding: "utf8" })).toBe(
    events,
  );
});

test("a port that is not one is refused (exit 1, as serve refuses a bad --host), naming the flag", () => {
  const r = spawnSync(process.execPath, [CLI, "--log", tmp(), "ui", "--port", "http"], { encoding: "utf8" });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^strata ui: invalid --port "http": expected a number from 0 to 65535/);
});
