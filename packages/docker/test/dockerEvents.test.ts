/**
 * Strata's events as Docker's event messages: what dockerd logs for each happening (its actions, in its
 * order, with its attributes), the laws every message obeys over random lives of a daemon, Go's JSON on
 * the wire, and the table in docs/docker-api.md.
 */
import { readFileSync, writeFileSync } from "node:fs";
import {
  type Command,
  type EngineState,
  type EventEnvelope,
  evolve,
  initialState,
  parseEvent,
  replayTo,
  sequentialIds,
  simulatedClock,
} from "@strata/core";
import { type DurableEngine, openEngine } from "@strata/engine";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  DOCKER_ACTIONS,
  DockerEventMapper,
  type DockerEventMessage,
  dockerMessagesOf,
  encodeDockerEvent,
} from "../src/shapes/dockerEvents.js";
import { runSteps, type Step, steps } from "./support/commandSequences.js";
import { seedImage } from "./support/served.js";

async function daemon(seed: string) {
  const clock = simulatedClock();
  const engine = await openEngine({ location: "memory:", clock, ids: sequentialIds(seed) });
  await seedImage(engine);
  return { clock, engine };
}

const envelopes = async (engine: DurableEngine): Promise<EventEnvelope[]> =>
  (await engine.log.read()).map((e) => parseEvent(e, `seq ${e.seq}`));

/** The messages of the log (those of the events after seq `after`), each with the event it came from. */
function mapped(
  events: readonly EventEnvelope[],
  after = 0,
): { event: EventEnvelope; m: DockerEventMessage }[] {
  const mapper = new DockerEventMapper();
  return events
    .flatMap((event) => mapper.next(event).map((m) => ({ event, m })))
    .filter((x) => x.event.seq > after);
}

const brief = (m: DockerEventMessage) => `${m.Type} ${m.Action}`;

describe("what dockerd logs, happening by happening", () => {
  test("a container's life: create, start, kill, pause, exec, commit, stop at the timeout, rename, restart, rm -f", async () => {
    const { clock, engine } = await daemon("life");
    const run = async (c: Command) => {
      const r = await engine.execute(c);
      expect(r.ok, r.error?.message).toBe(true);
      clock.advance(1500);
    };
    const before = engine.seq;
    await run({
      type: "container.create",
      image: "alpine",
      name: "web",
      labels: { app: "web" },
      cmd: ["sleep", "9"],
    });
    await run({ type: "container.start", container: "web" });
    await run({ type: "container.kill", container: "web", signal: "SIGHUP" });
    await run({ type: "container.pause", container: "web" });
    await run({ type: "container.unpause", container: "web" });
    await run({ type: "container.exec", container: "web", cmd: ["echo", "hi"], exitCode: 3 });
    await run({ type: "container.execCreate", container: "web", cmd: ["ls"] });
    const execId = engine.state.containers[engine.state.names.web as string]?.context.execs.at(-1)
      ?.execId as string;
    await run({ type: "exec.start", exec: execId });
    await run({
      type: "container.commit",
      container: "web",
      tag: "docker.io/library/snap:1",
      comment: "a note",
    });
    await run({ type: "container.stop", container: "web", timeout: 1 });
    await engine.tick();
    await run({ type: "container.rename", container: "web", name: "web2" });
    await run({ type: "container.restart", container: "web2", timeout: 0 });
    await run({ type: "container.remove", container: "web2", force: true });

    const all = mapped(await envelopes(engine), before).map((x) => x.m);
    expect(all.map(brief)).toEqual([
      "container create",
      "container start",
      "container kill",
      "container pause",
      "container unpause",
      "container exec_create: echo hi",
      "container exec_start: echo hi",
      "container exec_die",
      "container exec_create: ls ",
      "container exec_start: ls ",
      // commit of a running container: paused around it, image create and tag before the commit
      "container pause",
      "image create",
      "image tag",
      "container commit",
      "container unpause",
      // stop: the stop signal, SIGKILL at the timeout, the exec killed with the container, die, stop
      "container kill",
      "container kill",
      "container exec_die",
      "container die",
      "container stop",
      "container rename",
      "container start",
      "container restart",
      // rm -f: SIGKILL, die, destroy
      "container kill",
      "container die",
      "container destroy",
    ]);
    const id = engine.state.images[all[11]?.Actor.ID as string]?.id;
    expect(all[0]).toMatchObject({
      status: "create",
      from: "alpine",
      Actor: { Attributes: { app: "web", image: "alpine", name: "web" } },
      scope: "local",
    });
    expect(all[0]?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(all[2]?.Actor.Attributes).toMatchObject({ signal: "1" });
    expect(all[7]?.Actor.Attributes).toMatchObject({
      exitCode: "3",
      execID: all[5]?.Actor.Attributes.execID,
    });
    expect(all[8]?.Actor.Attributes.execID).toBe(execId);
    expect(all[11]).toMatchObject({ Type: "image", Actor: { ID: id, Attributes: { name: id, app: "web" } } });
    expect(all[11]?.from).toBeUndefined();
    expect(all[12]?.Actor.Attributes.name).toBe("snap:1");
    expect(all[13]?.Actor.Attributes).toMatchObject({ comment: "a note", imageID: id, imageRef: "snap:1" });
    expect(all[15]?.Actor.Attributes.signal).toBe("15");
    expect(all[16]?.Actor.Attributes.signal).toBe("9");
    expect(all[18]?.Actor.Attributes).toMatchObject({ exitCode: "137", execDuration: "13" });
    expect(all[20]?.Actor.Attributes).toMatchObject({ name: "web2", oldName: "/web" });
    expect(all[25]?.Actor.Attributes.name).toBe("web2");
    await engine.close();
  });

  test("a healthcheck: each probe is an exec (create, start, die) and a change of status is health_status", async () => {
    const { clock, engine } = await daemon("health");
    await engine.execute({
      type: "container.create",
      image: "alpine",
      name: "hc",
      cmd: ["sleep", "9"],
      healthcheck: {
        test: ["CMD-SHELL", "curl -f x"],
        intervalMs: 1000,
        timeoutMs: 500,
        startPeriodMs: 0,
        startIntervalMs: 0,
        retries: 1,
      },
    });
    await engine.execute({ type: "container.start", container: "hc" });
    const from = engine.seq;
    clock.advance(1000);
    await engine.tick();
    const events = await envelopes(engine);
    const out = mapped(events, from).map((x) => x.m);
    expect(out.map(brief)).toEqual([
      "container exec_create: /bin/sh -c curl -f x",
      "container exec_start: /bin/sh -c curl -f x",
      "container exec_die",
      "container health_status: healthy",
    ]);
    expect(out[2]?.Actor.Attributes).toMatchObject({
      exitCode: "0",
      execID: out[0]?.Actor.Attributes.execID,
    });
    // The probe's exec id is derived from the event, so every replay names it the same.
    expect(mapped(events, from).map((x) => x.m)).toEqual(out);
    await engine.close();
  });

  test("images: docker load (tags included), a tag that moves, rmi, prune; the store decides how untag names", async () => {
    for (const store of ["classic", "containerd"] as const) {
      const clock = simulatedClock();
      const engine = await openEngine({ location: "memory:", clock, ids: sequentialIds(store) });
      await engine.execute({ type: "daemon.configure", imageStore: store });
      const a = await seedImage(engine, "a:1");
      const b = await seedImage(engine, "b:1", ["/bin/true"]);
      const from = engine.seq;
      await engine.execute({ type: "image.tag", image: "a:1", tag: "b:1" });
      await engine.execute({ type: "image.remove", image: "b:1" });
      await engine.execute({ type: "image.prune", all: true });
      const out = mapped(await envelopes(engine), from).map((x) => x.m);
      const untagName = store === "classic" ? b : "b:1";
      const rows = out.map((m) => [m.Action, m.Actor.ID, m.Actor.Attributes.name]);
      // The move of b:1 is an untag of b then a tag of a (dockerd logs only the tag: see the docs).
      expect(rows.slice(0, 3)).toEqual([
        ["untag", b, untagName],
        ["tag", a, "b:1"],
        ["untag", a, store === "classic" ? a : "b:1"],
      ]);
      // prune -a: each image's untags and delete (in the order the prune took them), then `prune`.
      const sorted = (r: unknown[][]) => r.map((x) => JSON.stringify(x)).sort();
      expect(sorted(rows.slice(3, -1))).toEqual(
        sorted([
          ["delete", b, b],
          ["untag", a, store === "classic" ? a : "a:1"],
          ["delete", a, a],
        ]),
      );
      expect(rows.at(-1)).toEqual(["prune", "", undefined]);
      expect(out.at(-1)).toMatchObject({ status: "prune", Actor: { Attributes: { reclaimed: "0" } } });
      expect(out.at(-1)?.id).toBeUndefined();
      await engine.close();
    }
  });
});

/** Whether `action` is one the table allows for `type` (`exec_create: …` allows any command). */
function allowed(type: keyof typeof DOCKER_ACTIONS, action: string): boolean {
  return DOCKER_ACTIONS[type].some((a) =>
    a.endsWith(": …") ? action.startsWith(a.slice(0, -1)) : a === action,
  );
}

describe("laws, over random lives of a daemon", () => {
  test("every message is well formed, belongs to its event's stream, and is one the table allows", async () => {
    await fc.assert(
      fc.asyncProperty(steps(25), async (list: Step[]) => {
        const { clock, engine } = await daemon("laws");
        await runSteps(engine, clock, list);
        const events = await envelopes(engine);
        let state: EngineState = initialState();
        for (const event of events) {
          const before = state;
          state = evolve(state, event);
          for (const m of dockerMessagesOf(event, before, state)) {
            expect(allowed(event.type, m.Action), `${event.type} → ${m.Action}`).toBe(true);
            expect(m.status).toBe(m.Action);
            expect(m.scope).toBe("local");
            expect(m.timeNano).toBe(BigInt(event.recordedAt) * 1_000_000n);
            expect(m.time).toBe(Math.floor(event.recordedAt / 1000));
            for (const v of Object.values(m.Actor.Attributes)) expect(typeof v).toBe("string");
            if (m.Action === "prune") {
              expect(m.Actor.ID).toBe("");
              expect(m.id).toBeUndefined();
              continue;
            }
            expect(m.Actor.ID).toBe(event.streamId);
            expect(m.id).toBe(m.Actor.ID);
            if (m.Type === "container") {
              const record = state.containers[event.streamId] ?? before.containers[event.streamId];
              expect(m.Actor.Attributes.name).toBe(record?.context.name);
              expect(m.from).toBe(m.Actor.Attributes.image);
              expect(m.Actor.Attributes.image).toBeTruthy();
            } else expect(m.from).toBeUndefined();
            if (m.Action.startsWith("exec_")) expect(m.Actor.Attributes.execID).toMatch(/^[0-9a-f]{64}$/);
            if (m.Action === "die" || m.Action === "exec_die")
              expect(m.Actor.Attributes.exitCode).toMatch(/^\d+$/);
            if (m.Action === "kill") expect(m.Actor.Attributes.signal).toMatch(/^\d+$/);
          }
        }
        await engine.close();
      }),
      { numRuns: 150 },
    );
  });

  test("Docker's order holds for every container: create first, destroy last, die only after a start, exec_die after its exec_start", async () => {
    await fc.assert(
      fc.asyncProperty(steps(30), async (list: Step[]) => {
        const { clock, engine } = await daemon("order");
        await runSteps(engine, clock, list);
        const byContainer = new Map<string, string[]>();
        for (const { m } of mapped(await envelopes(engine)))
          if (m.Type === "container" && m.Actor.ID !== "")
            byContainer.set(m.Actor.ID, [...(byContainer.get(m.Actor.ID) ?? []), m.Action]);
        for (const [id, actions] of byContainer) {
          expect(actions[0], id).toBe("create");
          expect(actions.indexOf("create", 1)).toBe(-1);
          const destroy = actions.indexOf("destroy");
          if (destroy >= 0) expect(destroy).toBe(actions.length - 1);
          let running = false;
          for (const a of actions) {
            if (a === "start") running = true;
            if (a === "die") {
              expect(running, actions.join(", ")).toBe(true);
              running = false;
            }
          }
        }
        const started = new Set<string>();
        for (const { m } of mapped(await envelopes(engine))) {
          if (m.Action.startsWith("exec_start")) started.add(m.Actor.Attributes.execID as string);
          if (m.Action === "exec_die") expect(started.has(m.Actor.Attributes.execID as string)).toBe(true);
        }
        await engine.close();
      }),
      { numRuns: 150 },
    );
  });

  test("mapping from any position's state gives the same messages as mapping from the start (what live and replay rest on)", async () => {
    await fc.assert(
      fc.asyncProperty(steps(20), fc.nat(), async (list: Step[], cut: number) => {
        const { clock, engine } = await daemon("split");
        await runSteps(engine, clock, list);
        const events = await envelopes(engine);
        const at = cut % (events.length + 1);
        const whole = mapped(events)
          .filter((x) => x.event.seq > at)
          .map((x) => encodeDockerEvent(x.m));
        const mapper = new DockerEventMapper(replayTo(events, at));
        const tail = events.slice(at).flatMap((e) => mapper.next(e).map(encodeDockerEvent));
        expect(tail).toEqual(whole);
        await engine.close();
      }),
      { numRuns: 150 },
    );
  });
});

describe("Go's JSON on the wire", () => {
  const base: DockerEventMessage = {
    status: "die",
    id: "c".repeat(64),
    from: "alpine",
    Type: "container",
    Action: "die",
    Actor: { ID: "c".repeat(64), Attributes: { name: "a", "10": "x", "9": "y", B: "z", a: "<&>\u2028" } },
    scope: "local",
    time: 1767225600,
    timeNano: 1767225600123000000n,
  };

  test("fields in moby's order, attributes sorted as Go sorts a map, HTML characters escaped, timeNano exact", () => {
    expect(encodeDockerEvent(base)).toBe(
      `{"status":"die","id":"${"c".repeat(64)}","from":"alpine","Type":"container","Action":"die","Actor":{"ID":"${"c".repeat(64)}","Attributes":{"10":"x","9":"y","B":"z","a":"\\u003c\\u0026\\u003e\\u2028","name":"a"}},"scope":"local","time":1767225600,"timeNano":1767225600123000000}\n`,
    );
  });

  test("empty fields are left out (omitempty), and every line is JSON that reads back", () => {
    const line = encodeDockerEvent({ ...base, id: "", from: "", time: 0, timeNano: 0n });
    expect(line).not.toMatch(/"id"|"from"|"time"/);
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 6 }),
        fc.nat({ max: 4_000_000_000_000 }),
        (attrs, ms) => {
          const m = {
            ...base,
            Actor: { ID: "x", Attributes: attrs },
            time: Math.floor(ms / 1000),
            timeNano: BigInt(ms) * 1_000_000n,
          };
          const text = encodeDockerEvent(m);
          expect(text.endsWith("}\n")).toBe(true);
          const back = JSON.parse(text);
          expect(back.Actor.Attributes).toEqual({ ...attrs });
          if (ms === 0) expect(text).not.toContain("timeNano");
          else expect(text).toContain(`"timeNano":${ms}000000}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("docs/docker-api.md", () => {
  const NAME = "docker-events-table";
  const table = () =>
    [
      "| Strata event | Docker event (`Type Action`) |",
      "|---|---|",
      ...Object.entries(DOCKER_ACTIONS).map(([type, actions]) => {
        const kind = type.startsWith("image.") || type === "daemon.imagesPruned" ? "image" : "container";
        return `| \`${type}\` | ${actions.length === 0 ? "—" : actions.map((a) => `\`${kind} ${a}\``).join(", ")} |`;
      }),
    ].join("\n");

  test("the table of Strata events and their Docker events matches the code", () => {
    const file = new URL("../../../docs/docker-api.md", import.meta.url).pathname;
    const text = readFileSync(file, "utf8");
    const begin = `<!-- BEGIN GENERATED: ${NAME} -->`;
    const end = `<!-- END GENERATED: ${NAME} -->`;
    const start = text.indexOf(begin);
    const stop = text.indexOf(end);
    expect(start, "docs/docker-api.md has the table's markers").toBeGreaterThanOrEqual(0);
    const normalise = (t: string) =>
      t
        .trim()
        .split("\n")
        .map((line) =>
          line
            .split(/(?<!\\)\|/)
            .map((c) => c.trim().replace(/^:?-{3,}:?$/, "---"))
            .join("|"),
        )
        .join("\n");
    const fresh = normalise(table());
    if (process.env.UPDATE_DOCS && normalise(text.slice(start + begin.length, stop)) !== fresh) {
      writeFileSync(file, `${text.slice(0, start + begin.length)}\n${table()}\n${text.slice(stop)}`);
      return;
    }
    expect(normalise(text.slice(start + begin.length, stop))).toBe(fresh);
  });
});

describe("the generator reaches what the laws are about", () => {
  test("random lives include every Strata event type that has a Docker counterpart", async () => {
    const seen = new Set<string>();
    for (const list of fc.sample(steps(30), { numRuns: 150, seed: 7 })) {
      const { clock, engine } = await daemon("reach");
      await runSteps(engine, clock, list);
      for (const e of await envelopes(engine)) seen.add(e.type);
      await engine.close();
    }
    const mapped = Object.entries(DOCKER_ACTIONS)
      .filter(([type, actions]) => actions.length > 0 && !type.startsWith("fs."))
      .map(([type]) => type);
    expect(mapped.filter((t) => !seen.has(t))).toEqual([]);
  });
});
