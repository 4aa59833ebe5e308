/**
 * The image lifecycle as an xstate v5 machine: `absent` → `present` → `deleted` (a tombstone that
 * containers may still pin; an image with the same id can be created again). Like the container
 * machine, it decides commands by emitting a {@link Decision} and evolves on events.
 *
 * `image.remove` follows the image store the daemon runs (docs/lifecycle.md §Images):
 * - classic (graphdriver): by tag, the tag goes first and the image only when it was the last reference
 *   and nothing needs it; by id, conflicts are checked in this order: dependent child images (cannot be
 *   forced), running containers (cannot be forced), several tags (must force), stopped containers (must
 *   force);
 * - containerd: images are names; by tag, a container that uses the image is a conflict (must force; a
 *   forced one only untags, the image stays dangling); by id, running containers (cannot be forced),
 *   stopped containers (must force), several tags (must force); child images are no conflict, and an
 *   image that has some stays dangling unless forced.
 */
import { assign, emit, setup } from "xstate";
import type { ImageRecord } from "../engine/EngineState.js";
import { EMPTY_IMAGE_CONFIG } from "../engine/imageConfig.js";
import type { Rejection } from "../errors.js";
import type { ImageEvent } from "../events/imageEvents.js";
import { shortId } from "../ids.js";
import type { Decision, EventDraft } from "./Decision.js";
import type { ImageMachineCommand, ImageMachineCommandType } from "./imageCommands.js";

export type ImageEventInput = ImageEvent & { readonly recordedAt: number };
export type ImageMachineInput = ImageMachineCommand | ImageEventInput;

type Cmd<T extends ImageMachineCommandType> = Extract<ImageMachineCommand, { type: T }>;
type Ev<T extends ImageEventInput["type"]> = Extract<ImageEventInput, { type: T }>;
type Args = { context: ImageRecord; event: ImageMachineInput };

export const ABSENT_IMAGE: ImageRecord = Object.freeze({
  id: "",
  status: "deleted" as const,
  layers: [],
  parentId: null,
  containerId: null,
  cmd: [],
  author: "",
  comment: "",
  createdAt: 0,
  tags: [],
  config: EMPTY_IMAGE_CONFIG,
  history: [],
});

const emitDecision = (f: (args: Args) => Decision) =>
  emit<ImageRecord, ImageMachineInput, undefined, ImageMachineInput, Decision>(f);
const update = (f: (args: Args) => Partial<ImageRecord>) =>
  assign<ImageRecord, ImageMachineInput, undefined, ImageMachineInput, never>(f);

const decided = <T extends ImageMachineCommandType>(
  f: (image: ImageRecord, command: Cmd<T>) => EventDraft[],
) => emitDecision(({ context, event }) => ({ type: "decided", events: f(context, event as Cmd<T>) }));
const decidedWith = <T extends ImageMachineCommandType>(
  f: (image: ImageRecord, command: Cmd<T>) => Decision,
) => emitDecision(({ context, event }) => f(context, event as Cmd<T>));
const rejected = (
  code: Rejection["code"],
  reason: string,
  message: (image: ImageRecord, command: ImageMachineCommand) => string,
) =>
  emitDecision(({ context, event }) => ({
    type: "rejected",
    rejection: { code, reason, message: message(context, event as ImageMachineCommand) },
  }));

const noSuchImage = rejected("NotFound", "no-such-image", (_, k) => `No such image: ${k.ref}`);

const remove = (a: Args) => a.event as Cmd<"image.remove">;
const firstUser = (k: Cmd<"image.remove">, running?: boolean) =>
  shortId(k.usedBy.find((u) => running === undefined || u.running === running)?.containerId ?? "");

/** Moves a tag: untag its current owner (if another image), then tag `imageId`. */
const tagDrafts = (imageId: string, tag: string, owner: string | null): EventDraft[] =>
  owner === imageId
    ? []
    : [
        ...(owner !== null ? [{ streamId: owner, type: "image.untagged" as const, data: { tag } }] : []),
        { streamId: imageId, type: "image.tagged", data: { tag } },
      ];

const deleteDrafts = (image: ImageRecord, k: Cmd<"image.remove">): EventDraft[] => [
  ...image.tags.map((tag): EventDraft => ({ type: "image.untagged", data: { tag } })),
  { type: "image.deleted", data: {} },
  ...k.prunableParents.map((id): EventDraft => ({ streamId: id, type: "image.deleted", data: {} })),
];
const untagOnly = decided<"image.remove">((_, k) => [
  { type: "image.untagged", data: { tag: k.byTag ?? "" } },
]);

const onCreated = update(({ event }) => {
  const e = event as Ev<"image.created">;
  return {
    ...ABSENT_IMAGE,
    id: e.data.imageId,
    status: "present",
    layers: e.data.layers,
    parentId: e.data.parentId,
    containerId: e.data.containerId,
    cmd: e.data.cmd,
    author: e.data.author,
    comment: e.data.comment,
    createdAt: e.data.created ?? e.recordedAt,
    ...(e.data.created === null ? { undated: true as const } : {}),
    // evolve fills both for older events (their implied values).
    config: e.data.config ?? { ...EMPTY_IMAGE_CONFIG, cmd: e.data.cmd },
    history: e.data.history ?? [],
    ...(e.data.platform ? { platform: e.data.platform } : {}),
    ...(e.data.configBlob !== undefined ? { configBlob: e.data.configBlob } : {}),
  };
});

const createRules = {
  actions: decided<"image.create">((_, k) => [
    {
      type: "image.created",
      data: {
        imageId: k.imageId,
        layers: [...k.layers],
        parentId: null,
        containerId: null,
        cmd: [...k.cmd],
        author: k.author,
        comment: "",
        config: k.config,
        history:
          k.history?.map((h) => ({
            created: h.created,
            createdBy: h.createdBy,
            comment: h.comment,
            author: h.author,
            emptyLayer: h.emptyLayer,
          })) ??
          k.layers.map((l) => ({
            created: k.created ?? k.now,
            createdBy: l.createdBy,
            comment: l.comment,
            author: "",
            emptyLayer: false,
          })),
        ...(k.platform ? { platform: k.platform } : {}),
        ...(k.created !== null ? { created: k.created } : k.undated ? { created: null } : {}),
        ...(k.configBlob !== undefined ? { configBlob: k.configBlob } : {}),
      },
    },
    ...k.tags.flatMap(({ tag, owner }) => tagDrafts(k.imageId, tag, owner)),
  ]),
};

/** `image.remove` in the classic (graphdriver) store. */
const classicRemove = [
  // By tag: the tag goes first; the image follows only if nothing else needs it.
  { guard: (a: Args) => remove(a).byTag !== null && a.context.tags.length > 1, actions: untagOnly },
  {
    guard: (a: Args) => remove(a).byTag !== null && !remove(a).force && remove(a).usedBy.length > 0,
    actions: rejected(
      "Conflict",
      "image-in-use",
      (i, k) =>
        `conflict: unable to remove repository reference "${k.ref}" (must force) - container ${firstUser(k as Cmd<"image.remove">)} is using its referenced image ${shortId(i.id)}`,
    ),
  },
  {
    guard: (a: Args) =>
      remove(a).byTag !== null && (remove(a).usedBy.some((u) => u.running) || remove(a).hasChildren),
    actions: untagOnly,
  },
  { guard: (a: Args) => remove(a).byTag !== null, actions: decided<"image.remove">(deleteDrafts) },
  // By id.
  {
    guard: (a: Args) => remove(a).hasChildren,
    actions: rejected(
      "Conflict",
      "image-has-children",
      (i) =>
        `conflict: unable to delete ${shortId(i.id)} (cannot be forced) - image has dependent child images`,
    ),
  },
  {
    guard: (a: Args) => remove(a).usedBy.some((u) => u.running),
    actions: rejected(
      "Conflict",
      "image-in-use",
      (i, k) =>
        `conflict: unable to delete ${shortId(i.id)} (cannot be forced) - image is being used by running container ${firstUser(k as Cmd<"image.remove">, true)}`,
    ),
  },
  {
    guard: (a: Args) => !remove(a).force && a.context.tags.length > 1,
    actions: rejected(
      "Conflict",
      "image-multiple-references",
      (i) =>
        `conflict: unable to delete ${shortId(i.id)} (must be forced) - image is referenced in multiple repositories`,
    ),
  },
  {
    guard: (a: Args) => !remove(a).force && remove(a).usedBy.length > 0,
    actions: rejected(
      "Conflict",
      "image-in-use",
      (i, k) =>
        `conflict: unable to delete ${shortId(i.id)} (must be forced) - image is being used by stopped container ${firstUser(k as Cmd<"image.remove">, false)}`,
    ),
  },
  { actions: decided<"image.remove">(deleteDrafts) },
];

/** `image.remove` in the containerd store (moby daemon/containerd/image_delete.go). */
const containerdRemove = decidedWith<"image.remove">((i, k): Decision => {
  const conflict = (reason: string, message: string): Decision => ({
    type: "rejected",
    rejection: { code: "Conflict", reason, message },
  });
  const untag = (tags: readonly string[]): EventDraft[] =>
    tags.map((tag): EventDraft => ({ type: "image.untagged", data: { tag } }));
  const parents = k.prunableParents.map(
    (id): EventDraft => ({ streamId: id, type: "image.deleted", data: {} }),
  );
  // The last name goes; with child images and no force the image stays, dangling (moby creates a
  // dangling record and still logs a delete), and dangling parents are pruned either way.
  const deleteAll = (): Decision => ({
    type: "decided",
    events:
      !k.force && i.tags.length === 1 && k.hasChildren
        ? [...untag(i.tags), ...parents]
        : [...untag(i.tags), { type: "image.deleted", data: {} }, ...parents],
  });
  if (k.byTag !== null) {
    if (i.tags.length > 1) return { type: "decided", events: untag([k.byTag]) };
    const user = k.usedBy[0];
    if (user && !k.force)
      return conflict(
        "image-in-use",
        `conflict: unable to delete ${k.byTag} (must be forced) - container ${shortId(user.containerId)} is using its referenced image ${shortId(i.id)}`,
      );
    if (user) return { type: "decided", events: untag([k.byTag]) }; // kept dangling
    return deleteAll();
  }
  const running = k.usedBy.find((u) => u.running);
  if (running)
    return conflict(
      "image-in-use",
      `conflict: unable to delete ${shortId(i.id)} (cannot be forced) - image is being used by running container ${shortId(running.containerId)}`,
    );
  const stopped = k.usedBy[0];
  if (stopped && !k.force)
    return conflict(
      "image-in-use",
      `conflict: unable to delete ${shortId(i.id)} (must be forced) - image is being used by stopped container ${shortId(stopped.containerId)}`,
    );
  if (!k.force && i.tags.length > 1)
    return conflict(
      "image-multiple-references",
      `conflict: unable to delete ${shortId(i.id)} (must be forced) - image is referenced in multiple repositories`,
    );
  return deleteAll();
});

export const imageMachine = setup({
  types: { context: {} as ImageRecord, events: {} as ImageMachineInput, emitted: {} as Decision },
}).createMachine({
  id: "image",
  initial: "absent",
  context: ABSENT_IMAGE,
  states: {
    absent: {
      on: {
        "image.create": createRules,
        "image.tag": { actions: noSuchImage },
        "image.remove": { actions: noSuchImage },
        "image.created": { target: "present", actions: onCreated },
      },
    },
    present: {
      on: {
        "image.create": [
          // Named by its content (its id is its config's digest): the image held is this image, and it
          // only gets the tags (dockerd's image store answers the same for a config it holds).
          {
            guard: ({ event }) => (event as Cmd<"image.create">).configBlob !== undefined,
            actions: decided<"image.create">((i, k) =>
              k.tags.flatMap(({ tag, owner }) => tagDrafts(i.id, tag, owner)),
            ),
          },
          {
            actions: rejected("Conflict", "image-exists", (i) => `conflict: image ${i.id} already exists`),
          },
        ],
        "image.tag": { actions: decided<"image.tag">((i, k) => tagDrafts(i.id, k.tag, k.tagOwner)) },
        "image.remove": [
          { guard: (a) => remove(a).store === "containerd", actions: containerdRemove },
          ...classicRemove,
        ],
        "image.tagged": {
          actions: update(({ context, event }) => {
            const tag = (event as Ev<"image.tagged">).data.tag;
            return { tags: context.tags.includes(tag) ? context.tags : [...context.tags, tag] };
          }),
        },
        "image.untagged": {
          guard: ({ context, event }) => context.tags.includes((event as Ev<"image.untagged">).data.tag),
          actions: update(({ context, event }) => ({
            tags: context.tags.filter((t) => t !== (event as Ev<"image.untagged">).data.tag),
          })),
        },
        "image.deleted": { target: "deleted", actions: update(() => ({ status: "deleted", tags: [] })) },
      },
    },
    deleted: {
      on: {
        "image.create": createRules,
        "image.tag": { actions: noSuchImage },
        "image.remove": { actions: noSuchImage },
        "image.created": { target: "present", actions: onCreated },
      },
    },
  },
});
