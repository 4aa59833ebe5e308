/**
 * A PostgreSQL server of a test's own: a fresh cluster in a temporary directory on a free port, that
 * the test may restart or stop without disturbing the shared server other tests use at the same time.
 * Needs root (the server runs as the `postgres` user) and Debian's PostgreSQL binaries; `why()` says
 * why not when it cannot run.
 */
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function binDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  for (const v of readdirSync(root).sort().reverse())
    if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  return null;
}

/** Why a private server cannot run here, or null. */
export function privatePostgresUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "not root";
  if (binDir() === null) return "no PostgreSQL binaries under /usr/lib/postgresql";
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface PrivatePostgres {
  readonly url: string;
  restart(): void;
  stop(): void;
}

/** Starts a private server (a few seconds); `stop()` it when done. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir() as string;
  const dir = mkdtempSync(join(tmpdir(), "strata-pg-"));
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  chownSync(dir, uid, gid);
  const data = join(dir, "data");
  const port = await freePort();
  const asPostgres = (args: string[]) =>
    execFileSync("runuser", ["-u", "postgres", "--", ...args], { stdio: "ignore" });
  asPostgres([join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const ctl = (...args: string[]) =>
    asPostgres([
      join(bin, "pg_ctl"),
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "-w",
      ...args,
    ]);
  ctl("start");
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => ctl("restart", "-m", "fast"),
    stop: () => {
      try {
        ctl("stop", "-m", "immediate");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
