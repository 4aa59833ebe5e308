/**
 * `docker commit --change`: Dockerfile instructions applied to the new image's config (moby
 * daemon/commit.go, daemon/builder/dockerfile), and what a container takes from its image at create.
 */
import { applyChanges, EMPTY_IMAGE_CONFIG, type ImageConfig } from "@strata/core";
import { describe, expect, test } from "vitest";
import { baseImage, Scenario } from "./support/scenario.js";

const base: ImageConfig = { ...EMPTY_IMAGE_CONFIG, cmd: ["/bin/sh"], env: ["PATH=/usr/bin"] };

describe("applyChanges", () => {
  test("CMD and ENTRYPOINT: exec form as given, shell form under /bin/sh -c", () => {
    expect(applyChanges(base, ['CMD ["serve", "--port", "80"]']).cmd).toEqual(["serve", "--port", "80"]);
    expect(applyChanges(base, ["CMD echo hi"]).cmd).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(applyChanges(base, ["ENTRYPOINT exec app"]).entrypoint).toEqual(["/bin/sh", "-c", "exec app"]);
  });

  test("ENTRYPOINT clears CMD, unless a CMD came first in the same changes", () => {
    expect(applyChanges(base, ['ENTRYPOINT ["app"]']).cmd).toEqual([]);
    expect(applyChanges(base, ['CMD ["x"]', 'ENTRYPOINT ["app"]']).cmd).toEqual(["x"]);
  });

  test("ENV: key=value pairs with quotes, the legacy form, replacing by key, $VAR expanded", () => {
    const c = applyChanges(base, [
      'ENV A=1 B="two words"',
      "ENV LEGACY some value",
      "ENV PATH=$PATH:/opt/bin",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, not a template
      "ENV A=${B}",
    ]);
    expect(c.env).toEqual(["PATH=/usr/bin:/opt/bin", "A=two words", "B=two words", "LEGACY=some value"]);
  });

  test("LABEL, EXPOSE (normalised, ranges), USER, WORKDIR (relative to the previous), STOPSIGNAL, VOLUME", () => {
    const c = applyChanges(base, [
      'LABEL version="1.0" team=core',
      "EXPOSE 80 53/udp 8000-8001",
      "USER app",
      "WORKDIR /srv",
      "WORKDIR data",
      "STOPSIGNAL SIGQUIT",
      'VOLUME ["/data", "/logs"]',
    ]);
    expect(c.labels).toEqual({ version: "1.0", team: "core" });
    expect(c.exposedPorts).toEqual(["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
    expect(c.user).toBe("app");
    expect(c.workingDir).toBe("/srv/data");
    expect(c.stopSignal).toBe("SIGQUIT");
    expect(c.volumes).toEqual(["/data", "/logs"]);
  });

  test("HEALTHCHECK with flags, NONE; ONBUILD keeps the trigger", () => {
    const c = applyChanges(base, ["HEALTHCHECK --interval=5s --retries=2 CMD curl -f http://localhost/"]);
    expect(c.healthcheck).toEqual({
      test: ["CMD-SHELL", "curl -f http://localhost/"],
      intervalMs: 5_000,
      timeoutMs: 0,
      startPeriodMs: 0,
      startIntervalMs: 0,
      retries: 2,
    });
    expect(applyChanges(base, ["HEALTHCHECK NONE"]).healthcheck?.test).toEqual(["NONE"]);
    expect(applyChanges(base, ["ONBUILD RUN make"]).onBuild).toEqual(["RUN make"]);
  });

  test.each([
    ["RUN make", "RUN is not a valid change command"],
    ["from scratch", "from is not a valid change command"],
    ["STOPSIGNAL SIGFOO", "invalid signal: SIGFOO"],
    ["ENV", "ENV requires at least one argument"],
    ["ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
    ['VOLUME [""]', "VOLUME specified can not be an empty string"],
  ])("%s is a 400: %s", (change, message) => {
    expect(() => applyChanges(base, [change])).toThrow(message);
  });
});

describe("commit --change", () => {
  test("the new image's config is the container's with the changes; Env reaches the image", () => {
    const s = new Scenario().given(baseImage, {
      type: "container.create",
      image: "base:1",
      name: "web",
      env: ["MODE=dev"],
      labels: { a: "1" },
    });
    const r = s.when({
      type: "container.commit",
      container: "web",
      tag: "web:2",
      changes: ["ENV MODE=prod", 'CMD ["serve"]', "LABEL b=2"],
    });
    expect(r.ok).toBe(true);
    const image = s.state.images[s.state.tags["web:2"] ?? ""];
    expect(image?.config).toMatchObject({ env: ["MODE=prod"], cmd: ["serve"], labels: { a: "1", b: "2" } });
    expect(image?.cmd).toEqual(["serve"]);
  });

  test("an invalid change is a 400 and appends nothing; a dead container is a 409 first", () => {
    const s = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    const before = s.engine.log.lastSeq;
    const r = s.when({ type: "container.commit", container: "web", changes: ["COPY . /"] });
    expect(!r.ok && r.error.toJSON()).toMatchObject({
      status: 400,
      reason: "invalid-change",
      message: "COPY is not a valid change command",
    });
    expect(s.engine.log.lastSeq).toBe(before);
    s.given({ type: "container.remove", container: "web", fault: { fail: true } });
    const dead = s.when({ type: "container.commit", container: "web", changes: ["COPY . /"] });
    expect(!dead.ok && dead.error.reason).toBe("commit-dead");
  });

  test("CMD [] alone changes nothing (moby's merge takes the container's cmd back)", () => {
    const s = new Scenario().given(baseImage, {
      type: "container.create",
      image: "base:1",
      name: "web",
      cmd: ["run"],
    });
    s.given({ type: "container.commit", container: "web", tag: "web:2", changes: ["CMD []"] });
    expect(s.state.images[s.state.tags["web:2"] ?? ""]?.config.cmd).toEqual(["run"]);
  });

  test("a container takes its image's config: env merged by key, entrypoint, stop signal, healthcheck", () => {
    const s = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    s.given({
      type: "container.commit",
      container: "web",
      tag: "app:1",
      changes: ["ENV A=1 B=2", 'ENTRYPOINT ["app"]', "STOPSIGNAL SIGINT", "HEALTHCHECK CMD check"],
    });
    s.given({ type: "container.create", image: "app:1", name: "child", env: ["B=3"] });
    const c = s.context("child").config;
    expect(c.env).toEqual(["B=3", "A=1"]);
    expect(c.entrypoint).toEqual(["app"]);
    expect(c.cmd).toEqual([]);
    expect(c.stopSignal).toBe("SIGINT");
    expect(c.healthcheck?.test).toEqual(["CMD-SHELL", "check"]);
  });
});
