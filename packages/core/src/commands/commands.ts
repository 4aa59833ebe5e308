/**
 * Commands: what a user asks for. Types are imperative and dotted (`container.start`); each is
 * answered by events or by a typed error (see errors.ts). Container and image references are what a
 * Docker user types: a name, a full id or a unique id prefix; a tag or an image id.
 *
 * Commands that create something take its id; leave it out and the engine fills it from its
 * {@link IdSource}, so `decide` itself never invents one.
 */
import * as v from "valibot";
import { ValidationError } from "../errors.js";
import {
  BlobDigestSchema,
  ContainerIdSchema,
  ExecIdSchema,
  ExitCodeSchema,
  HistoryEntrySchema,
  ImageConfigSchema,
  ImageIdSchema,
  LayerIdSchema,
  PidSchema,
  PlatformSchema,
  SignalActionSchema,
  SignalHandlersSchema,
  StartErrorSchema,
  TimestampSchema,
} from "../events/common.js";
import { ImageStoreSchema } from "../events/daemonEvents.js";
import {
  ContentDigestSchema,
  LayerEntrySchema,
  ModeSchema,
  OwnerIdSchema,
  SizeSchema,
  XattrNameSchema,
} from "../events/fsEvents.js";
import { toValidationIssues } from "../events/parseEvent.js";

/**
 * A healthcheck as `container.create` takes it: any whole numbers, since Docker validates the values
 * itself and answers in its own words (createSettings.ts: "Retries in Healthcheck cannot be negative").
 */
const healthcheckInput = v.strictObject({
  test: v.array(v.string()),
  intervalMs: v.pipe(v.number(), v.safeInteger()),
  timeoutMs: v.pipe(v.number(), v.safeInteger()),
  startPeriodMs: v.pipe(v.number(), v.safeInteger()),
  startIntervalMs: v.pipe(v.number(), v.safeInteger()),
  retries: v.pipe(v.number(), v.safeInteger()),
});

const ref = v.pipe(v.string(), v.minLength(1, "must not be empty"));
/** A path inside a container as a user types it (normalised by the fs package). */
const fsPath = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.check((p) => !p.includes("\0"), "must not contain NUL"),
);
/** chown's ids: -1 (also written 4294967295, `(uid_t)-1`) leaves the id as it is. */
const chownId = v.union([OwnerIdSchema, v.literal(-1)]);
/** Whether a final symlink is followed (false: lchown, lutimes, chmod of the link itself). */
const follow = v.optional(v.boolean());
/** A signal as a user writes it: `TERM`, `SIGTERM` or `15`. */
const signal = v.union([v.string(), v.pipe(v.number(), v.safeInteger())]);
const seconds = v.pipe(v.number(), v.safeInteger(), v.minValue(-1));
/** A UTF-16 surrogate without its pair: text that has no UTF-8 bytes. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A restart policy as a user writes it. Docker validates the values itself (an unknown name, a retry
 * count with anything but `on-failure`, a negative count), so `decide` checks them, in Docker's words.
 */
const restartPolicy = v.strictObject({
  name: v.string(),
  maximumRetryCount: v.pipe(v.number(), v.safeInteger()),
});
/** Prune filters: `until` (created before this time) and `label` filters (`key`, `key=value`). */
const pruneFilters = {
  until: v.optional(TimestampSchema),
  labels: v.optional(v.array(v.string())),
  /** `label!` filters: skip what has one of these labels. */
  notLabels: v.optional(v.array(v.string())),
};
const cmd = <T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.strictObject({ type: v.literal(type), ...entries });

export const CommandSchemas = [
  cmd("container.create", {
    containerId: v.optional(ContainerIdSchema),
    name: v.optional(v.string()),
    image: ref,
    cmd: v.optional(v.array(v.string())),
    /** Replaces the image's entrypoint (`[]` clears it). */
    entrypoint: v.optional(v.array(v.string())),
    /** `KEY=value` entries, merged over the image's by key. */
    env: v.optional(v.array(v.string())),
    labels: v.optional(v.record(v.string(), v.string())),
    user: v.optional(v.string()),
    workingDir: v.optional(v.string()),
    healthcheck: v.optional(healthcheckInput),
    restartPolicy: v.optional(restartPolicy),
    autoRemove: v.optional(v.boolean()),
    stopSignal: v.optional(signal),
    stopTimeout: v.optional(seconds),
    handlers: v.optional(SignalHandlersSchema),
    /** Injected fault: the runtime refuses to start the program (see StartError). */
    startError: v.optional(StartErrorSchema),
  }),
  cmd("container.start", { container: ref }),
  cmd("container.stop", { container: ref, timeout: v.optional(seconds), signal: v.optional(signal) }),
  cmd("container.kill", { container: ref, signal: v.optional(signal) }),
  cmd("container.pause", { container: ref }),
  cmd("container.unpause", { container: ref }),
  cmd("container.restart", { container: ref, timeout: v.optional(seconds) }),
  cmd("container.exec", {
    container: ref,
    execId: v.optional(ExecIdSchema),
    cmd: v.pipe(v.array(v.string()), v.minLength(1, "must name a program")),
    handlers: v.optional(SignalHandlersSchema),
    /** If set, the process exits at once with this code (like `docker exec c true`). */
    exitCode: v.optional(ExitCodeSchema),
  }),
  cmd("container.remove", {
    container: ref,
    force: v.optional(v.boolean()),
    /** Injected fault: the removal fails part-way (→ `dead`) and/or takes `delayMs` of clock time. */
    fault: v.optional(
      v.strictObject({
        fail: v.optional(v.boolean()),
        delayMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
      }),
    ),
  }),
  cmd("container.rename", { container: ref, name: v.string() }),
  cmd("container.commit", {
    container: ref,
    imageId: v.optional(ImageIdSchema),
    layerId: v.optional(LayerIdSchema),
    tag: v.optional(v.string()),
    comment: v.optional(v.string()),
    author: v.optional(v.string()),
    pause: v.optional(v.boolean()),
    /** Dockerfile instructions applied to the new image's config (`--change`), e.g. `ENV A=1`. */
    changes: v.optional(v.array(v.string())),
    /**
     * The blobs that keep the image exactly (its config JSON, whose digest must be `imageId`; its new
     * layer's tar layout): what an engine's image namer fills when it names the image by its content.
     */
    configBlob: v.optional(BlobDigestSchema),
    layerTar: v.optional(BlobDigestSchema),
  }),
  /** Docker's exec create: an instance that `exec.start` runs later. */
  cmd("container.execCreate", {
    container: ref,
    execId: v.optional(ExecIdSchema),
    cmd: v.pipe(v.array(v.string()), v.minLength(1, "must name a program")),
    handlers: v.optional(SignalHandlersSchema),
    exitCode: v.optional(ExitCodeSchema),
  }),
  /** Docker's exec start of an instance made by `container.execCreate` (it runs once). */
  cmd("exec.start", { exec: ref }),
  /** Injected: the kernel's OOM killer kills a process (default PID 1) of a running container. */
  cmd("container.oom", { container: ref, pid: v.optional(PidSchema) }),
  /** Injected: from now on the container's health check command exits with `exitCode`. */
  cmd("container.setHealth", { container: ref, exitCode: ExitCodeSchema }),
  /** `docker container prune`: remove every container that is not running. */
  cmd("container.prune", pruneFilters),
  /** `docker image prune [-a]`: dangling images, or (`all`) every image no container uses. */
  cmd("image.prune", { all: v.optional(v.boolean()), ...pruneFilters }),
  /** The daemon stops and starts again (`crashed`: it was killed, no shutdown ran). */
  cmd("daemon.restart", { crashed: v.optional(v.boolean()) }),
  /** Choose the image store (the Engine option `imageStore` issues it). */
  cmd("daemon.configure", { imageStore: ImageStoreSchema }),
  cmd("process.signal", { container: ref, pid: PidSchema, signal }),
  cmd("process.trap", { container: ref, pid: PidSchema, signal, action: SignalActionSchema }),
  cmd("process.exit", { container: ref, pid: PidSchema, exitCode: ExitCodeSchema }),
  cmd("image.create", {
    imageId: v.optional(ImageIdSchema),
    layers: v.array(
      v.strictObject({
        id: LayerIdSchema,
        parent: v.nullable(LayerIdSchema),
        createdBy: v.optional(v.string()),
        comment: v.optional(v.string()),
      }),
    ),
    tags: v.optional(v.array(v.string())),
    cmd: v.optional(v.array(v.string())),
    /** The image's configuration (env, entrypoint, labels…); each field defaults to empty. */
    config: v.optional(v.partial(ImageConfigSchema)),
    /** The platform it runs on (default: none recorded, which reads as linux/amd64). */
    platform: v.optional(PlatformSchema),
    /**
     * What an image archive's config says of the image (a load keeps it): when it was created (default:
     * now; null: the config names no time, so the image dates from now and is exported without one),
     * its author, and its history, oldest first (default: one entry per layer, now; [] for none).
     */
    created: v.optional(v.nullable(TimestampSchema)),
    author: v.optional(v.string()),
    history: v.optional(v.array(HistoryEntrySchema)),
    /** The blob holding the image's config JSON byte for byte (a load's; its digest must be `imageId`). */
    configBlob: v.optional(BlobDigestSchema),
  }),
  cmd("image.tag", { image: ref, tag: v.string() }),
  // A blank name reaches decide, which answers in Docker's words ("image name cannot be blank").
  cmd("image.remove", {
    image: v.string(),
    force: v.optional(v.boolean()),
    noPrune: v.optional(v.boolean()),
  }),
  cmd("layer.create", {
    layerId: v.optional(LayerIdSchema),
    entries: v.array(LayerEntrySchema),
    /** The layer's tar layout (an import's: what gives back the tar it was read from, byte for byte). */
    tar: v.optional(BlobDigestSchema),
  }),
  // Filesystem commands on a container's read-write layer. Paths are what a user types inside the
  // container: absolute or relative to `/`, normalised, symlinks resolved inside the container root.
  cmd("fs.writeFile", {
    container: ref,
    path: fsPath,
    /** The new content (or the bytes to append), as text or base64. The engine stores it and fills digest/size. */
    content: v.optional(
      v.pipe(
        v.string(),
        v.check(
          (s) => !LONE_SURROGATE.test(s),
          "must be well-formed text (a lone surrogate has no UTF-8 bytes); send other bytes as base64",
        ),
      ),
    ),
    encoding: v.optional(v.picklist(["utf8", "base64"])),
    digest: v.optional(ContentDigestSchema),
    size: v.optional(SizeSchema),
    append: v.optional(v.boolean()),
    /** O_CREAT (default true): false refuses a missing file with ENOENT instead of creating it. */
    create: v.optional(v.boolean()),
    /** Mode of a new file (default 0o644); an existing file keeps its mode, as open(2) does. */
    mode: v.optional(ModeSchema),
  }),
  cmd("fs.truncate", {
    container: ref,
    path: fsPath,
    size: SizeSchema,
    digest: v.optional(ContentDigestSchema),
  }),
  cmd("fs.mkdir", {
    container: ref,
    path: fsPath,
    mode: v.optional(ModeSchema),
    parents: v.optional(v.boolean()),
  }),
  cmd("fs.symlink", { container: ref, path: fsPath, target: v.pipe(v.string(), v.minLength(1)) }),
  cmd("fs.link", { container: ref, path: fsPath, target: fsPath }),
  cmd("fs.remove", { container: ref, path: fsPath, recursive: v.optional(v.boolean()) }),
  cmd("fs.unlink", { container: ref, path: fsPath }),
  cmd("fs.rmdir", { container: ref, path: fsPath }),
  cmd("fs.rename", { container: ref, from: fsPath, to: fsPath }),
  cmd("fs.move", { container: ref, from: fsPath, to: fsPath }),
  cmd("fs.chmod", { container: ref, path: fsPath, mode: ModeSchema, follow }),
  cmd("fs.chown", { container: ref, path: fsPath, uid: chownId, gid: chownId, follow }),
  cmd("fs.utimes", {
    container: ref,
    path: fsPath,
    mtime: TimestampSchema,
    /** The access time; left out, it stays as it was (UTIME_OMIT). */
    atime: v.optional(TimestampSchema),
    follow,
  }),
  cmd("fs.setxattr", {
    container: ref,
    path: fsPath,
    name: XattrNameSchema,
    /** The value, as text (UTF-8) or base64 bytes. */
    value: v.string(),
    encoding: v.optional(v.picklist(["utf8", "base64"])),
    /** XATTR_CREATE (EEXIST if it exists) or XATTR_REPLACE (ENODATA if it does not). */
    flag: v.optional(v.picklist(["create", "replace"])),
    follow,
  }),
  cmd("fs.removexattr", { container: ref, path: fsPath, name: XattrNameSchema, follow }),
] as const;

export const CommandSchema = v.variant("type", CommandSchemas, "unknown command type");
/** Any command. */
export type Command = v.InferOutput<typeof CommandSchema>;
/** Every command type string. */
export type CommandType = Command["type"];
/** Narrows a command by its type. */
export type CommandOfType<T extends CommandType> = Extract<Command, { type: T }>;
/** Container commands (those with a `container` reference). */
export type ContainerCommand = Extract<Command, { container: string }>;
/** Filesystem commands: they change a container's read-write layer. */
export type FsCommand = Extract<Command, { type: `fs.${string}` }>;

/**
 * Validates a command from outside (a script line, a request body).
 *
 * @example
 * const command = parseCommand(JSON.parse(line), `line ${n}`);
 */
export function parseCommand(input: unknown, position: string): Command {
  const r = v.safeParse(CommandSchema, input);
  if (!r.success) throw new ValidationError("command", position, toValidationIssues(r.issues));
  return r.output;
}

/**
 * Why a command given to an engine is not one the catalogue allows (a uid of -2, a mode of 1.5, a
 * field of the wrong type), or null. Engines refuse such a command before deciding, so no event
 * they append can fail the catalogue's check when the log is replayed.
 */
export function commandProblem(command: Command): ValidationError | null {
  const r = v.safeParse(CommandSchema, command);
  if (r.success) return null;
  const type = (command as { type?: unknown }).type;
  return new ValidationError("command", typeof type === "string" ? type : "?", toValidationIssues(r.issues));
}
