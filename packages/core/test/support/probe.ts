/**
 * Probes the engine with every command in every container state and records the outcome. Used by the
 * table test and to generate the command × state table in docs/lifecycle.md, so the docs show what
 * the machines do, not what someone remembered.
 */
import type { Command } from "@strata/core";
import { baseImage, type ReachableState, type ReachOptions, reach, Scenario } from "./scenario.js";

export const STATES = ["created", "running", "paused", "restarting", "exited", "dead", "removing"] as const;

/** The exec instance the `exec start` row creates right after the container starts (when it does). */
export const PROBE_EXEC_ID = "e".repeat(64);

/** How a row reaches each state, when it needs more than `reach(state)`. */
export const PROBE_SETUP: Record<string, ReachOptions> = {
  "exec start": {
    afterStart: [{ type: "container.execCreate", container: "web", execId: PROBE_EXEC_ID, cmd: ["ps"] }],
  },
  "set health": {
    create: {
      healthcheck: {
        test: ["CMD", "true"],
        intervalMs: 0,
        timeoutMs: 0,
        startPeriodMs: 0,
        startIntervalMs: 0,
        retries: 0,
      },
    },
  },
};

export const PROBES: Record<string, Command> = {
  start: { type: "container.start", container: "web" },
  stop: { type: "container.stop", container: "web" },
  kill: { type: "container.kill", container: "web" },
  pause: { type: "container.pause", container: "web" },
  unpause: { type: "container.unpause", container: "web" },
  restart: { type: "container.restart", container: "web" },
  exec: { type: "container.exec", container: "web", cmd: ["ps"] },
  commit: { type: "container.commit", container: "web" },
  rm: { type: "container.remove", container: "web" },
  "rm -f": { type: "container.remove", container: "web", force: true },
  rename: { type: "container.rename", container: "web", name: "renamed" },
  "exec create": { type: "container.execCreate", container: "web", cmd: ["ps"] },
  "exec start": { type: "exec.start", exec: PROBE_EXEC_ID },
  oom: { type: "container.oom", container: "web" },
  "set health": { type: "container.setHealth", container: "web", exitCode: 1 },
  "container prune": { type: "container.prune" },
  "daemon restart": { type: "daemon.restart" },
  "daemon restart (crashed)": { type: "daemon.restart", crashed: true },
  "fs write (cp into)": {
    type: "fs.writeFile",
    container: "web",
    path: "/etc/motd",
    digest: `sha256:${"0".repeat(64)}`,
    size: 0,
  },
};

export interface ProbeOutcome {
  /** The state afterwards ("gone" once removed), or null when refused. */
  readonly to: string | null;
  readonly events: readonly string[];
  readonly error: {
    readonly code: string;
    readonly status: number;
    readonly reason: string;
    readonly message: string;
  } | null;
}

export function probe(
  state: ReachableState | "absent",
  command: Command,
  options: ReachOptions = {},
): ProbeOutcome {
  const s = new Scenario();
  s.given(...(state === "absent" ? [baseImage] : reach(state, "web", options)));
  const r = s.when(command);
  const name = command.type === "container.rename" && r.ok ? "renamed" : "web";
  const error = r.ok
    ? null
    : { code: r.error.code, status: r.error.status, reason: r.error.reason, message: r.error.message };
  if (r.outcome === "refused") return { to: null, events: [], error };
  return { to: s.status(name), events: r.events.map((e) => e.type), error };
}

const short = (type: string) =>
  type
    .replace(/^container\./, "")
    .replace(/^image\./, "image.")
    .replace(/^process\./, "process.");

/** One table cell in Markdown: a refusal, a state reached with its events, or both (failed part-way). */
export function cell(o: ProbeOutcome): string {
  if (o.error && o.to === null) return `${o.error.status} \`${o.error.reason}\``;
  const reached = `→ ${o.to} {${o.events.map(short).join(", ")}}`;
  return o.error ? `${reached}, then ${o.error.status} \`${o.error.reason}\`` : reached;
}

/** The whole command × state table as Markdown. */
export function lifecycleTable(): string {
  const header = `| command \\ state | ${STATES.join(" | ")} | (no such container) |`;
  const rule = `|---|${STATES.map(() => "---").join("|")}|---|`;
  const rows = Object.entries(PROBES).map(
    ([label, command]) =>
      `| **${label}** | ${STATES.map((st) => cell(probe(st, command, PROBE_SETUP[label]))).join(" | ")} | ${cell(probe("absent", command))} |`,
  );
  return [header, rule, ...rows].join("\n");
}
