/**
 * `daemon.*` events: what happened to the engine itself rather than to one container or image. They
 * belong to one stream, {@link DAEMON_STREAM}.
 */
import * as v from "valibot";
import { ContainerIdSchema, ImageIdSchema } from "./common.js";

/** The stream of every daemon event. */
export const DAEMON_STREAM = "daemon";

const event = <T extends string, D extends v.GenericSchema>(type: T, data: D) =>
  v.strictObject({ type: v.literal(type), data });

/** Docker's two image stores: `classic` (graphdriver) and `containerd` (the snapshotter store). */
export const ImageStoreSchema = v.picklist(["classic", "containerd"]);
export type ImageStore = v.InferOutput<typeof ImageStoreSchema>;

/** The image store in use from now on (an engine option, recorded so a replay gives the same rules). */
export const DaemonConfigured = event("daemon.configured", v.strictObject({ imageStore: ImageStoreSchema }));
/**
 * The daemon (the serving process) stopped and started again. `crashed`: it was killed, so no shutdown
 * ran and the containers' processes were simply gone. The containers' own events around it say what
 * the shutdown and the boot did to each.
 */
export const DaemonRestarted = event("daemon.restarted", v.strictObject({ crashed: v.boolean() }));
/** `container prune` removed these containers (Docker's container `prune` event). */
export const DaemonContainersPruned = event(
  "daemon.containersPruned",
  v.strictObject({ containerIds: v.array(ContainerIdSchema) }),
);
/** `image prune` deleted these images (Docker's image `prune` event). */
export const DaemonImagesPruned = event(
  "daemon.imagesPruned",
  v.strictObject({ imageIds: v.array(ImageIdSchema) }),
);

export const DaemonEventSchemas = [
  DaemonConfigured,
  DaemonRestarted,
  DaemonContainersPruned,
  DaemonImagesPruned,
] as const;
export const DaemonEventSchema = v.variant("type", DaemonEventSchemas);
/** Any daemon event: `{ type, data }`. */
export type DaemonEvent = v.InferOutput<typeof DaemonEventSchema>;
