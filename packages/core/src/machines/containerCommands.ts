/**
 * The container machine's input when it decides: a user's command, resolved and normalised by
 * `decide` (the container found, signals parsed, ids filled in), plus the facts from outside the
 * container that the rules need (the time, who owns a name, what the image is).
 */
import type { ExecInfo } from "../engine/EngineState.js";
import type {
  ContainerConfig,
  HistoryEntry,
  ImageConfig,
  Layer,
  Platform,
  SignalAction,
  SignalHandlers,
} from "../events/common.js";
import type { SignalName } from "../signals.js";
import type { EventDraft } from "./Decision.js";

export interface At {
  /** The injected clock's time, ms. */
  readonly now: number;
  /** What the user typed to name the container (Docker quotes it in messages). */
  readonly ref: string;
  /**
   * What the runtime says of the container's program when it starts it (see {@link ProgramLookup});
   * absent: it runs (core alone cannot see files).
   */
  readonly lookPath?: ProgramLookup;
}

/**
 * runc's `exec.LookPath` of the container's program (entrypoint and cmd's first word) in the
 * container's root: null when the runtime can start it, else the runtime's error text
 * (`exec: "/x": stat /x: no such file or directory`). Asked only when a start happens; the fs
 * projection answers it (`Projection.runtime`).
 */
export type ProgramLookup = () => string | null;

/** The moment of a decision, as the helpers that may start PID 1 need it. */
export type Moment = Pick<At, "now" | "lookPath">;

/** The image a new container or a commit starts from. */
export interface ImageFacts {
  readonly id: string;
  readonly layers: readonly Layer[];
  readonly cmd: readonly string[];
  /** Its history (a commit appends one entry) and configuration. */
  readonly history?: readonly HistoryEntry[];
  readonly config?: ImageConfig;
  /** The platform it runs on, when recorded (a commit keeps it). */
  readonly platform?: Platform;
}

export type ContainerMachineCommand =
  | (At & {
      readonly type: "container.create";
      readonly containerId: string;
      readonly name: string;
      /** Whether the user chose the name (a bad chosen name is a 400; generated ones are always valid). */
      readonly nameGiven: boolean;
      /** The container that already has this name, if any. */
      readonly nameOwner: string | null;
      readonly imageRef: string;
      /** The reference exactly as typed (Docker's `Config.Image`). */
      readonly imageAsGiven: string;
      readonly image: ImageFacts | null;
      readonly config: ContainerConfig;
      /** A value Docker validates that is wrong (restart policy, stop signal…): its 400 refusal. */
      readonly invalid: { readonly reason: string; readonly message: string } | null;
    })
  | (At & { readonly type: "container.start" })
  | (At & {
      readonly type: "container.stop";
      readonly signal: SignalName | null;
      /** The request's signal, when Docker cannot parse it: its message (a 500 if the container runs). */
      readonly badSignal: string | null;
      readonly timeout: number | null;
    })
  | (At & { readonly type: "container.kill"; readonly signal: SignalName })
  | (At & { readonly type: "container.pause" })
  | (At & { readonly type: "container.unpause" })
  | (At & { readonly type: "container.restart"; readonly timeout: number | null })
  | (At & {
      readonly type: "container.exec";
      readonly execId: string;
      /** The container that already has an exec instance with this id, if any. */
      readonly execIdOwner: string | null;
      readonly cmd: readonly string[];
      readonly handlers: SignalHandlers;
      readonly exitCode: number | null;
    })
  | (At & {
      readonly type: "container.remove";
      readonly force: boolean;
      readonly fail: boolean;
      readonly delayMs: number;
    })
  | (At & { readonly type: "container.rename"; readonly name: string; readonly nameOwner: string | null })
  | (At & {
      readonly type: "container.commit";
      readonly imageId: string;
      readonly layerId: string;
      readonly tag: string | null;
      /** The image the tag points at now, if another one. */
      readonly tagOwner: string | null;
      readonly comment: string;
      readonly author: string;
      readonly pause: boolean;
      readonly image: ImageFacts;
      /** The `--change` instructions applied to the container's config, or their 400 message. */
      readonly config: ImageConfig | { readonly error: string };
    })
  | (At & {
      readonly type: "container.execCreate";
      readonly execId: string;
      /** The container that already has an exec instance with this id, if any. */
      readonly execIdOwner: string | null;
      readonly cmd: readonly string[];
      readonly handlers: SignalHandlers;
      readonly exitCode: number | null;
    })
  /** Docker's exec start: `exec` is the instance (found in this container by decide). */
  | (At & { readonly type: "exec.start"; readonly execId: string; readonly exec: ExecInfo })
  | (At & { readonly type: "container.oom"; readonly pid: number })
  | (At & { readonly type: "container.setHealth"; readonly exitCode: number })
  /** The daemon goes down: what happens to this container (`crashed`: no shutdown ran). */
  | (At & { readonly type: "daemon.shutdown"; readonly crashed: boolean })
  /** The daemon comes up again: dockerd's restore for this container. */
  | (At & { readonly type: "daemon.boot" })
  | (At & { readonly type: "process.signal"; readonly pid: number; readonly signal: SignalName })
  | (At & {
      readonly type: "process.trap";
      readonly pid: number;
      readonly signal: SignalName;
      readonly action: SignalAction;
    })
  | (At & { readonly type: "process.exit"; readonly pid: number; readonly exitCode: number })
  /**
   * A filesystem change to the container's read-write layer (any `fs.*` command), as the events it
   * will append. The machine only decides whether the container has a read-write layer to change.
   */
  | (At & { readonly type: "fs.change"; readonly command: string; readonly drafts: readonly EventDraft[] })
  /** Time passed: fire what is due (a stop's SIGKILL, a policy restart, a delayed removal). */
  | (At & { readonly type: "clock.tick" });

export type ContainerMachineCommandType = ContainerMachineCommand["type"];
