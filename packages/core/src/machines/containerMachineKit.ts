/**
 * The typed building blocks of the container machine: its input types and the action builders that
 * emit a {@link Decision} (for a command) or assign the context (for an event).
 */
import { assign, emit } from "xstate";
import type { ContainerContext } from "../engine/EngineState.js";
import type { Rejection } from "../errors.js";
import type { ContainerEvent } from "../events/containerEvents.js";
import type { FsEvent } from "../events/fsEvents.js";
import type { ContainerMachineCommand, ContainerMachineCommandType } from "./containerCommands.js";
import type { Decision, EventDraft } from "./Decision.js";

/**
 * An event as the machine receives it: its body, the time it was recorded and (when `evolve` sends it)
 * its seq, from which a start derives its host PID.
 */
export type ContainerEventInput = (ContainerEvent | FsEvent) & {
  readonly recordedAt: number;
  readonly seq?: number;
};
/** Everything the container machine can be sent. */
export type ContainerMachineInput = ContainerMachineCommand | ContainerEventInput;

export type Cmd<T extends ContainerMachineCommandType> = Extract<ContainerMachineCommand, { type: T }>;
export type Ev<T extends ContainerEventInput["type"]> = Extract<ContainerEventInput, { type: T }>;
export type Args = { context: ContainerContext; event: ContainerMachineInput };

const emitDecision = (f: (args: Args) => Decision) =>
  emit<ContainerContext, ContainerMachineInput, undefined, ContainerMachineInput, Decision>(f);

/** An evolution step: the context fields an event changes. */
export const update = (f: (args: Args) => Partial<ContainerContext>) =>
  assign<ContainerContext, ContainerMachineInput, undefined, ContainerMachineInput, never>(f);

/** A decision computed from the context and the command (any of the three kinds). */
export const decidedWith = <T extends ContainerMachineCommandType>(
  f: (context: ContainerContext, command: Cmd<T>) => Decision,
) => emitDecision(({ context, event }: Args): Decision => f(context, event as Cmd<T>));

/** The command is accepted: these events. */
export const decided = <T extends ContainerMachineCommandType>(
  f: (context: ContainerContext, command: Cmd<T>) => EventDraft[],
) => decidedWith<T>((context, command) => ({ type: "decided", events: f(context, command) }));

/** The command is refused in Docker's words. */
export const rejected = (
  code: Rejection["code"],
  reason: string,
  message: (context: ContainerContext, command: ContainerMachineCommand) => string,
) =>
  emitDecision(
    ({ context, event }: Args): Decision => ({
      type: "rejected",
      rejection: { code, reason, message: message(context, event as ContainerMachineCommand) },
    }),
  );

/** Marker events change nothing but must count as accepted (`snapshot.can` ignores empty transitions). */
export const marker = update(() => ({}));
