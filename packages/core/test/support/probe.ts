/**
 * Probes the engine with every command in every container state and records the outcome. Used by the
 * table test and to generate the command × state table in docs/lifecycle.md, so the docs show what
 * the machines do, not what someone remembered.
 */
import type { Command } from "@strata/core";
import { baseImage, type ReachableState, reach, Scenario } from "./scenario.js";

export const STATES = ["created", "running", "paused", "restarting", "exited", "dead", "removing"] as const;

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

export function probe(state: ReachableState | "absent", command: Command): ProbeOutcome {
  const s = new Scenario();
  s.given(...(state === "absent" ? [baseImage] : reach(state)));
  const r = s.when(command);
  const name = command.type === "container.rename" && r.ok ? "renamed" : "web";
  if (!r.ok)
    return {
      to: null,
      events: [],
      error: { code: r.error.code, status: r.error.status, reason: r.error.reason, message: r.error.message },
    };
  return { to: s.status(name), events: r.events.map((e) => e.type), error: null };
}

const short = (type: string) =>
  type
    .replace(/^container\./, "")
    .replace(/^image\./, "image.")
    .replace(/^process\./, "process.");

/** One table cell in Markdown. */
export function cell(o: ProbeOutcome): string {
  if (o.error) return `${o.error.status} \`${o.error.reason}\``;
  return `→ ${o.to} {${o.events.map(short).join(", ")}}`;
}

/** The whole command × state table as Markdown. */
export function lifecycleTable(): string {
  const header = `| command \\ state | ${STATES.join(" | ")} | (no such container) |`;
  const rule = `|---|${STATES.map(() => "---").join("|")}|---|`;
  const rows = Object.entries(PROBES).map(
    ([label, command]) =>
      `| **${label}** | ${STATES.map((st) => cell(probe(st, command))).join(" | ")} | ${cell(probe("absent", command))} |`,
  );
  return [header, rule, ...rows].join("\n");
}
