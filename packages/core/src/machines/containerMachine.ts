/**
 * The container lifecycle, Docker's real states, as one xstate v5 machine. It is the single source of
 * the rules: for every command in every state it either emits a {@link Decision} (the events to
 * append, or a typed rejection in Docker's words) or, for an event, moves to the next state.
 *
 * Two kinds of input, never mixed:
 * - a command (`container.stop`, `process.exit`, `clock.tick`…): the machine emits a decision and
 *   stays where it is; `decide` reads the decision and discards the snapshot;
 * - an event (`container.stopped`…): the machine transitions and assigns its context, and emits
 *   nothing; `evolve` keeps the snapshot. An event a state does not accept is a broken log.
 *
 * States: `absent` (no such container yet) → `created` → `running` ⇄ `paused`, `restarting`,
 * `exited`, `dead`, `removing` → `removed` (final; the engine drops the container).
 * The command × state table this machine implements is in docs/lifecycle.md, generated from it.
 */
import { assign, emit, setup } from "xstate";
import type { ContainerContext } from "../engine/EngineState.js";
import type { Rejection } from "../errors.js";
import type { ContainerEvent } from "../events/containerEvents.js";
import type { FsEvent } from "../events/fsEvents.js";
import { shortId } from "../ids.js";
import type { ContainerMachineCommand, ContainerMachineCommandType } from "./containerCommands.js";
import type { Decision, EventDraft } from "./Decision.js";
import {
  DEFAULT_STOP_TIMEOUT_SECONDS,
  deliverSignal,
  processExit,
  stopProcessSpace,
} from "./processSpace.js";

/** An event as the machine receives it: its body and the time it was recorded. */
export type ContainerEventInput = (ContainerEvent | FsEvent) & { readonly recordedAt: number };
/** Everything the container machine can be sent. */
export type ContainerMachineInput = ContainerMachineCommand | ContainerEventInput;

type Cmd<T extends ContainerMachineCommandType> = Extract<ContainerMachineCommand, { type: T }>;
type Ev<T extends ContainerEventInput["type"]> = Extract<ContainerEventInput, { type: T }>;
type Args = { context: ContainerContext; event: ContainerMachineInput };

/** The context of a container that does not exist (the `absent` state). */
export const ABSENT_CONTEXT: ContainerContext = Object.freeze({
  id: "",
  name: "",
  imageId: "",
  config: {
    cmd: [],
    restartPolicy: { name: "no" as const, maximumRetryCount: 0 },
    autoRemove: false,
    stopSignal: null,
    stopTimeout: null,
    handlers: {},
  },
  createdAt: 0,
  startedAt: null,
  finishedAt: null,
  exitCode: 0,
  restartCount: 0,
  backoffMs: 0,
  manuallyStopped: false,
  processes: [],
  nextPid: 1,
  execs: [],
  pendingStop: null,
  restartAt: null,
  removal: null,
  error: "",
});

// ---- typed action builders ------------------------------------------------------------------------

const emitDecision = (f: (args: Args) => Decision) =>
  emit<ContainerContext, ContainerMachineInput, undefined, ContainerMachineInput, Decision>(f);
const update = (f: (args: Args) => Partial<ContainerContext>) =>
  assign<ContainerContext, ContainerMachineInput, undefined, ContainerMachineInput, never>(f);

// ---- decisions ------------------------------------------------------------------------------------

const decided = <T extends ContainerMachineCommandType>(
  f: (context: ContainerContext, command: Cmd<T>) => EventDraft[],
) =>
  emitDecision(
    ({ context, event }: Args): Decision => ({ type: "decided", events: f(context, event as Cmd<T>) }),
  );

const rejected = (
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

/** Docker's messages (docs/lifecycle.md lists them with their E-numbers). */
const E = {
  noSuchContainer: rejected("NotFound", "no-such-container", (_, c) => `No such container: ${c.ref}`),
  alreadyExists: rejected("Conflict", "container-exists", (c) => `container ${c.id} already exists`),
  alreadyRunning: rejected("NotModified", "already-running", () => "container is already running"),
  startPaused: rejected(
    "Conflict",
    "start-paused",
    () => "cannot start a paused container, try unpause instead",
  ),
  markedForRemoval: rejected(
    "Conflict",
    "marked-for-removal",
    () => "container is marked for removal and cannot be started",
  ),
  alreadyStopped: rejected("NotModified", "already-stopped", () => "container is already stopped"),
  notRunning: rejected("Conflict", "not-running", (c) => `container ${c.id} is not running`),
  killNotRunning: rejected(
    "Conflict",
    "not-running",
    (c, k) => `cannot kill container: ${k.ref}: container ${c.id} is not running`,
  ),
  alreadyPaused: rejected("Conflict", "already-paused", (c) => `container ${c.id} is already paused`),
  restarting: rejected(
    "Conflict",
    "restarting",
    (c) => `Container ${c.id} is restarting, wait until the container is running`,
  ),
  notPaused: rejected("System", "not-paused", (c) => `Container ${c.id} is not paused`),
  restartMarkedForRemoval: rejected(
    "System",
    "restart-failed",
    (_, k) => `Cannot restart container ${k.ref}: container is marked for removal and cannot be started`,
  ),
  pausedExec: rejected(
    "Conflict",
    "paused",
    (_, k) => `Container ${k.ref} is paused, unpause the container before exec`,
  ),
  commitDead: rejected("Conflict", "commit-dead", (c) => `You cannot commit container ${c.id} which is Dead`),
  commitRemoving: rejected(
    "Conflict",
    "commit-removing",
    (c) => `You cannot commit container ${c.id} which is being removed`,
  ),
  removeRunning: rejected(
    "Conflict",
    "remove-running",
    (_, k) =>
      `cannot remove container "${k.ref}": container is running: stop the container before removing or force remove`,
  ),
  removeRestarting: rejected(
    "Conflict",
    "remove-running",
    (_, k) =>
      `cannot remove container "${k.ref}": container is restarting: stop the container before removing or force remove`,
  ),
  removePaused: rejected(
    "Conflict",
    "remove-paused",
    (_, k) => `cannot remove container "${k.ref}": container is paused and must be unpaused first`,
  ),
  removalInProgress: rejected(
    "Conflict",
    "removal-in-progress",
    (_, k) => `removal of container ${k.ref} is already in progress`,
  ),
  noSuchProcess: rejected(
    "NotFound",
    "no-such-process",
    (c, k) => `No such process: ${(k as Cmd<"process.exit">).pid} in container ${shortId(c.id)}`,
  ),
};

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const nameInUse = (name: string, owner: string) =>
  `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`;

/** `rename`: the same rules in every state that has a container. */
const renameRules = [
  {
    guard: ({ event }: Args) => (event as Cmd<"container.rename">).name === "",
    actions: rejected("InvalidParameter", "empty-name", () => "Neither old nor new names may be empty"),
  },
  {
    guard: ({ event }: Args) => !CONTAINER_NAME.test((event as Cmd<"container.rename">).name),
    actions: rejected(
      "InvalidParameter",
      "invalid-name",
      (_, k) =>
        `Invalid container name (${(k as Cmd<"container.rename">).name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    ),
  },
  {
    guard: ({ context, event }: Args) => (event as Cmd<"container.rename">).name === context.name,
    actions: rejected(
      "InvalidParameter",
      "same-name",
      () => "Renaming a container with the same name as its current name",
    ),
  },
  {
    guard: ({ event }: Args) => (event as Cmd<"container.rename">).nameOwner !== null,
    actions: rejected("Conflict", "name-in-use", (_, k) => {
      const r = k as Cmd<"container.rename">;
      return `Error when allocating new name: ${nameInUse(r.name, r.nameOwner ?? "")}`;
    }),
  },
  {
    actions: decided<"container.rename">((c, k) => [
      { type: "container.renamed", data: { oldName: c.name, newName: k.name } },
    ]),
  },
];

/** Removal, possibly slowed down or failed by an injected fault. */
function removalDrafts(context: ContainerContext, command: Cmd<"container.remove">): EventDraft[] {
  const deadline = command.delayMs > 0 ? command.now + command.delayMs : null;
  const drafts: EventDraft[] = [
    { type: "container.removalStarted", data: { deadline, fails: command.fail } },
  ];
  if (deadline === null) drafts.push(...removalOutcome(context, command.fail));
  return drafts;
}
function removalOutcome(context: ContainerContext, fails: boolean): EventDraft[] {
  return fails
    ? [
        {
          type: "container.removalFailed",
          data: { error: `unable to remove filesystem for ${context.id}: injected fault` },
        },
      ]
    : [{ type: "container.destroyed", data: {} }];
}
const remove = decided<"container.remove">(removalDrafts);

/** `commit`: a new image from the container's image plus one layer; the container's state is unchanged. */
function commitDrafts(
  context: ContainerContext,
  k: Cmd<"container.commit">,
  pauseAround: boolean,
): EventDraft[] {
  const top = k.image.layers[k.image.layers.length - 1];
  const layers = [
    ...k.image.layers,
    {
      id: k.layerId,
      parent: top ? top.id : null,
      createdBy: context.config.cmd.join(" "),
      comment: k.comment,
    },
  ];
  const drafts: EventDraft[] = [
    {
      streamId: k.imageId,
      type: "image.created",
      data: {
        imageId: k.imageId,
        layers,
        parentId: k.image.id,
        containerId: context.id,
        cmd: [...context.config.cmd],
        author: k.author,
        comment: k.comment,
      },
    },
  ];
  if (k.tag !== null) {
    if (k.tagOwner !== null)
      drafts.push({ streamId: k.tagOwner, type: "image.untagged", data: { tag: k.tag } });
    drafts.push({ streamId: k.imageId, type: "image.tagged", data: { tag: k.tag } });
  }
  drafts.push({ type: "container.committed", data: { imageId: k.imageId } });
  return pauseAround
    ? [{ type: "container.paused", data: {} }, ...drafts, { type: "container.unpaused", data: {} }]
    : drafts;
}
const commit = decided<"container.commit">((c, k) => commitDrafts(c, k, false));

const stopRequest = (
  c: ContainerContext,
  k: { signal?: string | null; timeout: number | null; now: number },
) => ({
  signal: (k.signal ?? c.config.stopSignal ?? "SIGTERM") as Cmd<"container.kill">["signal"],
  timeout: k.timeout ?? c.config.stopTimeout ?? DEFAULT_STOP_TIMEOUT_SECONDS,
});

/** Docker's kill quirk: without a custom StopSignal, any kill cancels the restart policy. */
const killCancelsPolicy = (c: ContainerContext, signal: string) =>
  c.config.stopSignal === null || signal === "SIGKILL" || signal === c.config.stopSignal;

const hasProcess = ({ context, event }: Args) =>
  context.processes.some((p) => p.pid === (event as Cmd<"process.exit">).pid);

const forced = ({ event }: Args) => (event as Cmd<"container.remove">).force;

// ---- evolution --------------------------------------------------------------------------------------

const onCreated = update(({ event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.created">;
  return {
    ...ABSENT_CONTEXT,
    id: e.data.containerId,
    name: e.data.name,
    imageId: e.data.imageId,
    config: e.data.config,
    createdAt: e.recordedAt,
  };
});
const onStarted = update(({ context, event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.started">;
  return {
    processes: [
      { pid: 1, kind: "main", execId: null, cmd: context.config.cmd, handlers: context.config.handlers },
    ],
    nextPid: 2,
    startedAt: e.recordedAt,
    pendingStop: null,
    restartAt: null,
    manuallyStopped: false,
    ...(e.data.manual ? { restartCount: 0, backoffMs: 0 } : {}),
  };
});
const onStopRequested = update(({ event }: Args): Partial<ContainerContext> => {
  const { signal, deadline, thenStart } = (event as Ev<"container.stopRequested">).data;
  return { pendingStop: { signal, deadline, thenStart }, manuallyStopped: true };
});
const onSignalled = update(
  ({ context, event }: Args): Partial<ContainerContext> => ({
    manuallyStopped:
      context.manuallyStopped || (event as Ev<"container.signalled">).data.cancelsRestartPolicy,
  }),
);
const onTrapped = update(({ context, event }: Args): Partial<ContainerContext> => {
  const { pid, signal, action } = (event as Ev<"process.trapped">).data;
  return {
    processes: context.processes.map((p) =>
      p.pid === pid ? { ...p, handlers: { ...p.handlers, [signal]: action } } : p,
    ),
  };
});
const onExecStarted = update(({ context, event }: Args): Partial<ContainerContext> => {
  const { execId, pid, cmd, handlers } = (event as Ev<"container.execStarted">).data;
  return {
    processes: [...context.processes, { pid, kind: "exec", execId, cmd, handlers }],
    nextPid: pid + 1,
    execs: [...context.execs, { execId, pid, cmd, running: true, exitCode: null }],
  };
});
const onProcessExited = update(({ context, event }: Args): Partial<ContainerContext> => {
  const { pid, exitCode } = (event as Ev<"process.exited">).data;
  return {
    processes: context.processes.filter((p) => p.pid !== pid),
    execs: context.execs.map((x) => (x.pid === pid && x.running ? { ...x, running: false, exitCode } : x)),
  };
});
const onDied = update(({ event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.died">;
  const r = e.data.restart;
  return {
    processes: [],
    execs: [],
    exitCode: e.data.exitCode,
    finishedAt: e.recordedAt,
    pendingStop: null,
    ...(r ? { restartCount: r.restartCount, backoffMs: r.delayMs, restartAt: r.restartAt } : {}),
  };
});
const onStopped = update((): Partial<ContainerContext> => ({ restartAt: null, manuallyStopped: true }));
const onRenamed = update(
  ({ event }: Args): Partial<ContainerContext> => ({
    name: (event as Ev<"container.renamed">).data.newName,
  }),
);
const onRemovalStarted = update(({ event }: Args): Partial<ContainerContext> => {
  const { deadline, fails } = (event as Ev<"container.removalStarted">).data;
  return { removal: { deadline, fails }, restartAt: null };
});
const onRemovalFailed = update(
  ({ event }: Args): Partial<ContainerContext> => ({
    removal: null,
    error: (event as Ev<"container.removalFailed">).data.error,
  }),
);

const pidOf = ({ event }: Args) => (event as Ev<"process.exited">).data.pid;
const exitedPidIsLive = (a: Args) => pidOf(a) !== 1 && a.context.processes.some((p) => p.pid === pidOf(a));
const execPidIsNext = ({ context, event }: Args) =>
  (event as Ev<"container.execStarted">).data.pid === context.nextPid;
const trappedPidIsLive = ({ context, event }: Args) =>
  context.processes.some((p) => p.pid === (event as Ev<"process.trapped">).data.pid);
const restartScheduled = ({ event }: Args) => (event as Ev<"container.died">).data.restart !== null;

/** Marker events change nothing but must count as accepted (`snapshot.can` ignores empty transitions). */
const marker = update(() => ({}));

/** Filesystem changes need the read-write layer, which exists from create until removal starts. */
const fsChange = decided<"fs.change">((_, k) => [...k.drafts]);
const FS_EVENTS = [
  "fs.fileWritten",
  "fs.dirCreated",
  "fs.symlinkCreated",
  "fs.hardLinked",
  "fs.removed",
  "fs.renamed",
  "fs.copied",
  "fs.modeChanged",
  "fs.ownerChanged",
  "fs.timesChanged",
  "fs.xattrSet",
  "fs.xattrRemoved",
] as const;
const withRwLayer = {
  "fs.change": { actions: fsChange },
  ...Object.fromEntries(FS_EVENTS.map((t) => [t, { actions: marker }])),
} as Record<"fs.change" | (typeof FS_EVENTS)[number], { actions: typeof marker }>;
const withoutRwLayer = {
  "fs.change": {
    actions: rejected("System", "no-rw-layer", (c) => `RWLayer of container ${c.id} is unexpectedly nil`),
  },
};

/** A restart with no process to stop first (created, exited, restarting): start, then Docker's `restart`. */
const startAgain = decided(() => [
  { type: "container.started", data: { pid: 1, manual: true } },
  { type: "container.restarted", data: {} },
]);

/**
 * `created` and `exited` answer commands alike (they differ only in whether PID 1 ever started): start
 * and restart start it, everything that needs a live process is refused, removal and commit work.
 */
const stoppedCommands = {
  "container.start": {
    actions: decided(() => [{ type: "container.started", data: { pid: 1, manual: true } }]),
  },
  "container.stop": { actions: E.alreadyStopped },
  "container.kill": { actions: E.killNotRunning },
  "container.pause": { actions: E.notRunning },
  "container.unpause": { actions: E.notPaused },
  "container.restart": { actions: startAgain },
  "container.exec": { actions: E.notRunning },
  "container.remove": { actions: remove },
  "container.commit": { actions: commit },
  "process.signal": { actions: E.notRunning },
  "process.trap": { actions: E.notRunning },
  "process.exit": { actions: E.notRunning },
};

/** `dead` and `removing` refuse alike everything but remove and commit (which differ). */
const markedForRemovalCommands = {
  "container.start": { actions: E.markedForRemoval },
  "container.stop": { actions: E.alreadyStopped },
  "container.kill": { actions: E.killNotRunning },
  "container.pause": { actions: E.notRunning },
  "container.unpause": { actions: E.notPaused },
  "container.restart": { actions: E.restartMarkedForRemoval },
  "container.exec": { actions: E.notRunning },
  "process.signal": { actions: E.notRunning },
  "process.trap": { actions: E.notRunning },
  "process.exit": { actions: E.notRunning },
};

/** Renames and commits can happen in every state of an existing container. */
const everywhere = {
  "container.create": { actions: E.alreadyExists },
  "container.rename": renameRules,
  "container.renamed": { actions: onRenamed },
  "container.committed": { actions: marker },
};

export const containerMachine = setup({
  types: {
    context: {} as ContainerContext,
    events: {} as ContainerMachineInput,
    emitted: {} as Decision,
  },
}).createMachine({
  id: "container",
  initial: "absent",
  context: ABSENT_CONTEXT,
  states: {
    absent: {
      on: {
        "container.create": [
          {
            guard: ({ event }) =>
              (event as Cmd<"container.create">).nameGiven &&
              !CONTAINER_NAME.test((event as Cmd<"container.create">).name),
            actions: rejected(
              "InvalidParameter",
              "invalid-name",
              (_, k) =>
                `Invalid container name (${(k as Cmd<"container.create">).name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
            ),
          },
          {
            guard: ({ event }) => {
              const k = event as Cmd<"container.create">;
              return k.config.autoRemove && k.config.restartPolicy.name !== "no";
            },
            actions: rejected(
              "InvalidParameter",
              "auto-remove-with-restart",
              () => "can't create 'AutoRemove' container with restart policy",
            ),
          },
          {
            guard: ({ event }) => (event as Cmd<"container.create">).image === null,
            actions: rejected(
              "NotFound",
              "no-such-image",
              (_, k) => `No such image: ${(k as Cmd<"container.create">).imageRef}`,
            ),
          },
          {
            guard: ({ event }) => (event as Cmd<"container.create">).nameOwner !== null,
            actions: rejected("Conflict", "name-in-use", (_, k) => {
              const c = k as Cmd<"container.create">;
              return nameInUse(c.name, c.nameOwner ?? "");
            }),
          },
          {
            actions: decided<"container.create">((_, k) => [
              {
                type: "container.created",
                data: {
                  containerId: k.containerId,
                  name: k.name,
                  imageId: k.image?.id ?? "",
                  config: k.config,
                },
              },
            ]),
          },
        ],
        "container.start": { actions: E.noSuchContainer },
        "container.stop": { actions: E.noSuchContainer },
        "container.kill": { actions: E.noSuchContainer },
        "container.pause": { actions: E.noSuchContainer },
        "container.unpause": { actions: E.noSuchContainer },
        "container.restart": { actions: E.noSuchContainer },
        "container.exec": { actions: E.noSuchContainer },
        "container.remove": { actions: E.noSuchContainer },
        "container.rename": { actions: E.noSuchContainer },
        "container.commit": { actions: E.noSuchContainer },
        "process.signal": { actions: E.noSuchContainer },
        "process.trap": { actions: E.noSuchContainer },
        "process.exit": { actions: E.noSuchContainer },
        "fs.change": { actions: E.noSuchContainer },
        "container.created": { target: "created", actions: onCreated },
      },
    },
    created: {
      on: {
        ...everywhere,
        ...withRwLayer,
        ...stoppedCommands,
        "container.started": { target: "running", actions: onStarted },
        "container.removalStarted": { target: "removing", actions: onRemovalStarted },
      },
    },
    running: {
      on: {
        ...everywhere,
        ...withRwLayer,
        "container.start": { actions: E.alreadyRunning },
        "container.stop": {
          actions: decided<"container.stop">((c, k) =>
            stopProcessSpace(c, { ...stopRequest(c, k), thenStart: false, paused: false }, k.now),
          ),
        },
        "container.kill": {
          actions: decided<"container.kill">((c, k) =>
            deliverSignal(c, 1, k.signal, k.now, { cancelsRestartPolicy: killCancelsPolicy(c, k.signal) }),
          ),
        },
        "container.pause": { actions: decided(() => [{ type: "container.paused", data: {} }]) },
        "container.unpause": { actions: E.notPaused },
        "container.restart": {
          actions: decided<"container.restart">((c, k) =>
            stopProcessSpace(
              c,
              { ...stopRequest(c, { ...k, signal: null }), thenStart: true, paused: false },
              k.now,
            ),
          ),
        },
        "container.exec": {
          actions: decided<"container.exec">((c, k) => [
            {
              type: "container.execStarted",
              data: { execId: k.execId, pid: c.nextPid, cmd: [...k.cmd], handlers: k.handlers },
            },
            ...(k.exitCode === null
              ? []
              : [
                  {
                    type: "process.exited" as const,
                    data: { pid: c.nextPid, exitCode: k.exitCode, signal: null },
                  },
                ]),
          ]),
        },
        "container.remove": [
          {
            guard: forced,
            actions: decided<"container.remove">((c, k) => [
              ...deliverSignal(c, 1, "SIGKILL", k.now, { cancelsRestartPolicy: true, removing: true }),
              ...removalDrafts(c, k),
            ]),
          },
          { actions: E.removeRunning },
        ],
        "container.commit": {
          actions: decided<"container.commit">((c, k) => commitDrafts(c, k, k.pause)),
        },
        "process.signal": [
          {
            guard: hasProcess,
            actions: decided<"process.signal">((c, k) =>
              deliverSignal(c, k.pid, k.signal, k.now, {
                cancelsRestartPolicy: k.pid === 1 && killCancelsPolicy(c, k.signal),
              }),
            ),
          },
          { actions: E.noSuchProcess },
        ],
        "process.trap": [
          {
            guard: hasProcess,
            actions: decided<"process.trap">((_, k) => [
              { type: "process.trapped", data: { pid: k.pid, signal: k.signal, action: k.action } },
            ]),
          },
          { actions: E.noSuchProcess },
        ],
        "process.exit": [
          {
            guard: hasProcess,
            actions: decided<"process.exit">((c, k) => processExit(c, k.pid, k.exitCode, null, k.now)),
          },
          { actions: E.noSuchProcess },
        ],
        "clock.tick": {
          guard: ({ context, event }) =>
            context.pendingStop !== null &&
            context.pendingStop.deadline !== null &&
            context.pendingStop.deadline <= event.now,
          actions: decided<"clock.tick">((c, k) =>
            deliverSignal(c, 1, "SIGKILL", k.now, { cancelsRestartPolicy: true }),
          ),
        },
        "container.stopRequested": { actions: onStopRequested },
        "container.signalled": { actions: onSignalled },
        "process.trapped": { guard: trappedPidIsLive, actions: onTrapped },
        "container.execStarted": { guard: execPidIsNext, actions: onExecStarted },
        "process.exited": { guard: exitedPidIsLive, actions: onProcessExited },
        "container.died": [
          { guard: restartScheduled, target: "restarting", actions: onDied },
          { target: "exited", actions: onDied },
        ],
        "container.paused": { target: "paused" },
        "container.restarted": { actions: marker },
      },
    },
    paused: {
      on: {
        ...everywhere,
        ...withRwLayer,
        "container.start": { actions: E.startPaused },
        "container.stop": {
          actions: decided<"container.stop">((c, k) =>
            stopProcessSpace(c, { ...stopRequest(c, k), thenStart: false, paused: true }, k.now),
          ),
        },
        "container.kill": {
          actions: decided<"container.kill">((c, k) =>
            deliverSignal(c, 1, k.signal, k.now, {
              cancelsRestartPolicy: killCancelsPolicy(c, k.signal),
              between: [{ type: "container.unpaused", data: {} }],
            }),
          ),
        },
        "container.pause": { actions: E.alreadyPaused },
        "container.unpause": { actions: decided(() => [{ type: "container.unpaused", data: {} }]) },
        "container.restart": {
          actions: decided<"container.restart">((c, k) =>
            stopProcessSpace(
              c,
              { ...stopRequest(c, { ...k, signal: null }), thenStart: true, paused: true },
              k.now,
            ),
          ),
        },
        "container.exec": { actions: E.pausedExec },
        "container.remove": [
          {
            guard: forced,
            actions: decided<"container.remove">((c, k) => [
              ...deliverSignal(c, 1, "SIGKILL", k.now, {
                cancelsRestartPolicy: true,
                removing: true,
                between: [{ type: "container.unpaused", data: {} }],
              }),
              ...removalDrafts(c, k),
            ]),
          },
          { actions: E.removePaused },
        ],
        "container.commit": { actions: commit },
        "process.signal": { actions: E.pausedExec },
        "process.trap": { actions: E.pausedExec },
        "process.exit": { actions: E.pausedExec },
        // A stop's deadline can pass while the container is paused: SIGKILL is queued and the
        // cgroup thawed so it is delivered, as Docker's kill does for a paused container.
        "clock.tick": {
          guard: ({ context, event }) =>
            context.pendingStop !== null &&
            context.pendingStop.deadline !== null &&
            context.pendingStop.deadline <= event.now,
          actions: decided<"clock.tick">((c, k) =>
            deliverSignal(c, 1, "SIGKILL", k.now, {
              cancelsRestartPolicy: true,
              between: [{ type: "container.unpaused", data: {} }],
            }),
          ),
        },
        "container.stopRequested": { actions: onStopRequested },
        "container.signalled": { actions: onSignalled },
        "container.unpaused": { target: "running" },
      },
    },
    restarting: {
      on: {
        ...everywhere,
        ...withRwLayer,
        "container.start": { actions: E.alreadyRunning },
        "container.stop": { actions: decided(() => [{ type: "container.stopped", data: {} }]) },
        "container.kill": { actions: decided(() => [{ type: "container.restartCancelled", data: {} }]) },
        "container.pause": { actions: E.restarting },
        "container.unpause": { actions: E.notPaused },
        "container.restart": { actions: startAgain },
        "container.exec": { actions: E.restarting },
        "container.remove": [
          {
            guard: forced,
            actions: decided<"container.remove">((c, k) => [
              { type: "container.restartCancelled", data: {} },
              ...removalDrafts(c, k),
            ]),
          },
          { actions: E.removeRestarting },
        ],
        "container.commit": { actions: commit },
        "process.signal": { actions: E.restarting },
        "process.trap": { actions: E.restarting },
        "process.exit": { actions: E.restarting },
        "clock.tick": {
          guard: ({ context, event }) => context.restartAt !== null && context.restartAt <= event.now,
          actions: decided(() => [{ type: "container.started", data: { pid: 1, manual: false } }]),
        },
        "container.started": { target: "running", actions: onStarted },
        "container.stopped": { target: "exited", actions: onStopped },
        "container.restartCancelled": { target: "exited", actions: onStopped },
      },
    },
    exited: {
      on: {
        ...everywhere,
        ...withRwLayer,
        ...stoppedCommands,
        "container.started": { target: "running", actions: onStarted },
        "container.stopped": { actions: onStopped },
        "container.removalStarted": { target: "removing", actions: onRemovalStarted },
      },
    },
    dead: {
      on: {
        ...everywhere,
        ...withoutRwLayer,
        ...markedForRemovalCommands,
        "container.remove": { actions: remove },
        "container.commit": { actions: E.commitDead },
        "container.removalStarted": { target: "removing", actions: onRemovalStarted },
      },
    },
    removing: {
      on: {
        ...everywhere,
        ...withoutRwLayer,
        ...markedForRemovalCommands,
        "container.remove": { actions: E.removalInProgress },
        "container.commit": { actions: E.commitRemoving },
        "clock.tick": {
          guard: ({ context, event }) =>
            context.removal !== null &&
            context.removal.deadline !== null &&
            context.removal.deadline <= event.now,
          actions: decided((c) => removalOutcome(c, c.removal?.fails ?? false)),
        },
        "container.destroyed": { target: "removed" },
        "container.removalFailed": { target: "dead", actions: onRemovalFailed },
      },
    },
    removed: { type: "final" },
  },
});

/** The machine's state names: Docker's seven states plus `absent` and `removed`. */
export type ContainerMachineState =
  | "absent"
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "exited"
  | "dead"
  | "removing"
  | "removed";
