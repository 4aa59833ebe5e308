/**
 * The engine's state: a pure fold of the log. Plain, frozen data (no class instances, no xstate
 * objects), so it can be compared, serialised and snapshotted.
 */
import type {
  ContainerConfig,
  HistoryEntry,
  ImageConfig,
  Layer,
  Platform,
  SignalHandlers,
} from "../events/common.js";
import type { ImageStore } from "../events/daemonEvents.js";

/** Docker's seven container states (`State.Status`). A removed container is no longer in the state. */
export type ContainerStatus =
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "exited"
  | "dead"
  | "removing";

/** A live process in a container's PID namespace. */
export interface ProcessInfo {
  readonly pid: number;
  readonly kind: "main" | "exec";
  readonly execId: string | null;
  readonly cmd: readonly string[];
  readonly handlers: SignalHandlers;
}

/**
 * An exec instance (Docker's exec inspect): created, then running, then exited with its code. Kept
 * inspectable after its process ended; an instance still created or running when PID 1 dies is
 * unregistered with it (`No such exec instance`).
 */
export interface ExecInfo {
  readonly execId: string;
  /** Its PID inside the container (0 until it starts). */
  readonly pid: number;
  readonly cmd: readonly string[];
  readonly running: boolean;
  readonly exitCode: number | null;
  /** Started (an instance can be started once). Absent in states folded before exec create existed. */
  readonly started?: boolean;
  /** Its host PID (Docker's exec inspect `Pid`), 0 until it starts. */
  readonly hostPid?: number;
  /** The handlers and immediate exit code it was created with (used when it starts). */
  readonly handlers?: SignalHandlers;
  readonly exitsWith?: number | null;
}

/** A container's health (Docker's `State.Health`), when its config has a healthcheck. */
export interface HealthInfo {
  readonly status: "starting" | "healthy" | "unhealthy";
  readonly failingStreak: number;
  /** When the next probe runs (null while no monitor runs: not running, or paused). */
  readonly nextProbeAt: number | null;
}

/** A stop in progress: the stop signal was sent; SIGKILL follows at `deadline` (null: never). */
export interface PendingStop {
  readonly signal: string;
  readonly deadline: number | null;
  /** A `restart`: start again once the process is gone. */
  readonly thenStart: boolean;
}

/** A removal in progress (with an injected delay): it completes, or fails, at `deadline`. */
export interface PendingRemoval {
  readonly deadline: number | null;
  readonly fails: boolean;
}

/** Everything the container lifecycle machine knows about one container. */
export interface ContainerContext {
  readonly id: string;
  readonly name: string;
  readonly imageId: string;
  /** The image reference it was created with (`base:1`, an id); "" when the log did not record it. */
  readonly imageRef: string;
  /** The reference exactly as the user typed it (`alpine`, Docker's `Config.Image`); "" in older logs. */
  readonly imageAsGiven: string;
  readonly config: ContainerConfig;
  readonly createdAt: number;
  /** When PID 1 last started; null until the first start (that is what makes `created` differ from `exited`). */
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly exitCode: number;
  readonly restartCount: number;
  /** The restart manager's current backoff, ms (0 = none yet). */
  readonly backoffMs: number;
  /** Set by stop, kill and rm: the restart policy does not fire on the next exit. */
  readonly manuallyStopped: boolean;
  readonly processes: readonly ProcessInfo[];
  readonly nextPid: number;
  readonly execs: readonly ExecInfo[];
  readonly pendingStop: PendingStop | null;
  readonly restartAt: number | null;
  readonly removal: PendingRemoval | null;
  /** The last start or removal error (Docker's `State.Error`); a successful start clears it. */
  readonly error: string;
  /** PID 1's host PID while it runs (Docker's `State.Pid`), 0 otherwise. */
  readonly hostPid: number;
  /** Set when the OOM killer killed a process; cleared by the next start (Docker's `State.OOMKilled`). */
  readonly oomKilled: boolean;
  /** Health, once a container with a healthcheck started (Docker's `State.Health`); null otherwise. */
  readonly health: HealthInfo | null;
  /** What the health check command exits with now (an injected fact, `container.setHealth`; 0). */
  readonly healthAnswer: number;
}

/** A container in the engine's state. */
export interface ContainerRecord {
  readonly status: ContainerStatus;
  readonly context: ContainerContext;
}

/** An image in the engine's state. Deleted images stay as tombstones: containers pin them by id. */
export interface ImageRecord {
  readonly id: string;
  readonly status: "present" | "deleted";
  readonly layers: readonly Layer[];
  readonly parentId: string | null;
  readonly containerId: string | null;
  readonly cmd: readonly string[];
  readonly author: string;
  readonly comment: string;
  readonly createdAt: number;
  /** Tags pointing at it, in the order they were added. */
  readonly tags: readonly string[];
  /** Its configuration (env, entrypoint, cmd, labels…); older logs give `cmd` only. */
  readonly config: ImageConfig;
  /** Its history, oldest first (older logs: one entry per layer). */
  readonly history: readonly HistoryEntry[];
  /** The platform it runs on, when one was recorded (an imported image's); absent: linux/amd64. */
  readonly platform?: Platform;
  /** The blob holding its config JSON byte for byte (its digest is the id), when one was recorded. */
  readonly configBlob?: string;
  /**
   * The config it was loaded from names no creation time: `createdAt` is when it was loaded, and an
   * export writes no time either (so the config, hence the image id, stays the same).
   */
  readonly undated?: true;
}

/** The engine itself: which image store it runs and how often it restarted. */
export interface DaemonRecord {
  readonly imageStore: ImageStore;
  readonly restarts: number;
}

/** A read-only layer known to the engine (its contents live in the fs package's state). */
export interface LayerRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly entryCount: number;
  /** Its tar layout, when it was imported (the blob that gives back its tar byte for byte). */
  readonly tar?: string;
}

/** The whole state: every container, image and layer, and the name and tag indexes. */
export interface EngineState {
  /** The seq of the last event folded in (0 for the empty log). */
  readonly seq: number;
  readonly containers: Readonly<Record<string, ContainerRecord>>;
  readonly images: Readonly<Record<string, ImageRecord>>;
  readonly layers: Readonly<Record<string, LayerRecord>>;
  /** Container name → container id. */
  readonly names: Readonly<Record<string, string>>;
  /** Image tag (`repo:tag`) → image id. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * The daemon, once a `daemon.*` event happened (absent before: the classic image store, never
   * restarted). Absent rather than defaulted so that logs written before it existed replay to exactly
   * the state they did.
   */
  readonly daemon?: DaemonRecord;
}

/** The image store `state` runs (classic until a `daemon.configured` says otherwise). */
export function imageStoreOf(state: EngineState): ImageStore {
  return state.daemon?.imageStore ?? "classic";
}

/** The state of the empty log. */
export function initialState(): EngineState {
  const empty: EngineState = {
    seq: 0,
    containers: index(),
    images: index(),
    layers: index(),
    names: index(),
    tags: index(),
  };
  return Object.freeze(empty);
}

/**
 * An empty index keyed by id, name or tag: a plain object without a prototype. Such objects stay in V8's
 * dictionary mode through every copy immer makes (immer keeps the prototype), where a normal object
 * with thousands of keys gets a new hidden class per added key: measured, about 2.7 KiB more heap per
 * container at 1,000 containers (`pnpm bench --only 6`). No prototype also means a name like
 * `__proto__` or `constructor` is just a key.
 */
function index<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
