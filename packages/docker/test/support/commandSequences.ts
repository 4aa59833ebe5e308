/**
 * Random sequences of what a daemon lives through, for the events properties: container verbs on a
 * few names (create with labels, a healthcheck and signal handlers; start, stop, kill, pause, restart,
 * rename, exec, commit, rm, prune), image verbs (tag, rm, prune), injected facts (OOM, health answers)
 * and time passing (which fires stop timeouts, restarts, health probes). Refused commands are part of
 * the mix: they append nothing, or only the timers that were due.
 */
import { createHash } from "node:crypto";
import type { Command, SimulatedClock } from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import fc from "fast-check";

export type Step = { readonly command: Command } | { readonly advanceMs: number };

const names = ["web", "db"] as const;
const name = fc.constantFrom(...names);
const tag = fc.constantFrom("alpine:latest", "app:1", "app:2", "docker.io/library/tools:x");
const signal = fc.constantFrom("SIGTERM", "SIGKILL", "SIGHUP", "SIGUSR1", "SIGINT");
const labels = fc.dictionary(
  fc.constantFrom("app", "tier", "image", "name", "z<&>"),
  fc.constantFrom("web", "x", ""),
  {
    maxKeys: 2,
  },
);

const create: fc.Arbitrary<Command> = fc
  .record({
    name,
    labels,
    cmd: fc.constantFrom(["sleep", "100"], ["sh", "-c", "exit 3"], ["/bin/sh"]),
    health: fc.boolean(),
    shellHealth: fc.boolean(),
    restart: fc.constantFrom("no", "always", "on-failure"),
    exitsOnTerm: fc.boolean(),
    startError: fc.option(fc.constantFrom("not-found" as const, "runtime" as const), {
      freq: 8,
      nil: undefined,
    }),
  })
  .map(
    (r): Command => ({
      type: "container.create",
      image: "alpine",
      name: r.name,
      cmd: [...r.cmd],
      ...(Object.keys(r.labels).length > 0 ? { labels: r.labels } : {}),
      ...(r.restart !== "no" ? { restartPolicy: { name: r.restart, maximumRetryCount: 0 } } : {}),
      ...(r.exitsOnTerm ? { handlers: { SIGTERM: { action: "exit", exitCode: 0 } } } : {}),
      ...(r.startError !== undefined ? { startError: r.startError } : {}),
      ...(r.health
        ? {
            healthcheck: {
              test: r.shellHealth ? ["CMD-SHELL", "curl -f localhost"] : ["CMD", "true"],
              intervalMs: 1000,
              timeoutMs: 500,
              startPeriodMs: 0,
              startIntervalMs: 0,
              retries: 1,
            },
          }
        : {}),
    }),
  );

/** The layer `seedImage` makes for `alpine:latest` (its id is the digest of its text). */
const ALPINE_LAYER = `sha256:${createHash("sha256").update("layer of alpine:latest").digest("hex")}`;

/** `docker load` of alpine again (after an rmi or a prune took it), tagged as given. */
const load: fc.Arbitrary<Command> = fc.constantFrom("alpine:latest", "app:1").map(
  (t): Command => ({
    type: "image.create",
    layers: [{ id: ALPINE_LAYER, parent: null, createdBy: "ADD rootfs.tar /" }],
    tags: [t],
    cmd: ["/bin/sh"],
    config: { labels: { "org.example": "yes" } },
  }),
);

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: load },
  { weight: 5, arbitrary: create },
  { weight: 6, arbitrary: name.map((c): Command => ({ type: "container.start", container: c })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ c: name, t: fc.constantFrom(0, 1, 5) })
      .map(({ c, t }): Command => ({ type: "container.stop", container: c, timeout: t })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ c: name, s: signal })
      .map(({ c, s }): Command => ({ type: "container.kill", container: c, signal: s })),
  },
  { weight: 2, arbitrary: name.map((c): Command => ({ type: "container.pause", container: c })) },
  { weight: 2, arbitrary: name.map((c): Command => ({ type: "container.unpause", container: c })) },
  {
    weight: 1,
    arbitrary: name.map((c): Command => ({ type: "container.restart", container: c, timeout: 1 })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ c: name, to: fc.constantFrom("web", "db", "old-web") }).map(
      ({ c, to }): Command => ({
        type: "container.rename",
        container: c,
        name: to,
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ c: name, exit: fc.option(fc.constantFrom(0, 2), { nil: undefined }), ls: fc.boolean() })
      .map(
        ({ c, exit, ls }): Command => ({
          type: "container.exec",
          container: c,
          cmd: ls ? ["ls"] : ["echo", "hi there"],
          ...(exit !== undefined ? { exitCode: exit } : {}),
        }),
      ),
  },
  {
    weight: 2,
    arbitrary: name.map((c): Command => ({ type: "container.execCreate", container: c, cmd: ["top", "-b"] })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ c: name, t: fc.option(tag, { nil: undefined }), m: fc.constantFrom("", "a <note>") })
      .map(
        ({ c, t, m }): Command => ({
          type: "container.commit",
          container: c,
          comment: m,
          ...(t !== undefined ? { tag: t } : {}),
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ c: name, force: fc.boolean(), fail: fc.boolean(), delay: fc.constantFrom(0, 0, 2000) })
      .map(
        ({ c, force, fail, delay }): Command => ({
          type: "container.remove",
          container: c,
          force,
          ...(fail || delay > 0 ? { fault: { fail, delayMs: delay } } : {}),
        }),
      ),
  },
  { weight: 2, arbitrary: name.map((c): Command => ({ type: "container.oom", container: c })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ c: name, exit: fc.constantFrom(0, 1) })
      .map(({ c, exit }): Command => ({ type: "container.setHealth", container: c, exitCode: exit })),
  },
  { weight: 1, arbitrary: fc.constant<Command>({ type: "container.prune" }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ from: tag, to: tag })
      .map(({ from, to }): Command => ({ type: "image.tag", image: from, tag: to })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ t: fc.constantFrom("app:1", "app:2", "alpine:latest"), force: fc.boolean() })
      .map(({ t, force }): Command => ({ type: "image.remove", image: t, force })),
  },
  {
    weight: 1,
    arbitrary: fc.boolean().map((all): Command => ({ type: "image.prune", all })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(1, 3)
      .map((n): Command => ({ type: "process.exit", container: "web", pid: n, exitCode: 1 })),
  },
  {
    weight: 1,
    arbitrary: fc.constant<Command>({ type: "daemon.restart" }),
  },
);

/** Time passing, up to 12 s: past stop timeouts, restart backoffs and probe intervals. */
const advance: fc.Arbitrary<Step> = fc.integer({ min: 1, max: 12_000 }).map((ms) => ({ advanceMs: ms }));

/** A create and a start of the same name (what `docker run -d` does): most lives have something running. */
const run: fc.Arbitrary<Step[]> = create.map((c) => [
  { command: c },
  { command: { type: "container.start", container: (c as { name: string }).name } },
]);

/** One step or a few: a command, a `run`, or time passing. */
const group: fc.Arbitrary<Step[]> = fc.oneof(
  { weight: 6, arbitrary: command.map((c) => [{ command: c }]) },
  { weight: 2, arbitrary: run },
  { weight: 2, arbitrary: advance.map((a) => [a]) },
);

/** A life of up to `maxGroups` groups of steps. */
export const steps = (maxGroups: number): fc.Arbitrary<Step[]> =>
  fc.array(group, { minLength: 1, maxLength: maxGroups, size: "max" }).map((groups) => groups.flat());

/** Runs `steps` on `engine` (its clock simulated): commands, and time passing with its timers fired. */
export async function runSteps(
  engine: DurableEngine,
  clock: SimulatedClock,
  list: readonly Step[],
): Promise<void> {
  for (const s of list) {
    if ("command" in s) await engine.execute(s.command);
    else {
      clock.advance(s.advanceMs);
      await engine.tick();
    }
    clock.advance(1);
  }
}
