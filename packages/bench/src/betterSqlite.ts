/**
 * better-sqlite3, the baseline of measure 9. It is a native module: the workspace's install does not
 * build it (pnpm-workspace.yaml denies its build script, so a machine without a compiler still
 * installs), and the bench builds it the first time it is needed, with npm and Node's own headers
 * (about a minute here, once).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";

const require = createRequire(import.meta.url);

function tryLoad(): typeof BetterSqlite3 | null {
  try {
    const Database = require("better-sqlite3") as typeof BetterSqlite3;
    new Database(":memory:").close(); // loads the native binding
    return Database;
  } catch {
    return null;
  }
}

/** The better-sqlite3 constructor, building the native module first if needed; null if that fails. */
export function loadBetterSqlite(log: (s: string) => void): typeof BetterSqlite3 | null {
  const loaded = tryLoad();
  if (loaded) return loaded;
  const dir = dirname(require.resolve("better-sqlite3/package.json"));
  const prefix = dirname(dirname(process.execPath));
  const headers = existsSync(join(prefix, "include", "node", "node.h")) ? prefix : undefined;
  log(`building better-sqlite3's native module (once, about a minute) in ${dir}\n`);
  try {
    execFileSync("npm", ["run", "install"], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...(headers ? { npm_config_nodedir: headers } : {}) },
    });
  } catch (e) {
    log(`could not build better-sqlite3: ${String((e as { stderr?: Buffer }).stderr ?? e).slice(-500)}\n`);
    return null;
  }
  return tryLoad();
}
