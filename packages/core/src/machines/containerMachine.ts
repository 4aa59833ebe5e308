/**
 * The container lifecycle, Docker's real states, as one xstate v5 machine. It is the single source of
 * the rules: for every command in every state it either emits a {@link Decision} (the events to
 * append, a typed rejection in Docker's words, or both when the command fails part-way) or, for an
 * event, moves to the next state.
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
import { setup } from "xstate";
import type { ContainerContext } from "../engine/EngineState.js";
import type { Rejection } from "../errors.js";
import type { HistoryEntry } from "../events/common.js";
import type { ContainerMachineCommand } from "./containerCommands.js";
import {
  ABSENT_CONTEXT,
  onCreated,
  onDied,
  onExecCreated,
  onExecStarted,
  onHealthChecked,
  onHealthSet,
  onOomKilled,
  onPaused,
  onProcessExited,
  onRemovalFailed,
  onRemovalStarted,
  onRenamed,
  onShutDown,
  onSignalled,
  onStarted,
  onStartFailed,
  onStopped,
  onStopRequested,
  onTrapped,
  onUnpaused,
} from "./containerEvolution.js";
import {
  type Args,
  type Cmd,
  type ContainerEventInput,
  type ContainerMachineInput,
  decided,
  decidedWith,
  type Ev,
  marker,
  rejected,
} from "./containerMachineKit.js";
import { E } from "./containerRejections.js";
import type { Decision, EventDraft } from "./Decision.js";
import { bootDrafts, shutdownDrafts } from "./daemonLifecycle.js";
import { hasProbe, probeResult } from "./health.js";
import {
  DEFAULT_STOP_TIMEOUT_SECONDS,
  deliverSignal,
  processExit,
  stopProcessSpace,
} from "./processSpace.js";
import { startMain } from "./startProcess.js";

export { ABSENT_CONTEXT } from "./containerEvolution.js";
export type { ContainerEventInput, ContainerMachineInput } from "./containerMachineKit.js";

const ok = (events: EventDraft[]): Decision => ({ type: "decided", events });
const failed = (events: EventDraft[], rejection: Rejection): Decision => ({
  type: "failed",
  events,
  rejection,
});

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const nameInUse = (name: string, owner: string) =>
  `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`;

/** `rename`: the same rules in every state that has a container (moby daemon/rename.go, in order). */
const renameRules = [
  {
    guard: ({ event }: Args) => (event as Cmd<"container.rename">).name === "",
    actions: rejected("InvalidParameter", "empty-name", () => "Neither old nor new names may be empty"),
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
    guard: ({ event }: Args) => !CONTAINER_NAME.test((event as Cmd<"container.rename">).name),
    actions: rejected(
      "InvalidParameter",
      "invalid-name",
      (_, k) =>
        `Error when allocating new name: Invalid container name (/${(k as Cmd<"container.rename">).name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
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

/** Docker's words for a removal that fails part-way (moby daemon/delete.go). */
const REMOVAL_ERROR = "unable to remove filesystem: injected fault";

/**
 * Removal after `before` (an `rm -f`'s kill), possibly slowed down or failed by an injected fault. A
 * failure without delay fails the command: the container is recorded `dead` and the `rm` answers 500.
 */
function removal(k: Cmd<"container.remove">, before: EventDraft[] = []): Decision {
  const deadline = k.delayMs > 0 ? k.now + k.delayMs : null;
  const events: EventDraft[] = [
    ...before,
    { type: "container.removalStarted", data: { deadline, fails: k.fail } },
  ];
  if (deadline !== null) return ok(events);
  if (!k.fail) return ok([...events, { type: "container.destroyed", data: {} }]);
  return failed([...events, { type: "container.removalFailed", data: { error: REMOVAL_ERROR } }], {
    code: "System",
    reason: "removal-failed",
    message: `cannot remove container "${k.ref}": ${REMOVAL_ERROR}`,
  });
}
const removalOutcome = (fails: boolean): EventDraft[] =>
  fails
    ? [{ type: "container.removalFailed", data: { error: REMOVAL_ERROR } }]
    : [{ type: "container.destroyed", data: {} }];
const remove = decidedWith<"container.remove">((_, k) => removal(k));

/** `commit`: a new image from the container's image plus one layer; the container's state is unchanged. */
function commitDecision(
  context: ContainerContext,
  k: Cmd<"container.commit">,
  pauseAround: boolean,
): Decision {
  if ("error" in k.config)
    return {
      type: "rejected",
      rejection: { code: "InvalidParameter", reason: "invalid-change", message: k.config.error },
    };
  const top = k.image.layers[k.image.layers.length - 1];
  const createdBy = context.config.cmd.join(" ");
  const layers = [
    ...k.image.layers,
    { id: k.layerId, parent: top ? top.id : null, createdBy, comment: k.comment },
  ];
  const history: HistoryEntry[] = [
    ...(k.image.history ?? []),
    { created: k.now, createdBy, comment: k.comment, author: k.author, emptyLayer: false },
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
        cmd: [...k.config.cmd],
        author: k.author,
        comment: k.comment,
        config: k.config,
        history,
        // A commit runs where its image runs.
        ...(k.image.platform ? { platform: k.image.platform } : {}),
      },
    },
  ];
  if (k.tag !== null) {
    if (k.tagOwner !== null)
      drafts.push({ streamId: k.tagOwner, type: "image.untagged", data: { tag: k.tag } });
    drafts.push({ streamId: k.imageId, type: "image.tagged", data: { tag: k.tag } });
  }
  drafts.push({ type: "container.committed", data: { imageId: k.imageId } });
  return ok(
    pauseAround
      ? [{ type: "container.paused", data: {} }, ...drafts, { type: "container.unpaused", data: {} }]
      : drafts,
  );
}
const commit = decidedWith<"container.commit">((c, k) => commitDecision(c, k, false));

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

/** A restart's start half may be refused by the runtime: Docker's restart then answers 500. */
function restartDecision(k: { ref: string }, events: EventDraft[]): Decision {
  const failure = events.find((e) => e.type === "container.startFailed");
  if (failure?.type !== "container.startFailed") return ok(events);
  return failed(events, {
    code: "System",
    reason: "restart-failed",
    message: `Cannot restart container ${k.ref}: ${failure.data.error}`,
  });
}

/** A user's start: PID 1 starts, or the runtime refuses (the command fails, the exit code is recorded). */
const start = decidedWith((c, k) => {
  const r = startMain(c, k, { manual: true });
  return r.ok ? ok(r.events) : failed(r.events, r.rejection);
});

/** A restart with no process to stop first (created, exited): start, then Docker's `restart`. */
const startAgain = decidedWith<"container.restart">((c, k) =>
  restartDecision(
    k,
    startMain(c, k, { manual: true, afterStart: [{ type: "container.restarted", data: {} }] }).events,
  ),
);

const hasProcess = ({ context, event }: Args) =>
  context.processes.some((p) => p.pid === (event as Cmd<"process.exit">).pid);

/** An exec create whose id another exec instance has (in any container). */
const execIdTaken = ({ event }: Args) => (event as Cmd<"container.execCreate">).execIdOwner !== null;

const forced = ({ event }: Args) => (event as Cmd<"container.remove">).force;
const badStopSignal = ({ event }: Args) => (event as Cmd<"container.stop">).badSignal !== null;

/** Exec instances: a created one starts once (moby daemon/exec.go `ContainerExecStart`). */
const execStartRules = [
  {
    guard: ({ event }: Args) => (event as Cmd<"exec.start">).exec.exitCode !== null,
    actions: E.execAlreadyRan,
  },
  { guard: ({ event }: Args) => (event as Cmd<"exec.start">).exec.running, actions: E.execRunning },
  {
    actions: decided<"exec.start">((c, k) => [
      {
        type: "container.execStarted",
        data: { execId: k.execId, pid: c.nextPid, cmd: [...k.exec.cmd], handlers: k.exec.handlers ?? {} },
      },
      ...(k.exec.exitsWith === null || k.exec.exitsWith === undefined
        ? []
        : [
            {
              type: "process.exited" as const,
              data: { pid: c.nextPid, exitCode: k.exec.exitsWith, signal: null },
            },
          ]),
    ]),
  },
];

/** A stop's SIGKILL deadline has passed. */
const stopDue = ({ context, event }: Args) =>
  context.pendingStop !== null &&
  context.pendingStop.deadline !== null &&
  context.pendingStop.deadline <= (event as Cmd<"clock.tick">).now;
/** A health probe is due (and not after a stop's deadline that is due too: the stop fires first). */
const probeDue = ({ context, event }: Args) =>
  context.health?.nextProbeAt != null && context.health.nextProbeAt <= (event as Cmd<"clock.tick">).now;

/** One health probe: its result, and Docker's `health_status` event when the status changes. */
const probe = decided<"clock.tick">((c, k) => {
  const hc = c.config.healthcheck;
  const h = c.health;
  if (!h || !hasProbe(hc)) return [];
  const r = probeResult(hc, h, c.startedAt ?? k.now, k.now, c.healthAnswer);
  return [
    { type: "container.healthChecked", data: { exitCode: c.healthAnswer, ...r } },
    ...(r.status === h.status
      ? []
      : [{ type: "container.healthStatusChanged" as const, data: { status: r.status } }]),
  ];
});

// ---- evolution guards -------------------------------------------------------------------------------

const pidOf = ({ event }: Args) => (event as Ev<"process.exited">).data.pid;
const exitedPidIsLive = (a: Args) => pidOf(a) !== 1 && a.context.processes.some((p) => p.pid === pidOf(a));
const execPidIsNext = ({ context, event }: Args) =>
  (event as Ev<"container.execStarted">).data.pid === context.nextPid;
const trappedPidIsLive = ({ context, event }: Args) =>
  context.processes.some((p) => p.pid === (event as Ev<"process.trapped">).data.pid);
const restartScheduled = ({ event }: Args) => (event as Ev<"container.died">).data.restart !== null;

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

/** Commands that need a running container, refused alike by every state without a live PID 1. */
const notRunningCommands = {
  "container.kill": { actions: E.killNotRunning },
  "container.pause": { actions: E.notRunning },
  "container.unpause": { actions: E.notPaused },
  "container.exec": { actions: E.notRunning },
  "container.execCreate": { actions: E.notRunning },
  "exec.start": { actions: E.notRunning },
  "container.oom": { actions: E.notRunning },
  "process.signal": { actions: E.notRunning },
  "process.trap": { actions: E.notRunning },
  "process.exit": { actions: E.notRunning },
};

/**
 * `created` and `exited` answer commands alike (they differ only in whether PID 1 ever started): start
 * and restart start it, everything that needs a live process is refused, removal and commit work.
 */
const stoppedCommands = {
  ...notRunningCommands,
  "container.start": { actions: start },
  "container.stop": { actions: E.alreadyStopped },
  "container.restart": { actions: startAgain },
  "container.remove": { actions: remove },
  "container.commit": { actions: commit },
  "container.started": { target: "running", actions: onStarted },
  "container.startFailed": { actions: onStartFailed },
  "container.removalStarted": { target: "removing", actions: onRemovalStarted },
};

/** `dead` and `removing` refuse alike everything but remove and commit (which differ). */
const markedForRemovalCommands = {
  ...notRunningCommands,
  "container.start": { actions: E.markedForRemoval },
  "container.stop": { actions: E.alreadyStopped },
  "container.restart": { actions: E.restartMarkedForRemoval },
};

/** Refusals of a container whose PID 1 is paused or restarting, for the process-level commands. */
const processCommands = (refusal: typeof E.restarting) => ({
  "container.exec": { actions: refusal },
  "container.execCreate": { actions: refusal },
  "process.signal": { actions: refusal },
  "process.trap": { actions: refusal },
  "process.exit": { actions: refusal },
});

/** Renames, commits, health answers and the daemon's restart work in every state of a container. */
const everywhere = {
  "container.create": { actions: E.alreadyExists },
  "container.rename": renameRules,
  "container.renamed": { actions: onRenamed },
  "container.committed": { actions: marker },
  "container.setHealth": [
    {
      guard: ({ context }: Args) => hasProbe(context.config.healthcheck),
      actions: decided<"container.setHealth">((_, k) => [
        { type: "container.healthSet", data: { exitCode: k.exitCode } },
      ]),
    },
    { actions: E.noHealthcheck },
  ],
  "container.healthSet": { actions: onHealthSet },
  "daemon.shutdown": { actions: decided<"daemon.shutdown">(() => []) },
  "daemon.boot": { actions: decided<"daemon.boot">(() => []) },
};

/** What a live container (running, paused, restarting) does when the daemon goes down. */
const shutdownFrom = (status: "running" | "paused" | "restarting") => ({
  actions: decided<"daemon.shutdown">((c, k) => shutdownDrafts(c, status, k.crashed, k)),
});
const bootFrom = (status: "created" | "exited" | "dead" | "removing") => ({
  actions: decided<"daemon.boot">((c, k) => bootDrafts(c, status, k)),
});

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
            // Docker validates the settings first (verifyContainerSettings), then finds the image,
            // then reserves the name (moby daemon/create.go).
            guard: ({ event }) => (event as Cmd<"container.create">).invalid !== null,
            actions: decidedWith<"container.create">((_, k) => ({
              type: "rejected",
              rejection: {
                code: "InvalidParameter",
                reason: k.invalid?.reason ?? "",
                message: k.invalid?.message ?? "",
              },
            })),
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
                  imageRef: k.imageRef,
                  imageAsGiven: k.imageAsGiven,
                },
              },
            ]),
          },
        ],
        ...Object.fromEntries(
          (
            [
              "container.start",
              "container.stop",
              "container.pause",
              "container.unpause",
              "container.restart",
              "container.exec",
              "container.execCreate",
              "container.remove",
              "container.rename",
              "container.commit",
              "container.oom",
              "container.setHealth",
              "process.signal",
              "process.trap",
              "process.exit",
              "fs.change",
            ] as const
          ).map((t) => [t, { actions: E.noSuchContainer }]),
        ),
        "container.kill": { actions: E.killNoSuchContainer },
        "container.created": { target: "created", actions: onCreated },
      },
    },
    created: {
      on: {
        ...everywhere,
        ...withRwLayer,
        ...stoppedCommands,
        "daemon.boot": bootFrom("created"),
      },
    },
    running: {
      on: {
        ...everywhere,
        ...withRwLayer,
        "container.start": { actions: E.alreadyRunning },
        "container.stop": [
          { guard: badStopSignal, actions: E.stopBadSignal },
          {
            actions: decided<"container.stop">((c, k) =>
              stopProcessSpace(c, { ...stopRequest(c, k), thenStart: false, paused: false }, k),
            ),
          },
        ],
        "container.kill": {
          actions: decided<"container.kill">((c, k) =>
            deliverSignal(c, 1, k.signal, k, { cancelsRestartPolicy: killCancelsPolicy(c, k.signal) }),
          ),
        },
        "container.pause": { actions: decided(() => [{ type: "container.paused", data: {} }]) },
        "container.unpause": { actions: E.notPaused },
        "container.restart": {
          actions: decidedWith<"container.restart">((c, k) =>
            restartDecision(
              k,
              stopProcessSpace(
                c,
                { ...stopRequest(c, { ...k, signal: null }), thenStart: true, paused: false },
                k,
              ),
            ),
          ),
        },
        "container.exec": [
          { guard: execIdTaken, actions: E.execIdInUse },
          {
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
        ],
        "container.execCreate": [
          { guard: execIdTaken, actions: E.execIdInUse },
          {
            actions: decided<"container.execCreate">((_, k) => [
              {
                type: "container.execCreated",
                data: { execId: k.execId, cmd: [...k.cmd], handlers: k.handlers, exitCode: k.exitCode },
              },
            ]),
          },
        ],
        "exec.start": execStartRules,
        "container.remove": [
          {
            guard: forced,
            actions: decidedWith<"container.remove">((c, k) =>
              removal(k, deliverSignal(c, 1, "SIGKILL", k, { cancelsRestartPolicy: true, removing: true })),
            ),
          },
          { actions: E.removeRunning },
        ],
        "container.commit": {
          actions: decidedWith<"container.commit">((c, k) => commitDecision(c, k, k.pause)),
        },
        "container.oom": [
          {
            guard: hasProcess,
            actions: decided<"container.oom">((c, k) => [
              { type: "container.oomKilled", data: { pid: k.pid } },
              ...processExit(c, k.pid, 137, "SIGKILL", k),
            ]),
          },
          { actions: E.noSuchProcess },
        ],
        "process.signal": [
          {
            guard: hasProcess,
            actions: decided<"process.signal">((c, k) =>
              deliverSignal(c, k.pid, k.signal, k, {
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
            actions: decided<"process.exit">((c, k) => processExit(c, k.pid, k.exitCode, null, k)),
          },
          { actions: E.noSuchProcess },
        ],
        "clock.tick": [
          {
            guard: (a: Args) =>
              stopDue(a) &&
              ((a.context.pendingStop?.deadline ?? 0) <= (a.context.health?.nextProbeAt ?? Infinity) ||
                !probeDue(a)),
            actions: decided<"clock.tick">((c, k) =>
              deliverSignal(c, 1, "SIGKILL", k, { cancelsRestartPolicy: true }),
            ),
          },
          { guard: probeDue, actions: probe },
        ],
        "daemon.shutdown": shutdownFrom("running"),
        "container.stopRequested": { actions: onStopRequested },
        "container.signalled": { actions: onSignalled },
        "process.trapped": { guard: trappedPidIsLive, actions: onTrapped },
        "container.execCreated": { actions: onExecCreated },
        "container.execStarted": { guard: execPidIsNext, actions: onExecStarted },
        "process.exited": { guard: exitedPidIsLive, actions: onProcessExited },
        "container.oomKilled": { actions: onOomKilled },
        "container.healthChecked": { actions: onHealthChecked },
        "container.healthStatusChanged": { actions: marker },
        "container.died": [
          { guard: restartScheduled, target: "restarting", actions: onDied },
          { target: "exited", actions: onDied },
        ],
        "container.shutDown": { target: "exited", actions: onShutDown },
        "container.paused": { target: "paused", actions: onPaused },
        "container.restarted": { actions: marker },
      },
    },
    paused: {
      on: {
        ...everywhere,
        ...withRwLayer,
        ...processCommands(E.pausedExec),
        "container.start": { actions: E.startPaused },
        "container.stop": [
          { guard: badStopSignal, actions: E.stopBadSignal },
          {
            actions: decided<"container.stop">((c, k) =>
              stopProcessSpace(c, { ...stopRequest(c, k), thenStart: false, paused: true }, k),
            ),
          },
        ],
        "container.kill": {
          actions: decided<"container.kill">((c, k) =>
            deliverSignal(c, 1, k.signal, k, {
              cancelsRestartPolicy: killCancelsPolicy(c, k.signal),
              between: [{ type: "container.unpaused", data: {} }],
            }),
          ),
        },
        "container.pause": { actions: E.alreadyPaused },
        "container.unpause": { actions: decided(() => [{ type: "container.unpaused", data: {} }]) },
        "container.restart": {
          actions: decidedWith<"container.restart">((c, k) =>
            restartDecision(
              k,
              stopProcessSpace(
                c,
                { ...stopRequest(c, { ...k, signal: null }), thenStart: true, paused: true },
                k,
              ),
            ),
          ),
        },
        "exec.start": { actions: E.pausedExecStart },
        "container.oom": { actions: E.oomPaused },
        "container.remove": [
          {
            guard: forced,
            actions: decidedWith<"container.remove">((c, k) =>
              removal(
                k,
                deliverSignal(c, 1, "SIGKILL", k, {
                  cancelsRestartPolicy: true,
                  removing: true,
                  between: [{ type: "container.unpaused", data: {} }],
                }),
              ),
            ),
          },
          { actions: E.removePaused },
        ],
        "container.commit": { actions: commit },
        // A stop's deadline can pass while the container is paused: SIGKILL is queued and the
        // cgroup thawed so it is delivered, as Docker's kill does for a paused container.
        "clock.tick": {
          guard: stopDue,
          actions: decided<"clock.tick">((c, k) =>
            deliverSignal(c, 1, "SIGKILL", k, {
              cancelsRestartPolicy: true,
              between: [{ type: "container.unpaused", data: {} }],
            }),
          ),
        },
        "daemon.shutdown": shutdownFrom("paused"),
        "container.stopRequested": { actions: onStopRequested },
        "container.signalled": { actions: onSignalled },
        "container.unpaused": { target: "running", actions: onUnpaused },
        "container.shutDown": { target: "exited", actions: onShutDown },
      },
    },
    restarting: {
      on: {
        ...everywhere,
        ...withRwLayer,
        ...processCommands(E.restarting),
        "container.start": { actions: E.alreadyRunning },
        "container.stop": [
          { guard: badStopSignal, actions: E.stopBadSignal },
          { actions: decided(() => [{ type: "container.stopped", data: {} }]) },
        ],
        "container.kill": { actions: decided(() => [{ type: "container.restartCancelled", data: {} }]) },
        "container.pause": { actions: E.restarting },
        "container.unpause": { actions: E.notPaused },
        // Docker's restart stops first: the pending restart is cancelled (its `stop` event), then starts.
        "container.restart": {
          actions: decidedWith<"container.restart">((c, k) =>
            restartDecision(k, [
              { type: "container.stopped", data: {} },
              ...startMain({ ...c, manuallyStopped: true, restartAt: null }, k, {
                manual: true,
                afterStart: [{ type: "container.restarted", data: {} }],
              }).events,
            ]),
          ),
        },
        "exec.start": { actions: E.restarting },
        "container.oom": { actions: E.restarting },
        "container.remove": [
          {
            guard: forced,
            actions: decidedWith<"container.remove">((_, k) =>
              removal(k, [{ type: "container.restartCancelled", data: {} }]),
            ),
          },
          { actions: E.removeRestarting },
        ],
        "container.commit": { actions: commit },
        "clock.tick": {
          guard: ({ context, event }) => context.restartAt !== null && context.restartAt <= event.now,
          // The restart manager's start: a failure leaves the container exited with its previous code.
          actions: decided((c, k) => startMain(c, k, { manual: false, keepExitCode: true }).events),
        },
        "daemon.shutdown": shutdownFrom("restarting"),
        "container.started": { target: "running", actions: onStarted },
        "container.startFailed": { target: "exited", actions: onStartFailed },
        "container.stopped": { target: "exited", actions: onStopped },
        "container.restartCancelled": { target: "exited", actions: onStopped },
        "container.shutDown": { target: "exited", actions: onShutDown },
      },
    },
    exited: {
      on: {
        ...everywhere,
        ...withRwLayer,
        ...stoppedCommands,
        "daemon.boot": bootFrom("exited"),
        "container.stopped": { actions: onStopped },
      },
    },
    dead: {
      on: {
        ...everywhere,
        ...withoutRwLayer,
        ...markedForRemovalCommands,
        "container.remove": { actions: remove },
        "container.commit": { actions: E.commitDead },
        "daemon.boot": bootFrom("dead"),
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
          actions: decided((c) => removalOutcome(c.removal?.fails ?? false)),
        },
        "daemon.boot": bootFrom("removing"),
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

/** The command types the machine decides (for exhaustiveness checks in tests). */
export type ContainerMachineCommandName = ContainerMachineCommand["type"];
/** The event types the machine folds. */
export type ContainerMachineEventName = ContainerEventInput["type"];
