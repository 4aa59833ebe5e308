/**
 * The walkthrough the README runs (`pnpm demo`): an image from layers, a container created, started,
 * exec'd into, paused, stopped (its PID 1 ignores SIGTERM, so the stop waits out its timeout on the
 * simulated clock), committed and removed. It prints every command, the state it leads to and the
 * events it produced, then rebuilds a past moment from the log.
 */
import { sequentialIds, simulatedClock } from "../clock.js";
import type { Command } from "../commands/commands.js";
import { Engine } from "../engine/Engine.js";
import { replayTo } from "../engine/replay.js";
import type { EventEnvelope } from "../events/envelope.js";
import { shortId } from "../ids.js";

const layer = (n: number) => `sha256:${n.toString(16).repeat(64).slice(0, 64)}`;

function describeEvent(e: EventEnvelope): string {
  const data = JSON.stringify(e.data);
  return `#${e.seq} ${e.type}${data === "{}" ? "" : ` ${data.length > 90 ? `${data.slice(0, 87)}...` : data}`}`;
}

/**
 * Runs the demo, writing lines to `print`. Returns the engine, so callers (and tests) can look at the
 * log it left.
 *
 * @example
 * runLifecycleDemo(console.log);
 */
export function runLifecycleDemo(print: (line: string) => void): Engine {
  const clock = simulatedClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const engine = new Engine({ clock, ids: sequentialIds("demo") });
  const containerState = () => {
    const id = engine.state.names.web;
    return id === undefined ? "gone" : (engine.state.containers[id]?.status ?? "gone");
  };
  const run = (label: string, command: Command) => {
    const r = engine.execute(command);
    print(`$ ${label}`);
    if (!r.ok) {
      print(`  error ${r.error.status} ${r.error.code}: ${r.error.message}`);
    } else {
      for (const e of r.events) print(`  ${describeEvent(e)}`);
    }
    print(`  → container web: ${containerState()}`);
  };

  print("Strata lifecycle demo (simulated clock; every change is an event)\n");
  run("image create alpine:3.20 (3 layers)", {
    type: "image.create",
    layers: [
      { id: layer(1), parent: null, createdBy: "ADD alpine-minirootfs.tar.gz /" },
      { id: layer(2), parent: layer(1), createdBy: "RUN apk add nginx" },
      { id: layer(3), parent: layer(2), createdBy: "COPY site/ /usr/share/nginx/html" },
    ],
    tags: ["alpine:3.20"],
    cmd: ["nginx", "-g", "daemon off;"],
  });
  run("create --name web alpine:3.20", { type: "container.create", name: "web", image: "alpine:3.20" });
  run("start web", { type: "container.start", container: "web" });
  run("exec web sh", { type: "container.exec", container: "web", cmd: ["sh"] });
  run("exec web ls / (exits 0)", { type: "container.exec", container: "web", cmd: ["ls", "/"], exitCode: 0 });
  run("pause web", { type: "container.pause", container: "web" });
  run("exec web ps (refused while paused)", { type: "container.exec", container: "web", cmd: ["ps"] });
  run("unpause web", { type: "container.unpause", container: "web" });
  run("stop web (PID 1 ignores SIGTERM: wait 10 s)", { type: "container.stop", container: "web" });
  clock.advance(10_000);
  print("$ (10 simulated seconds pass)");
  for (const e of engine.tick()) print(`  ${describeEvent(e)}`);
  print(`  → container web: ${containerState()}`);
  run("commit web web:snapshot", {
    type: "container.commit",
    container: "web",
    tag: "web:snapshot",
    comment: "demo",
  });
  run("rm web", { type: "container.remove", container: "web" });

  const events = engine.log.read();
  const startedAt = events.find((e) => e.type === "container.started")?.seq ?? 0;
  const past = replayTo(events, startedAt);
  const pastWeb = Object.values(past.containers)[0];
  print(`\nThe log holds ${events.length} events. Time travel: replaying the first ${startedAt} gives`);
  print(
    `  container ${shortId(pastWeb?.context.id ?? "")} (${pastWeb?.context.name}) ${pastWeb?.status}, PIDs [${pastWeb?.context.processes.map((p) => p.pid).join(", ")}]`,
  );
  print(`Images now: ${Object.keys(engine.state.tags).sort().join(", ")}`);
  return engine;
}
