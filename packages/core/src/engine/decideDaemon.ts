/**
 * The daemon's own commands: `daemon.configure` (the image store) and `daemon.restart` (the serving
 * process stops and starts again). A restart asks every container's machine what the shutdown does to
 * it, records `daemon.restarted`, then asks each again what the boot does (moby daemon/daemon.go
 * `Shutdown`, `restore`; docs/lifecycle.md "Daemon restart").
 */
import type { CommandOfType } from "../commands/commands.js";
import { ConflictError, NotModifiedError } from "../errors.js";
import { DAEMON_STREAM } from "../events/daemonEvents.js";
import type { NewEvent } from "../events/envelope.js";
import type { ContainerMachineCommand } from "../machines/containerCommands.js";
import { type ContainerRuntime, lookPathOf } from "./ContainerRuntime.js";
import { type DecideResult, envelopes, toNewEvent } from "./drafts.js";
import { type EngineState, imageStoreOf } from "./EngineState.js";
import { foldDrafts } from "./foldDrafts.js";
import { containerSnapshot, stepContainer } from "./machineSnapshots.js";

/** Every container's events for one daemon step, containers in id order. */
function eachContainer(
  state: EngineState,
  input: (id: string) => ContainerMachineCommand,
  now: number,
): NewEvent[] {
  const out: NewEvent[] = [];
  for (const id of Object.keys(state.containers).sort()) {
    const { decisions } = stepContainer(containerSnapshot(state.containers[id]), input(id));
    const r = envelopes(decisions, id, now, input(id).type);
    if (r.outcome !== "refused") out.push(...r.events);
  }
  return out;
}

export function decideDaemonRestart(
  state: EngineState,
  command: CommandOfType<"daemon.restart">,
  now: number,
  runtime?: ContainerRuntime,
): DecideResult {
  const crashed = command.crashed ?? false;
  const shutdown = eachContainer(state, (id) => ({ type: "daemon.shutdown", now, ref: id, crashed }), now);
  const restarted = toNewEvent({ type: "daemon.restarted", data: { crashed } }, DAEMON_STREAM, now);
  const down = foldDrafts(state, [...shutdown, restarted]);
  const boot = eachContainer(
    down,
    (id) => ({ type: "daemon.boot", now, ref: id, ...lookPathOf(runtime, id) }),
    now,
  );
  return { ok: true, outcome: "accepted", events: [...shutdown, restarted, ...boot] };
}

/**
 * Choosing the image store. The stores keep separate images in Docker, so switching with images
 * present is refused here (the engine has one image namespace); choosing the current store is a 304.
 */
export function decideDaemonConfigure(
  state: EngineState,
  command: CommandOfType<"daemon.configure">,
  now: number,
): DecideResult {
  const current = imageStoreOf(state);
  if (command.imageStore === current)
    return {
      ok: false,
      outcome: "refused",
      error: new NotModifiedError("same-image-store", `the image store is already ${current}`),
    };
  const images = Object.values(state.images).filter((i) => i.status === "present").length;
  if (images > 0)
    return {
      ok: false,
      outcome: "refused",
      error: new ConflictError(
        "image-store-in-use",
        `cannot switch the image store from ${current} to ${command.imageStore}: ${images} image(s) exist in the ${current} store`,
      ),
    };
  return {
    ok: true,
    outcome: "accepted",
    events: [
      toNewEvent({ type: "daemon.configured", data: { imageStore: command.imageStore } }, DAEMON_STREAM, now),
    ],
  };
}
