/**
 * `container prune` and `image prune [-a]` (moby daemon/prune.go, daemon/images/image_prune.go,
 * daemon/containerd/image_prune.go). Both act on many streams in turn, on a scratch state, and end
 * with a daemon event listing what went. Order is by id (Docker walks maps, in no fixed order).
 */
import type { CommandOfType } from "../commands/commands.js";
import { DAEMON_STREAM } from "../events/daemonEvents.js";
import type { NewEvent } from "../events/envelope.js";
import { type DecideResult, envelopes, toNewEvent } from "./drafts.js";
import { type EngineState, type ImageRecord, imageStoreOf } from "./EngineState.js";
import { foldDrafts } from "./foldDrafts.js";
import { imageRemoveInput } from "./imageRemoveFacts.js";
import { containerSnapshot, imageSnapshot, stepContainer, stepImage } from "./machineSnapshots.js";

type Filters = Pick<CommandOfType<"container.prune">, "until" | "labels" | "notLabels">;

/** Docker's `label` / `label!` prune filters: `key` or `key=value`. */
function labelsMatch(filters: Filters, labels: Readonly<Record<string, string>>): boolean {
  const has = (f: string) => {
    const at = f.indexOf("=");
    return at < 0 ? f in labels : labels[f.slice(0, at)] === f.slice(at + 1);
  };
  if (!(filters.labels ?? []).every(has)) return false;
  return !(filters.notLabels ?? []).some(has);
}

const kept = (filters: Filters, createdAt: number, labels: Readonly<Record<string, string>>) =>
  (filters.until === undefined || createdAt <= filters.until) && labelsMatch(filters, labels);

/**
 * Removes every container that is not running (`created`, `exited`, `dead`; `paused` and `restarting`
 * count as running), as a plain `rm` each: one that is being removed is skipped, a failure is skipped.
 */
export function decideContainerPrune(
  state: EngineState,
  command: CommandOfType<"container.prune">,
  now: number,
): DecideResult {
  let s = state;
  const events: NewEvent[] = [];
  const removed: string[] = [];
  for (const id of Object.keys(state.containers).sort()) {
    const record = s.containers[id];
    if (!record || !["created", "exited", "dead"].includes(record.status)) continue;
    if (!kept(command, record.context.createdAt, record.context.config.labels ?? {})) continue;
    const { decisions } = stepContainer(containerSnapshot(record), {
      type: "container.remove",
      now,
      ref: id,
      force: false,
      fail: false,
      delayMs: 0,
    });
    const r = envelopes(decisions, id, now, "container.prune");
    if (r.outcome !== "accepted") continue;
    events.push(...r.events);
    s = foldDrafts(s, r.events);
    if (!s.containers[id]) removed.push(id);
  }
  const pruned = toNewEvent(
    { type: "daemon.containersPruned", data: { containerIds: removed } },
    DAEMON_STREAM,
    now,
  );
  return { ok: true, outcome: "accepted", events: [...events, pruned] };
}

const present = (s: EngineState) =>
  Object.values(s.images)
    .filter((i) => i.status === "present")
    .sort((a, b) => (a.id < b.id ? -1 : 1));
const hasChildren = (s: EngineState, id: string) => present(s).some((i) => i.parentId === id);

/** The classic store: `image.remove` without force for each candidate; conflicts are skipped. */
function classicPrune(state: EngineState, command: CommandOfType<"image.prune">, now: number): NewEvent[] {
  const all = command.all ?? false;
  const candidates = present(state).filter(
    (i) =>
      // Dangling only: heads (no child images) without tags. With -a: every image but untagged parents.
      !(i.tags.length === 0 && hasChildren(state, i.id)) &&
      (all || (i.tags.length === 0 && !hasChildren(state, i.id))) &&
      kept(command, i.createdAt, i.config.labels),
  );
  let s = state;
  const events: NewEvent[] = [];
  const attempt = (image: ImageRecord, ref: string, byTag: string | null) => {
    const input = imageRemoveInput(s, image, byTag, { type: "image.remove", image: ref }, now);
    const r = envelopes(stepImage(imageSnapshot(image), input).decisions, image.id, now, "image.prune");
    if (r.outcome !== "accepted") return;
    events.push(...r.events);
    s = foldDrafts(s, r.events);
  };
  for (const candidate of candidates) {
    const refs = s.images[candidate.id]?.tags ?? [];
    if (s.images[candidate.id]?.status !== "present") continue;
    if (refs.length === 0) attempt(candidate, candidate.id, null);
    else
      for (const tag of refs) {
        const image = s.images[candidate.id];
        if (image?.status === "present") attempt(image, tag, tag);
      }
  }
  return events;
}

/**
 * The containerd store: images are names. Dangling only: untagged images no container uses. With -a:
 * every name but those containers were created with (and the dangling image of a container's image);
 * of an image a container uses by id, the last name is kept. No ancestor pruning.
 */
function containerdPrune(state: EngineState, command: CommandOfType<"image.prune">, now: number): NewEvent[] {
  const all = command.all ?? false;
  const byName = new Set<string>();
  const protectedDangling = new Set<string>();
  const usedById = new Set<string>();
  for (const c of Object.values(state.containers)) {
    protectedDangling.add(c.context.imageId);
    // A container created by id (or before the reference was recorded) protects the image by id.
    const typed = c.context.imageRef;
    if (typed === "" || typed.startsWith("sha256:") || /^[0-9a-f]{1,64}$/.test(typed))
      usedById.add(c.context.imageId);
    else byName.add(typed);
  }
  const events: NewEvent[] = [];
  for (const image of present(state)) {
    if (!kept(command, image.createdAt, image.config.labels)) continue;
    const names = image.tags.length > 0 ? [...image.tags].sort() : [null];
    if (!all && image.tags.length > 0) continue;
    let refCount = names.length;
    let remaining = names.length;
    const drafts: NewEvent[] = [];
    for (const name of names) {
      if (name === null ? protectedDangling.has(image.id) : byName.has(name)) continue;
      if (refCount > 1) refCount--;
      else if (usedById.has(image.id)) continue;
      remaining--;
      if (name !== null)
        drafts.push(toNewEvent({ type: "image.untagged", data: { tag: name } }, image.id, now));
    }
    if (remaining === 0) drafts.push(toNewEvent({ type: "image.deleted", data: {} }, image.id, now));
    events.push(...drafts);
  }
  return events;
}

export function decideImagePrune(
  state: EngineState,
  command: CommandOfType<"image.prune">,
  now: number,
): DecideResult {
  const events =
    imageStoreOf(state) === "containerd"
      ? containerdPrune(state, command, now)
      : classicPrune(state, command, now);
  const after = foldDrafts(state, events);
  const deleted = Object.keys(state.images)
    .filter((id) => state.images[id]?.status === "present" && after.images[id]?.status === "deleted")
    .sort();
  const pruned = toNewEvent({ type: "daemon.imagesPruned", data: { imageIds: deleted } }, DAEMON_STREAM, now);
  return { ok: true, outcome: "accepted", events: [...events, pruned] };
}
