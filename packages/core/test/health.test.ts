/**
 * Health checks on the engine's clock (moby daemon/health.go): starting → healthy / unhealthy with the
 * interval, retries, start period and start interval; `health_status` only when the status changes.
 */
import type { Healthcheck } from "@strata/core";
import { describe, expect, test } from "vitest";
import { baseImage, Scenario } from "./support/scenario.js";

const hc = (extra: Partial<Healthcheck> = {}): Healthcheck => ({
  test: ["CMD", "check"],
  intervalMs: 0,
  timeoutMs: 0,
  startPeriodMs: 0,
  startIntervalMs: 0,
  retries: 0,
  ...extra,
});
const create = (healthcheck: Healthcheck) =>
  ({ type: "container.create", image: "base:1", name: "web", healthcheck }) as const;
const start = { type: "container.start", container: "web" } as const;
const setHealth = (exitCode: number) =>
  ({ type: "container.setHealth", container: "web", exitCode }) as const;
const health = (s: Scenario) => s.context("web").health;
const statusEvents = (s: Scenario) =>
  s.engine.log
    .read()
    .filter((e) => e.type === "container.healthStatusChanged")
    .map((e) => (e.type === "container.healthStatusChanged" ? e.data.status : ""));

describe("health checks", () => {
  test("given a healthcheck with the default 30 s interval, the first probe runs 30 s after the start and makes it healthy", () => {
    const s = new Scenario().given(baseImage, create(hc()), start);
    expect(health(s)).toMatchObject({ status: "starting", failingStreak: 0 });
    s.after(29_999);
    expect(health(s)?.status).toBe("starting");
    s.after(1);
    expect(health(s)).toMatchObject({ status: "healthy", failingStreak: 0 });
    expect(statusEvents(s)).toEqual(["healthy"]);
    s.after(60_000);
    expect(statusEvents(s)).toEqual(["healthy"]); // no event while the status stays
  });

  test("failing probes become unhealthy at `retries` (default 3), and healthy again at the first success", () => {
    const s = new Scenario().given(baseImage, create(hc({ intervalMs: 1_000 })), start, setHealth(1));
    s.after(2_000);
    expect(health(s)).toMatchObject({ status: "starting", failingStreak: 2 });
    s.after(1_000);
    expect(health(s)).toMatchObject({ status: "unhealthy", failingStreak: 3 });
    s.given(setHealth(0));
    s.after(1_000);
    expect(health(s)).toMatchObject({ status: "healthy", failingStreak: 0 });
    expect(statusEvents(s)).toEqual(["unhealthy", "healthy"]);
  });

  test("during the start period failures do not count, and probes run at the start interval", () => {
    const s = new Scenario().given(
      baseImage,
      create(hc({ intervalMs: 10_000, startPeriodMs: 3_000, startIntervalMs: 1_000, retries: 1 })),
      start,
      setHealth(1),
    );
    s.after(2_000); // probes at 1 s and 2 s, inside the start period
    expect(health(s)).toMatchObject({ status: "starting", failingStreak: 0 });
    s.after(1_000); // the probe at 3 s is past the start period: it counts
    expect(health(s)).toMatchObject({ status: "unhealthy", failingStreak: 1 });
    const probes = s.engine.log.read().filter((e) => e.type === "container.healthChecked");
    expect(probes.map((e) => e.recordedAt - (s.context("web").startedAt ?? 0))).toEqual([
      1_000, 2_000, 3_000,
    ]);
  });

  test("paused, no probe runs; unpausing starts the monitor again (an interval later)", () => {
    const s = new Scenario().given(baseImage, create(hc({ intervalMs: 1_000 })), start);
    s.after(500).given({ type: "container.pause", container: "web" });
    s.after(5_000);
    expect(s.engine.log.read().some((e) => e.type === "container.healthChecked")).toBe(false);
    s.given({ type: "container.unpause", container: "web" });
    expect(health(s)?.nextProbeAt).toBe(s.clock.now() + 1_000);
  });

  test("an exit stops the monitor and keeps the status; the next start is `starting` again", () => {
    const s = new Scenario().given(baseImage, create(hc({ intervalMs: 1_000 })), start);
    s.after(1_000).given({ type: "container.kill", container: "web" });
    expect(health(s)).toMatchObject({ status: "healthy", nextProbeAt: null });
    s.given(start);
    expect(health(s)?.status).toBe("starting");
  });

  test("HEALTHCHECK NONE runs no probe; setHealth without a healthcheck is a 400", () => {
    const s = new Scenario().given(baseImage, create(hc({ test: ["NONE"] })), start);
    expect(health(s)).toBeNull();
    const r = s.when(setHealth(1));
    expect(!r.ok && r.error.toJSON()).toMatchObject({ status: 400, reason: "no-healthcheck" });
  });
});

describe("healthcheck values Docker refuses (moby daemon/container.go validateHealthCheck)", () => {
  test.each([
    [{ intervalMs: -5 }, "Interval in Healthcheck cannot be less than 1ms"],
    [{ timeoutMs: -1 }, "Timeout in Healthcheck cannot be less than 1ms"],
    [{ retries: -1 }, "Retries in Healthcheck cannot be negative"],
    [{ startPeriodMs: -1 }, "StartPeriod in Healthcheck cannot be less than 1ms"],
    [{ startIntervalMs: -2 }, "StartInterval in Healthcheck cannot be less than 1ms"],
    // In Docker's order: Interval before Retries.
    [{ retries: -1, intervalMs: -1 }, "Interval in Healthcheck cannot be less than 1ms"],
  ])("when create with %j, then 400 %s and nothing is appended", (extra, message) => {
    const s = new Scenario().given(baseImage);
    const before = s.engine.log.lastSeq;
    const r = s.when(create(hc(extra)));
    expect(!r.ok && r.error.toJSON()).toMatchObject({
      status: 400,
      reason: "invalid-healthcheck",
      message,
    });
    expect(s.engine.log.lastSeq).toBe(before);
  });

  test("the healthcheck is checked after the environment and before the restart policy, as Docker does", () => {
    const s = new Scenario().given(baseImage);
    const bad = { healthcheck: hc({ retries: -1 }) };
    const env = s.when({ ...create(bad.healthcheck), env: ["=x"] });
    expect(!env.ok && env.error.message).toBe("invalid environment variable: =x");
    const policy = s.when({
      ...create(bad.healthcheck),
      restartPolicy: { name: "always", maximumRetryCount: 3 },
    });
    expect(!policy.ok && policy.error.message).toBe("Retries in Healthcheck cannot be negative");
  });

  test("1ms and 0 (the default) are allowed", () => {
    const s = new Scenario().given(baseImage, create(hc({ intervalMs: 1, retries: 0 })));
    expect(s.context("web").config.healthcheck).toMatchObject({ intervalMs: 1 });
  });
});
