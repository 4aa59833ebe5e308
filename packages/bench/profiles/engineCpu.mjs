/**
 * Where one engine's time goes on a PostgreSQL log (bench row 13): 400 writes, one awaited `execute` at
 * a time over 8 containers, against the CPU this process used and the CPU the server's processes used
 * (from /proc, so on the machine that runs the server). Run after `pnpm run build`, with a server on
 * STRATA_PG_URL (default the tests' one): `node packages/bench/profiles/engineCpu.mjs`. Not a test.
 */
import { execFileSync } from "node:child_process";
import pg from "pg";

const { openEngine } = await import(new URL("../../engine/dist/index.js", import.meta.url).href);
const url = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";
const schema = `strata_engine_cpu_${process.pid}`;

/** Seconds of CPU the server's processes have used (user and system, from /proc). */
function serverCpu() {
  const out = execFileSync(
    "bash",
    ["-c", "for p in $(pgrep postgres); do cut -d' ' -f14,15 /proc/$p/stat 2>/dev/null; done"],
    { encoding: "utf8" },
  );
  return out
    .trim()
    .split("\n")
    .filter(Boolean)
    .reduce((s, line) => s + line.split(" ").reduce((a, b) => a + Number(b), 0) / 100, 0);
}

const engine = await openEngine({ location: `${url}?schema=${schema}`, timers: false, snapshotEvery: 0 });
try {
  await engine.execute({ type: "image.create", layers: [], tags: ["base:1"] });
  for (let c = 0; c < 8; c++)
    await engine.execute({ type: "container.create", image: "base:1", name: `c${c}` });
  const server = serverCpu();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < 50; i++)
    for (let c = 0; c < 8; c++) {
      const r = await engine.execute({
        type: "fs.writeFile",
        container: `c${c}`,
        path: `/w${i}`,
        content: `${i}\n`,
      });
      if (!r.ok) throw r.error;
    }
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  console.log(
    `400 writes: ${wall.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms of this process's CPU, ${((serverCpu() - server) * 1000).toFixed(0)} ms of the server's`,
  );
} finally {
  await engine.close();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
