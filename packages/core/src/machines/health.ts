/**
 * Docker's health monitor (moby daemon/health.go) on the engine's clock. Pure helpers the container
 * machine calls: when the next probe runs, and what a probe's result does to the status.
 *
 * - A start sets the status to `starting` with a failing streak of 0 and starts the monitor; pausing
 *   stops it, unpausing starts it again (the status is kept); an exit stops it (the status is kept).
 * - The next probe is `interval` after the previous one (or after the start/unpause), except while the
 *   start period has not passed and the status is still `starting`: then `startInterval`.
 * - A probe that exits 0 makes the container `healthy` and resets the streak. Any other exit code is a
 *   failure: it counts (streak + 1, `unhealthy` at `retries`) unless the status is `starting` and the
 *   probe ran within the start period.
 * - A probe takes no clock time here (Docker runs it as an exec, with a timeout); its exit code is what
 *   the program answers now (`container.setHealth`, default 0; kept across restarts).
 */
import type { HealthInfo } from "../engine/EngineState.js";
import type { Healthcheck } from "../events/common.js";

/** Docker's defaults for a healthcheck field left at 0. */
export const HEALTH_DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  startPeriodMs: 0,
  startIntervalMs: 5_000,
  retries: 3,
} as const;

/** Whether `healthcheck` runs probes: its test is `CMD …` or `CMD-SHELL …` (`NONE` or empty: none). */
export function hasProbe(healthcheck: Healthcheck | null | undefined): healthcheck is Healthcheck {
  const kind = healthcheck?.test[0];
  return kind === "CMD" || kind === "CMD-SHELL";
}

const orDefault = (value: number, fallback: number) => (value > 0 ? value : fallback);

/** The delay before the next probe, at `now`, for a container started at `startedAt`. */
export function probeDelay(
  hc: Healthcheck,
  startedAt: number,
  now: number,
  status: HealthInfo["status"],
): number {
  const startPeriod = orDefault(hc.startPeriodMs, HEALTH_DEFAULTS.startPeriodMs);
  const interval = orDefault(hc.intervalMs, HEALTH_DEFAULTS.intervalMs);
  if (now - startedAt >= startPeriod) return interval;
  return status === "starting" ? orDefault(hc.startIntervalMs, HEALTH_DEFAULTS.startIntervalMs) : interval;
}

/** The health right after a start at `now` (null without a probe). */
export function healthOnStart(hc: Healthcheck | null | undefined, now: number): HealthInfo | null {
  if (!hasProbe(hc)) return null;
  return { status: "starting", failingStreak: 0, nextProbeAt: now + probeDelay(hc, now, now, "starting") };
}

/** What one probe at `now` with exit code `exitCode` does to `health`. */
export function probeResult(
  hc: Healthcheck,
  health: HealthInfo,
  startedAt: number,
  now: number,
  exitCode: number,
): { readonly status: HealthInfo["status"]; readonly failingStreak: number } {
  if (exitCode === 0) return { status: "healthy", failingStreak: 0 };
  const startPeriod = orDefault(hc.startPeriodMs, HEALTH_DEFAULTS.startPeriodMs);
  if (health.status === "starting" && now - startedAt < startPeriod)
    return { status: health.status, failingStreak: health.failingStreak };
  const failingStreak = health.failingStreak + 1;
  const retries = orDefault(hc.retries, HEALTH_DEFAULTS.retries);
  return { status: failingStreak >= retries ? "unhealthy" : health.status, failingStreak };
}
