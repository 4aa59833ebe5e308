/**
 * A reference model of Docker's two image stores, written from moby's code (daemon/images/image_delete.go
 * and image_prune.go for the classic store; daemon/containerd/image_delete.go, image_prune.go,
 * soft_delete.go for the containerd store), independently of the image machine. Images are ids with
 * tags and a parent; containers pin an image by id and remember the reference they were created with.
 * Plain, imperative code, one branch per rule of moby's functions.
 */
import type { Outcome, Refusal } from "./ReferenceModel.js";

export type Store = "classic" | "containerd";

export interface MImage {
  id: string;
  tags: string[];
  parent: string | null;
  present: boolean;
  /** Its history's length: a commit adds exactly one entry to its parent's. */
  history: number;
  /** Its config's environment (what `commit --change ENV` sets and containers take). */
  env: string[];
}

export interface MUser {
  imageId: string;
  /** The reference given at create: a tag, or an id. */
  ref: string;
  running: boolean;
  env: string[];
}

const OK: Outcome = { ok: true };
const no = (code: string, reason: string): Refusal => ({ ok: false, code, reason });
/** Docker's `ErrImageDoesNotExist`: the reference as it looked it up (`:latest` added to a bare name). */
const noSuchImage = (ref: string): Outcome => ({
  ok: false,
  code: "NotFound",
  reason: "no-such-image",
  message: `No such image: ${ref.startsWith("sha256:") || ref.includes(":") ? ref : `${ref}:latest`}`,
});

export class ImageReferenceModel {
  readonly images = new Map<string, MImage>();
  readonly containers = new Map<string, MUser>();

  constructor(readonly store: Store) {}

  /** A reference: a tag (`repo:tag`) or a full id. */
  resolve(ref: string): MImage | undefined {
    const byTag = [...this.images.values()].find((i) => i.present && i.tags.includes(ref));
    if (byTag) return byTag;
    const byId = this.images.get(ref);
    return byId?.present ? byId : undefined;
  }

  #children(id: string): MImage[] {
    return [...this.images.values()].filter((i) => i.present && i.parent === id);
  }

  #users(id: string): MUser[] {
    return [...this.containers.values()].filter((c) => c.imageId === id);
  }

  #moveTag(tag: string, to: MImage): void {
    for (const i of this.images.values()) i.tags = i.tags.filter((t) => t !== tag);
    to.tags.push(tag);
  }

  #delete(img: MImage): void {
    img.present = false;
    img.tags = [];
  }

  createImage(
    id: string,
    tags: readonly string[],
    parent: string | null = null,
    history = 0,
    env: string[] = [],
  ): Outcome {
    if (this.images.get(id)?.present) return no("Conflict", "image-exists");
    const img: MImage = { id, tags: [], parent, present: true, history, env };
    this.images.set(id, img);
    for (const t of tags) this.#moveTag(t, img);
    return OK;
  }

  tag(ref: string, tag: string): Outcome {
    const img = this.resolve(ref);
    if (!img) return noSuchImage(ref);
    if (!img.tags.includes(tag)) this.#moveTag(tag, img);
    return OK;
  }

  createContainer(name: string, ref: string): Outcome {
    const img = this.resolve(ref);
    if (!img) return noSuchImage(ref);
    if (this.containers.has(name)) return no("Conflict", "name-in-use");
    this.containers.set(name, { imageId: img.id, ref, running: false, env: [...img.env] });
    return OK;
  }

  /** `changes`: none, `ENV X=<v>` (replaces X or appends it), or an instruction commit refuses. */
  commit(name: string, childId: string, tag: string | null, change: string | null): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (change !== null && !change.startsWith("ENV ")) return no("InvalidParameter", "invalid-change");
    let env = [...c.env];
    if (change !== null) {
      const entry = change.slice(4);
      const key = entry.split("=")[0];
      env = env.some((e) => e.split("=")[0] === key)
        ? env.map((e) => (e.split("=")[0] === key ? entry : e))
        : [...env, entry];
    }
    const parentHistory = this.images.get(c.imageId)?.history ?? 0;
    return this.createImage(childId, tag === null ? [] : [tag], c.imageId, parentHistory + 1, env);
  }

  rmi(ref: string, force: boolean, noPrune: boolean): Outcome {
    if (ref.trim() === "") return no("InvalidParameter", "blank-name");
    const img = this.resolve(ref);
    if (!img) return noSuchImage(ref);
    return this.store === "classic"
      ? this.#classicDelete(img, ref, force, !noPrune)
      : this.#containerdDelete(img, ref, force, !noPrune);
  }

  // ---- classic store: moby daemon/images/image_delete.go -----------------------------------------

  #classicDelete(img: MImage, ref: string, force: boolean, prune: boolean): Outcome {
    if (ref !== img.id) {
      if (!force && img.tags.length === 1 && this.#users(img.id).length > 0)
        return no("Conflict", "image-in-use");
      img.tags = img.tags.filter((t) => t !== ref);
      if (img.tags.length > 0) return OK;
      this.#classicHelper(img, force, prune, true);
      return OK;
    }
    if (img.tags.length === 1) {
      // A single reference: conflicts first, then the tag goes before the image is deleted.
      const conflict = this.#classicConflict(img, force, false);
      if (conflict) return conflict.outcome;
      img.tags = [];
    }
    const conflict = this.#classicHelper(img, force, prune, false);
    return conflict ?? OK;
  }

  /** moby `checkImageDeleteConflict`: children, running, (references), stopped. */
  #classicConflict(
    img: MImage,
    force: boolean,
    references: boolean,
  ): { outcome: Outcome; used: boolean } | null {
    if (this.#children(img.id).length > 0)
      return { outcome: no("Conflict", "image-has-children"), used: false };
    const users = this.#users(img.id);
    if (users.some((u) => u.running)) return { outcome: no("Conflict", "image-in-use"), used: true };
    if (!force && references && img.tags.length > 0)
      return { outcome: no("Conflict", "image-multiple-references"), used: false };
    if (!force && users.length > 0) return { outcome: no("Conflict", "image-in-use"), used: true };
    return null;
  }

  /** moby `imageDeleteHelper`: quietly (a conflict on a dangling, unused image is still reported). */
  #classicHelper(img: MImage, force: boolean, prune: boolean, quiet: boolean): Outcome | null {
    const conflict = this.#classicConflict(img, force, true);
    if (conflict) {
      const dangling = img.tags.length === 0 && this.#children(img.id).length === 0;
      if (quiet && (!dangling || conflict.used)) return null;
      return conflict.outcome;
    }
    this.#delete(img);
    const parent = img.parent === null ? undefined : this.images.get(img.parent);
    if (prune && parent?.present) this.#classicHelper(parent, false, true, true);
    return null;
  }

  // ---- containerd store: moby daemon/containerd/image_delete.go ----------------------------------

  /** The image's names: its tags, or its dangling record when it has none. */
  #names(img: MImage): number {
    return Math.max(1, img.tags.length);
  }

  #containerdDelete(img: MImage, ref: string, force: boolean, prune: boolean): Outcome {
    const users = this.#users(img.id);
    if (ref !== img.id) {
      if (img.tags.length > 1) {
        img.tags = img.tags.filter((t) => t !== ref);
        return OK;
      }
      if (users.length > 0) {
        if (!force) return no("Conflict", "image-in-use");
        img.tags = []; // softImageDelete: the image stays, dangling
        return OK;
      }
      this.#containerdDeleteAll(img, force, prune);
      return OK;
    }
    if (users.some((u) => u.running)) return no("Conflict", "image-in-use");
    if (!force && users.length > 0) return no("Conflict", "image-in-use");
    if (!force && this.#names(img) > 1) return no("Conflict", "image-multiple-references");
    this.#containerdDeleteAll(img, force, prune);
    return OK;
  }

  #containerdDeleteAll(img: MImage, force: boolean, prune: boolean): void {
    const names = this.#names(img);
    const keepDangling = !force && img.tags.length === 1 && this.#children(img.id).length > 0;
    if (keepDangling) img.tags = [];
    else this.#delete(img);
    if (!prune || names > 1) return;
    let parent = img.parent === null ? undefined : this.images.get(img.parent);
    while (parent?.present && parent.tags.length === 0 && this.#users(parent.id).length === 0) {
      this.#delete(parent);
      parent = parent.parent === null ? undefined : this.images.get(parent.parent);
    }
  }

  // ---- prune ---------------------------------------------------------------------------------------

  prune(all: boolean): Outcome {
    if (this.store === "classic") this.#classicPrune(all);
    else this.#containerdPrune(all);
    return OK;
  }

  /** moby daemon/images/image_prune.go: each candidate through ImageDelete without force. */
  #classicPrune(all: boolean): void {
    const sorted = [...this.images.values()].filter((i) => i.present).sort((a, b) => (a.id < b.id ? -1 : 1));
    const candidates = sorted.filter((i) => {
      const children = this.#children(i.id).length > 0;
      if (!all && children) return false; // dangling only: the heads
      if (i.tags.length === 0 && children) return false; // untagged intermediate images
      return all || i.tags.length === 0;
    });
    for (const c of candidates) {
      if (!c.present) continue;
      if (c.tags.length === 0) this.rmi(c.id, false, false);
      else for (const t of [...c.tags]) if (c.present) this.rmi(t, false, false);
    }
  }

  /** moby daemon/containerd/image_prune.go `pruneUnused`. */
  #containerdPrune(all: boolean): void {
    const byName = new Set<string>();
    const byId = new Set<string>();
    const imagesOfContainers = new Set<string>();
    for (const c of this.containers.values()) {
      imagesOfContainers.add(c.imageId);
      if (c.ref.startsWith("sha256:")) byId.add(c.imageId);
      else byName.add(c.ref);
    }
    const present = [...this.images.values()].filter((i) => i.present).sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const img of present) {
      if (!all && img.tags.length > 0) continue;
      const names: (string | null)[] = img.tags.length > 0 ? [...img.tags].sort() : [null];
      let refs = names.length;
      let left = names.length;
      for (const n of names) {
        if (n === null ? imagesOfContainers.has(img.id) : byName.has(n)) continue;
        if (refs > 1) refs--;
        else if (byId.has(img.id)) continue;
        left--;
        if (n !== null) img.tags = img.tags.filter((t) => t !== n);
      }
      if (left === 0) this.#delete(img);
    }
  }
}
