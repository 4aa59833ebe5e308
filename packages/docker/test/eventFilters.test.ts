/**
 * `docker events --filter` as dockerd applies it (daemon/events/filter.go), quirks included: prefixes
 * for names and ids on every event type, exact images with the tag stripped, labels against every
 * attribute, unknown keys ignored.
 */
import { parseEvent, sequentialIds, simulatedClock } from "@strata/core";
import { openEngine } from "@strata/engine";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { DockerEventMapper, type DockerEventMessage } from "../src/shapes/dockerEvents.js";
import { DockerApiError } from "../src/shapes/errors.js";
import { parseEventFilters, stripTag } from "../src/shapes/eventFilters.js";
import { runSteps, steps } from "./support/commandSequences.js";
import { seedImage } from "./support/served.js";

const ID = "0123456789abcdef".repeat(4);
const IMG = `sha256:${"ab".repeat(32)}`;
const container = (action: string, attrs: Record<string, string> = {}): DockerEventMessage => ({
  status: action,
  id: ID,
  from: "alpine",
  Type: "container",
  Action: action,
  Actor: { ID, Attributes: { image: "alpine", name: "web", ...attrs } },
  scope: "local",
  time: 1,
  timeNano: 1_000_000_000n,
});
const image = (action: string, name: string): DockerEventMessage => ({
  status: action,
  id: IMG,
  Type: "image",
  Action: action,
  Actor: { ID: IMG, Attributes: { name } },
  scope: "local",
  time: 1,
  timeNano: 1_000_000_000n,
});
const f = (filters: Record<string, string[]>) => parseEventFilters(JSON.stringify(filters));

describe("parsing", () => {
  test("both JSON forms; null and empty mean no filter; unknown keys filter nothing", () => {
    expect(parseEventFilters('{"type":{"container":true}}').includes(image("tag", "a:1"))).toBe(false);
    expect(parseEventFilters('{"type":["image"]}').includes(image("tag", "a:1"))).toBe(true);
    expect(parseEventFilters("").empty).toBe(true);
    expect(parseEventFilters("null").empty).toBe(true);
    expect(parseEventFilters('{"type":null}').includes(image("tag", "a:1"))).toBe(true);
    expect(parseEventFilters('{"nonsense":["x"]}').includes(container("start"))).toBe(true);
    // A value given as false never matches exactly (moby reads the map's bool).
    expect(parseEventFilters('{"type":{"container":false}}').includes(container("start"))).toBe(false);
  });

  test("anything else is 400 invalid filter", () => {
    for (const bad of [
      "{",
      "[]",
      '"x"',
      '{"type":"container"}',
      '{"type":{"a":true},"event":["start"]}',
      '{"type":[1]}',
    ]) {
      let error: unknown;
      try {
        parseEventFilters(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(DockerApiError);
      expect((error as DockerApiError).status).toBe(400);
      expect((error as Error).message).toBe("invalid filter");
    }
  });
});

describe("matching, as dockerd does", () => {
  test("type and scope are exact; event is exact unless an exec or health prefix is asked for", () => {
    expect(f({ type: ["container"] }).includes(container("start"))).toBe(true);
    expect(f({ scope: ["local"] }).includes(container("start"))).toBe(true);
    expect(f({ scope: ["swarm"] }).includes(container("start"))).toBe(false);
    expect(f({ event: ["start", "die"] }).includes(container("die"))).toBe(true);
    expect(f({ event: ["exec_create: ls"] }).includes(container("exec_create: ls -l"))).toBe(false);
    expect(f({ event: ["exec_create"] }).includes(container("exec_create: ls -l"))).toBe(true);
    expect(f({ event: ["health_status"] }).includes(container("health_status: healthy"))).toBe(true);
    // …and then every value is a prefix: `st` matches start and stop.
    expect(f({ event: ["exec_create", "st"] }).includes(container("stop"))).toBe(true);
    expect(f({ event: ["st"] }).includes(container("stop"))).toBe(false);
  });

  test("container: a prefix of the id or the name, checked on every event type", () => {
    expect(f({ container: ["web"] }).includes(container("start", { name: "webapp" }))).toBe(true);
    expect(f({ container: [ID.slice(0, 12)] }).includes(container("start"))).toBe(true);
    expect(f({ container: ["db"] }).includes(container("start"))).toBe(false);
    expect(f({ container: ["web"] }).includes(image("tag", "a:1"))).toBe(false);
    expect(f({ container: ["sha256:ab"] }).includes(image("tag", "a:1"))).toBe(true);
    expect(f({ network: [""] }).includes(container("start"))).toBe(true);
    expect(f({ network: ["n"] }).includes(container("start"))).toBe(false);
  });

  test("image: exact on the id or the image, each also without its tag", () => {
    const alpineLatest = container("start", { image: "alpine:latest" });
    expect(f({ image: ["alpine"] }).includes(alpineLatest)).toBe(true);
    expect(f({ image: ["alpine"] }).includes(container("start"))).toBe(true);
    expect(f({ image: ["alpine:latest"] }).includes(container("start"))).toBe(false);
    expect(f({ image: ["alpine:latest"] }).includes(alpineLatest)).toBe(true);
    expect(f({ image: ["app"] }).includes(image("tag", "app:1"))).toBe(true);
    expect(f({ image: [IMG] }).includes(image("delete", IMG))).toBe(true);
    expect(f({ image: ["alp"] }).includes(alpineLatest)).toBe(false);
  });

  test("label: every k or k=v holds among the attributes (name and image are attributes too)", () => {
    const m = container("start", { app: "web", tier: "a=b" });
    expect(f({ label: ["app"] }).includes(m)).toBe(true);
    expect(f({ label: ["app=web", "tier=a=b"] }).includes(m)).toBe(true);
    expect(f({ label: ["app=db"] }).includes(m)).toBe(false);
    expect(f({ label: ["app", "nope"] }).includes(m)).toBe(false);
    expect(f({ label: ["name=web"] }).includes(m)).toBe(true);
  });

  test("stripTag reads references as moby does", () => {
    expect(stripTag("docker.io/library/alpine:3")).toBe("alpine");
    expect(stripTag("alpine")).toBe("alpine");
    expect(stripTag("me/app:1")).toBe("me/app");
    expect(stripTag("docker.io/me/app")).toBe("me/app");
    expect(stripTag("localhost:5000/x:1")).toBe("localhost:5000/x");
    expect(stripTag(`a@sha256:${"0".repeat(64)}`)).toBe("a");
    expect(stripTag(IMG)).toBe("sha256");
    expect(stripTag("ab".repeat(32))).toBe("ab".repeat(32));
    expect(stripTag("Upper:1")).toBe("Upper:1");
    expect(stripTag("")).toBe("");
  });
});

describe("laws over the messages of random lives", () => {
  let messages: DockerEventMessage[] = [];
  beforeAll(async () => {
    for (const list of fc.sample(steps(20), { numRuns: 20, seed: 11 })) {
      const clock = simulatedClock();
      const engine = await openEngine({ location: "memory:", clock, ids: sequentialIds("filters") });
      await seedImage(engine);
      await runSteps(engine, clock, list);
      const mapper = new DockerEventMapper();
      for (const e of await engine.log.read()) messages.push(...mapper.next(parseEvent(e, `seq ${e.seq}`)));
      await engine.close();
    }
    messages = messages.slice(0, 2000);
  });

  const message = () => fc.nat().map((i) => messages[i % messages.length] as DockerEventMessage);

  test("a message passes the filters made of its own type, action, actor and attributes", () => {
    fc.assert(
      fc.property(message(), fc.nat(), (m, pick) => {
        const attrs = Object.entries(m.Actor.Attributes);
        const [k, v] = attrs[pick % Math.max(1, attrs.length)] ?? ["reclaimed", "0"];
        const own: Record<string, string[]> = {
          type: [m.Type],
          event: [m.Action],
          label: [`${k}=${v}`, k],
          scope: ["local"],
          ...(m.Type === "container" && m.Actor.ID !== ""
            ? { container: [m.Actor.ID.slice(0, 1 + (pick % 64))] }
            : {}),
          ...(m.Actor.ID !== "" ? { image: [m.Actor.ID, "other"] } : {}),
        };
        expect(f(own).includes(m)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("keys combine with AND, values of one key with OR", () => {
    const value = fc.constantFrom(
      "container",
      "image",
      "start",
      "die",
      "tag",
      "web",
      "db",
      "alpine",
      "app=web",
    );
    const filter = fc.dictionary(
      fc.constantFrom("type", "event", "container", "image", "label"),
      fc.array(value, { minLength: 1, maxLength: 3 }),
      { maxKeys: 3 },
    );
    fc.assert(
      fc.property(message(), filter, (m, fs) => {
        const alone = Object.entries(fs).map(([k, vs]) => f({ [k]: vs }).includes(m));
        expect(f(fs).includes(m)).toBe(alone.every(Boolean));
        for (const [k, vs] of Object.entries(fs)) {
          if (k === "label" || k === "event") continue; // label: AND of values; event: prefixes
          expect(f({ [k]: vs }).includes(m)).toBe(vs.some((one) => f({ [k]: [one] }).includes(m)));
        }
      }),
      { numRuns: 500 },
    );
  });
});
