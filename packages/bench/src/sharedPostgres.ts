/**
 * Measure 13: 8 engines in 8 processes on one PostgreSQL log, each writing files into its own
 * container, against 1 engine (in 1 process) doing the same total work alone. Writers that touch
 * different containers have nothing to conflict about, so their appends should not serialise: the
 * target is 3 times the throughput. Timed from "go" to the last engine done (not starting processes).
 * Under --smoke, 2 engines and no warm-up round (each process takes a second to start here).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openEngine } from "@strata/engine";
import pg from "pg";
import { type Measure, sized } from "./Measure.js";
import { PG_URL, postgresMissing } from "./postgresWriters.js";
import { fmtRate, median } from "./timing.js";

const SCHEMA = "strata_bench_engines";
const worker = fileURLToPath(new URL("./engineWorker.js", import.meta.url));

interface Report {
  readonly ready?: boolean;
  readonly took?: number;
  readonly attempts?: number;
  readonly error?: string;
}

/** Resets the schema and creates an image and the containers c0…c7 (not timed). */
async function prepare(location: string, engines: number): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  } finally {
    await admin.end();
  }
  const engine = await openEngine({ location, timers: false, snapshotEvery: 0 });
  try {
    const steps = [
      { type: "image.create" as const, layers: [], tags: ["base:1"] },
      ...Array.from({ length: engines }, (_, i) => ({
        type: "container.create" as const,
        image: "base:1",
        name: `c${i}`,
      })),
    ];
    for (const step of steps) {
      const r = await engine.execute(step);
      if (!r.ok) throw r.error;
    }
  } finally {
    await engine.close();
  }
}

/** Runs `groups.length` engine processes (each on its containers) and returns the wall time from go to done. */
async function race(location: string, groups: readonly string[][], writes: number) {
  const children = groups.map((names) =>
    fork(worker, [location, names.join(","), String(writes)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  const next = (child: (typeof children)[number]) =>
    new Promise<Report>((resolve, reject) => {
      child.once("message", (m) => resolve(m as Report));
      child.once("exit", (code) => reject(new Error(`an engine process exited (${code}) before reporting`)));
    });
  try {
    await Promise.all(children.map(next));
    const start = performance.now();
    const done = children.map(next);
    for (const child of children) child.send("go");
    const reports = await Promise.all(done);
    const took = performance.now() - start;
    const failed = reports.find((r) => r.error);
    if (failed) throw new Error(`an engine process failed: ${failed.error}`);
    return { took, attempts: reports.reduce((n, r) => n + (r.attempts ?? 0), 0) };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

export const sharedPostgres: Measure = {
  id: "13",
  measure: "8 engines in 8 processes on one PostgreSQL log, each writing into its own container",
  baseline: "1 engine alone doing the same total work",
  target: { op: ">=", value: 3 },
  unavailable: postgresMissing,
  async run(o) {
    const writes = sized(o, 50, 3);
    const engines = sized(o, 8, 2);
    const location = `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}schema=${SCHEMA}`;
    const names = Array.from({ length: engines }, (_, i) => `c${i}`);
    const many = async () => {
      await prepare(location, engines);
      return race(
        location,
        names.map((n) => [n]),
        writes,
      );
    };
    const alone = async () => {
      await prepare(location, engines);
      return race(location, [names], writes);
    };
    if (!o.smoke) {
      await many();
      await alone();
    }
    const eight: number[] = [];
    const one: number[] = [];
    let attempts = 0;
    for (let r = 0; r < sized(o, 3, 1); r++) {
      const m = await many();
      eight.push(m.took);
      attempts = m.attempts;
      one.push((await alone()).took);
    }
    const total = writes * engines;
    const [a, b] = [median(eight), median(one)];
    return {
      ratio: b / a,
      detail: `${fmtRate(total, a, "writes")} vs ${fmtRate(total, b, "writes")} (${total} writes; ${attempts} attempts by the ${engines})`,
    };
  },
};
