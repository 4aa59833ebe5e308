/**
 * The daemon itself: a restart (moby daemon/daemon.go Shutdown, then restore) and the image store
 * option, both recorded in the log so that a replay gives the same state.
 */
import { Engine, InMemoryEventLog, replay, sequentialIds, simulatedClock } from "@strata/core";
import { describe, expect, test } from "vitest";
import { baseImage, Scenario, types } from "./support/scenario.js";

type Policy = "no" | "always" | "unless-stopped" | "on-failure";
const create = (name: string, policy: Policy, extra: Record<string, unknown> = {}) =>
  ({
    type: "container.create",
    image: "base:1",
    name,
    restartPolicy: { name: policy, maximumRetryCount: 0 },
    ...extra,
  }) as const;
const start = (container: string) => ({ type: "container.start", container }) as const;
const restart = { type: "daemon.restart" } as const;

describe("daemon restart", () => {
  test("running containers: always and unless-stopped come back, on-failure only after a failure, no stays down", () => {
    const s = new Scenario().given(
      baseImage,
      ...(["always", "unless-stopped", "on-failure", "no"] as const).flatMap((p) => [create(p, p), start(p)]),
    );
    s.given(restart);
    expect(s.status("always")).toBe("running");
    expect(s.status("unless-stopped")).toBe("running");
    // The shutdown SIGKILLed PID 1 (no SIGTERM handler): 137 is a failure, so on-failure restarts.
    expect(s.status("on-failure")).toBe("running");
    expect(s.status("no")).toBe("exited");
    expect(s.context("no").exitCode).toBe(137);
  });

  test("a PID 1 that exits 0 on SIGTERM is not restarted by on-failure", () => {
    const s = new Scenario().given(
      baseImage,
      create("job", "on-failure", { handlers: { SIGTERM: { action: "exit", exitCode: 0 } } }),
      start("job"),
      restart,
    );
    expect(s.status("job")).toBe("exited");
    expect(s.context("job").exitCode).toBe(0);
  });

  test("stopped by hand: always comes back at the next daemon start, unless-stopped does not", () => {
    const s = new Scenario().given(
      baseImage,
      create("keep", "always"),
      create("unless", "unless-stopped"),
      start("keep"),
      start("unless"),
      { type: "container.stop", container: "keep", timeout: 0 },
      { type: "container.stop", container: "unless", timeout: 0 },
      restart,
    );
    expect(s.status("keep")).toBe("running");
    expect(s.status("unless")).toBe("exited");
  });

  test("the boot start is a start: the restart count is reset, a new host PID, health starting", () => {
    const s = new Scenario().given(baseImage, create("keep", "always"), start("keep"));
    const pid = s.context("keep").hostPid;
    s.given(restart);
    expect(s.context("keep").restartCount).toBe(0);
    expect(s.context("keep").hostPid).not.toBe(pid);
  });

  test("a crash leaves no shutdown: running containers end with 255, as restore finds no task", () => {
    const s = new Scenario().given(baseImage, create("plain", "no"), start("plain"));
    const r = s.when({ type: "daemon.restart", crashed: true });
    expect(types(r)).toEqual(["container.shutDown", "daemon.restarted"]);
    expect(s.status("plain")).toBe("exited");
    expect(s.context("plain").exitCode).toBe(255);
  });

  test("--rm containers are removed, even one never started; a removal in progress becomes dead", () => {
    const s = new Scenario().given(
      baseImage,
      { type: "container.create", image: "base:1", name: "rm", autoRemove: true },
      { type: "container.create", image: "base:1", name: "slow" },
      { type: "container.remove", container: "slow", fault: { delayMs: 60_000 } },
      restart,
    );
    expect(s.status("rm")).toBe("gone");
    expect(s.status("slow")).toBe("dead");
  });

  test("a restarting container's pending restart is dropped; the boot restarts it (not stopped by hand)", () => {
    const s = new Scenario().given(baseImage, create("again", "unless-stopped"), start("again"), {
      type: "process.exit",
      container: "again",
      pid: 1,
      exitCode: 1,
    });
    expect(s.status("again")).toBe("restarting");
    const r = s.when(restart);
    expect(types(r)).toEqual(["container.shutDown", "daemon.restarted", "container.started"]);
    expect(s.status("again")).toBe("running");
  });

  test("the restart is in the log: a replay gives the same state, and the restart count", () => {
    const s = new Scenario().given(baseImage, create("keep", "always"), start("keep"), restart, restart);
    expect(replay(s.engine.log.read())).toEqual(s.state);
    expect(s.state.daemon?.restarts).toBe(2);
  });
});

describe("the image store option", () => {
  test("containerd is recorded in the log, so a new engine on the same log applies its rules", () => {
    const log = new InMemoryEventLog();
    const engine = new Engine({
      clock: simulatedClock(),
      ids: sequentialIds("d"),
      log,
      imageStore: "containerd",
    });
    expect(log.read().map((e) => e.type)).toEqual(["daemon.configured"]);
    const again = new Engine({ clock: simulatedClock(), ids: sequentialIds("d"), log });
    expect(again.state.daemon?.imageStore).toBe("containerd");
    expect(replay(log.read())).toEqual(engine.state);
  });

  test("the same store again appends nothing; switching a log with images is refused", () => {
    const log = new InMemoryEventLog();
    const engine = new Engine({ clock: simulatedClock(), ids: sequentialIds("d"), log });
    expect(engine.execute(baseImage).ok).toBe(true);
    const before = log.lastSeq;
    new Engine({ clock: simulatedClock(), ids: sequentialIds("d"), log, imageStore: "classic" });
    expect(log.lastSeq).toBe(before);
    expect(
      () => new Engine({ clock: simulatedClock(), ids: sequentialIds("d"), log, imageStore: "containerd" }),
    ).toThrow(/cannot switch the image store from classic to containerd: 1 image\(s\) exist/);
  });

  test("a log written before the option existed is the classic store, with no daemon record", () => {
    const s = new Scenario().given(baseImage);
    expect(s.state.daemon).toBeUndefined();
  });
});

describe("daemon restart after a crash", () => {
  test("a restarting container (Running set) finds no task either: 255, then its policy restarts it", () => {
    const s = new Scenario().given(baseImage, create("again", "always"), start("again"), {
      type: "process.exit",
      container: "again",
      pid: 1,
      exitCode: 1,
    });
    const r = s.when({ type: "daemon.restart", crashed: true });
    expect(types(r)).toEqual(["container.shutDown", "daemon.restarted", "container.started"]);
    const down = r.ok ? r.events[0] : undefined;
    expect(down?.type === "container.shutDown" && down.data.exitCode).toBe(255);
  });
});
