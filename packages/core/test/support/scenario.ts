/**
 * Given/when/then for the engine: `given` brings the world to a state with commands that must
 * succeed, `when` runs one command, and the result is checked with plain expectations.
 */
import {
  type Command,
  type CommandResult,
  Engine,
  type EngineState,
  sequentialIds,
  simulatedClock,
} from "@strata/core";

export const BASE_LAYER = `sha256:${"1".repeat(64)}`;

export class Scenario {
  readonly clock = simulatedClock();
  readonly engine = new Engine({ clock: this.clock, ids: sequentialIds("scenario") });

  /**
   * Runs commands that must not be refused (a command that fails part-way, like a removal that leaves
   * the container dead, still records its events: that is a way to reach a state).
   */
  given(...commands: Command[]): this {
    for (const c of commands) {
      const r = this.engine.execute(c);
      if (r.outcome === "refused") throw new Error(`given ${c.type} was refused: ${r.error.message}`);
    }
    return this;
  }

  /** Lets simulated time pass (and fires what is due). */
  after(ms: number): this {
    this.clock.advance(ms);
    this.engine.tick();
    return this;
  }

  when(command: Command): CommandResult {
    return this.engine.execute(command);
  }

  get state(): EngineState {
    return this.engine.state;
  }

  /** The status of container `name` (or "gone"). */
  status(name: string): string {
    const id = this.engine.state.names[name];
    const record = id === undefined ? undefined : this.engine.state.containers[id];
    return record?.status ?? "gone";
  }

  context(name: string) {
    const id = this.engine.state.names[name];
    const record = id === undefined ? undefined : this.engine.state.containers[id];
    if (!record) throw new Error(`no container ${name}`);
    return record.context;
  }
}

export const baseImage: Command = {
  type: "image.create",
  layers: [{ id: BASE_LAYER, parent: null, createdBy: "ADD rootfs.tar /" }],
  tags: ["base:1"],
  cmd: ["/bin/sh"],
};

/** Every container state, and the commands that bring container `name` there from nothing. */
export type ReachableState = "created" | "running" | "paused" | "restarting" | "exited" | "dead" | "removing";

/** Options of {@link reach}: more for the create command, commands to run right after the start. */
export interface ReachOptions {
  readonly create?: Partial<Extract<Command, { type: "container.create" }>>;
  readonly afterStart?: readonly Command[];
}

export function reach(state: ReachableState, name = "web", options: ReachOptions = {}): Command[] {
  const create: Command = {
    type: "container.create",
    image: "base:1",
    name,
    ...(state === "restarting" ? { restartPolicy: { name: "always", maximumRetryCount: 0 } } : {}),
    ...(options.create ?? {}),
  };
  const start: Command[] = [{ type: "container.start", container: name }, ...(options.afterStart ?? [])];
  switch (state) {
    case "created":
      return [baseImage, create];
    case "running":
      return [baseImage, create, ...start];
    case "paused":
      return [baseImage, create, ...start, { type: "container.pause", container: name }];
    case "restarting":
      return [baseImage, create, ...start, { type: "process.exit", container: name, pid: 1, exitCode: 3 }];
    case "exited":
      return [baseImage, create, ...start, { type: "container.kill", container: name }];
    case "dead":
      return [baseImage, create, { type: "container.remove", container: name, fault: { fail: true } }];
    case "removing":
      return [baseImage, create, { type: "container.remove", container: name, fault: { delayMs: 60_000 } }];
  }
}

/** The types of the events a command appended (also when it failed part-way). */
export const types = (r: CommandResult): string[] =>
  r.outcome === "refused" ? [] : r.events.map((e) => e.type);
