/**
 * A container's union while a transient fold ({@link FsFold}) changes it: its read-write layer,
 * changed under the fold's edit, and a write-back cache for runs of writes.
 *
 * While nothing but `fs.fileWritten` comes for the container, no name of its upper layer moves or
 * goes away (a write adds names, never removes one), so a path written once keeps naming the same
 * upper file. The cache remembers it with its inode (hard links share one entry), and a later write to
 * the same path only changes the entry's fields, as overlayfs's write after its lookup; the inode
 * table gets one new inode with the last values (`settle`), before anything else reads it.
 *
 * A first write of a new name in a directory the cache holds ({@link HeldDir}: an upper directory a
 * write of this run reached, with the lower one merged with it) is recorded there and not placed:
 * the name is free when neither the upper directory (but for a whiteout) nor the lower one has it,
 * and then the rule is "a new inode, a new name, the directory's mtime moved". The held directory gets
 * its new names, their inodes and its last mtime at once when it settles: before any other rule reads
 * the tree (a write that is not such a new name), and at the end of the run. Any other filesystem
 * event settles and forgets the cache first. The inodes of the state are never changed in place: the
 * entries are the fold's own. Laws: test/replay.transient.test.ts (every prefix equals the
 * persistent fold, runs of writes included).
 */
import type { EventEnvelope, FsEvent } from "@strata/core";
import { pathComponents } from "@strata/core";
import type { Edit } from "./Edit.js";
import { upperAfter } from "./evolveFs.js";
import type { DirNode, Inode, Tree } from "./FsNode.js";
import type { ContainerFs } from "./FsState.js";
import { lookupPair } from "./Overlay.js";
import { nodeAt, put, withNode } from "./treeOps.js";
import { withInodes, withRoot } from "./upperTree.js";

type FileWritten = EventEnvelope & Extract<FsEvent, { type: "fs.fileWritten" }>;

/** The mtime a write gives its file. */
const mtimeOf = (e: FileWritten): number => e.data.mtime ?? e.recordedAt;

/**
 * An upper inode the cache knows: the inode the table holds (`base`; none for a file born in this
 * run and not settled yet), and what the writes since gave it, as `writtenInode` would, write after
 * write: the last write's content, mode, owner and mtime, and atime set to the mtime it had before
 * (`mtime0`) when one of them moved it and it had none. Once one moved it (`moved`), a write only
 * replaces `last`: no time is read until it settles.
 */
interface Written {
  readonly ino: string;
  base: Inode | undefined;
  /** The last write since `base` (for a born file, at least its first); undefined: none. */
  last: FileWritten | undefined;
  mtime0: number;
  moved: boolean;
  /** Changed since the table got `base` (a born file is dirty until its directory settles). */
  dirty: boolean;
}

/** The entry of inode `ino` as the table holds it (`base`), unchanged. */
function settled(ino: string, base: Inode): Written {
  return { ino, base, last: undefined, mtime0: base.mtime, moved: false, dirty: false };
}

/** `entry` as the table holds it now (`base`): what `settled` gives, in place. */
function resettle(entry: Written, base: Inode): void {
  entry.base = base;
  entry.last = undefined;
  entry.mtime0 = base.mtime;
  entry.moved = false;
  entry.dirty = false;
}

/** The inode the writes made: the object `writtenInode` gives after the same writes. */
function inodeOf(w: Written): Inode {
  const { base, last } = w;
  if (last === undefined) return base as Inode;
  const { digest, size, mode, uid, gid } = last.data;
  const mtime = mtimeOf(last);
  const atime = base?.atime ?? (w.moved ? w.mtime0 : undefined);
  if (base === undefined || (base.atime === undefined && base.xattrs === undefined)) {
    const nlink = base === undefined ? 1 : base.nlink;
    return atime === undefined
      ? { digest, size, mode, uid, gid, mtime, nlink }
      : { digest, size, mode, uid, gid, mtime, nlink, atime };
  }
  const inode = { ...base, digest, size, mode, uid, gid, mtime };
  return atime === undefined || base.atime !== undefined ? inode : { ...inode, atime };
}

/**
 * An upper directory the write cache holds, by its path: its node as the tree held it when the cache
 * last looked (`gen`), the lower directory merged with it, and what the run's new names did to it and
 * the tree does not show yet.
 */
interface HeldDir {
  readonly comps: readonly string[];
  node: DirNode;
  /** The lower directory its names merge with (undefined: none, or the upper one is opaque). */
  readonly lower: DirNode | undefined;
  /** The cache's generation when `node` was read from the tree. */
  gen: number;
  /** Whether a new name moved its mtime (then atime is set, as withMtime does), and the last new name's write. */
  moved: boolean;
  last: FileWritten | undefined;
  /** Names born in it in this run, not in the tree yet, and their files' entries. */
  readonly names: string[];
  readonly born: Written[];
}

export class OpenContainer {
  readonly record: ContainerFs;
  readonly lower: Tree;
  /** The read-write layer, except what the cache holds and has not settled yet. */
  upper: Tree;
  readonly #files = new Map<string, Written>();
  readonly #byIno = new Map<string, Written>();
  readonly #dirty: Written[] = [];
  /** How many dirty entries have other names (a first write to one of those must see them settled). */
  #linkedDirty = 0;
  /** Held directories by path (`""` for the root) and those with names or an mtime to settle. */
  readonly #dirs = new Map<string, HeldDir>();
  readonly #unsettledDirs: HeldDir[] = [];
  /** Moves on whenever the tree may hold other directory objects than the held ones. */
  #gen = 0;

  constructor(record: ContainerFs) {
    this.record = record;
    this.lower = record.lower;
    this.upper = record.upper;
  }

  /** Folds a write in (see the header). Throws what `evolveFs` throws. */
  write(event: FileWritten, edit: Edit): void {
    const d = event.data;
    const known = this.#files.get(d.path);
    if (known !== undefined) {
      known.last = event;
      if (!known.moved && mtimeOf(event) !== known.mtime0) known.moved = true;
      if (!known.dirty) {
        known.dirty = true;
        this.#dirty.push(known);
        if ((known.base as Inode).nlink > 1) this.#linkedDirty += 1;
      }
      return;
    }
    if (!this.#bear(event)) this.#apply(event, edit);
  }

  /**
   * A first write of a name no entry of the union has, in a held directory: recorded there (see the
   * header). False when that is not the case, and nothing is changed then.
   */
  #bear(event: FileWritten): boolean {
    const path = event.data.path;
    const slash = path.lastIndexOf("/");
    if (slash < 0 || slash === path.length - 1) return false;
    const dir = this.#dirs.get(path.slice(0, slash));
    if (dir === undefined || (dir.gen !== this.#gen && !this.#reread(dir))) return false;
    const name = path.slice(slash + 1);
    const upper = dir.node.children.get(name);
    if (upper !== undefined ? upper.kind !== "whiteout" : dir.lower?.children.has(name) === true)
      return false;
    // The inode id applyFileWritten gives a new file: the event's first (see evolveFs's inoIds).
    const entry: Written = {
      ino: `${event.seq}.0`,
      base: undefined,
      last: event,
      mtime0: mtimeOf(event),
      moved: false,
      dirty: true,
    };
    if (dir.names.length === 0) this.#unsettledDirs.push(dir);
    dir.names.push(name);
    dir.born.push(entry);
    if (!dir.moved && event.recordedAt !== dir.node.mtime) dir.moved = true;
    dir.last = event;
    this.#files.set(path, entry);
    return true;
  }

  /** The held directory's node from the tree as it is now; false (and forgotten) when it is not one. */
  #reread(dir: HeldDir): boolean {
    const node = nodeAt(this.upper.root, dir.comps);
    if (node?.kind !== "dir") return false;
    dir.node = node;
    dir.gen = this.#gen;
    return true;
  }

  /** A first write to a path the cache cannot answer for: the whole rule, on a settled tree. */
  #apply(event: FileWritten, edit: Edit): void {
    const d = event.data;
    this.#settleDirs(edit);
    // On a settled inode when it reads one (a path not written yet in the run names a dirty inode
    // only if that inode has other names).
    const comps = pathComponents(d.path);
    if (this.#linkedDirty > 0) {
      const before = nodeAt(this.upper.root, comps);
      if (before?.kind === "file") this.#settle(this.#byIno.get(before.ino), edit);
    }
    this.upper = upperAfter(this, event, edit);
    this.#gen += 1;
    const after = nodeAt(this.upper.root, comps);
    if (after?.kind !== "file") return;
    // Its inode now. An entry its other names share was settled above (it was dirty only if those
    // names were written in this run), so it starts again from the table.
    const base = this.upper.inodes.get(after.ino) as Inode;
    let entry = this.#byIno.get(after.ino);
    if (entry === undefined) {
      entry = settled(after.ino, base);
      this.#byIno.set(after.ino, entry);
    } else resettle(entry, base);
    this.#files.set(d.path, entry);
    this.#hold(d.path, comps);
  }

  /** Holds the directory of `path` (whose components are `comps`), unless it is held already. */
  #hold(path: string, comps: readonly string[]): void {
    // Only under "/": then the path up to its last "/" and the components but the last name one directory.
    if (path.charCodeAt(0) !== 47) return;
    const key = path.slice(0, path.lastIndexOf("/"));
    if (this.#dirs.has(key)) return;
    const dirComps = comps.slice(0, -1);
    const pair = lookupPair(this, dirComps);
    if (pair?.upper?.kind !== "dir") return;
    const lower = pair.lower?.kind === "dir" ? pair.lower : undefined;
    const node = pair.upper;
    this.#dirs.set(key, {
      comps: dirComps,
      node,
      lower,
      gen: this.#gen,
      moved: false,
      last: undefined,
      names: [],
      born: [],
    });
  }

  /** Folds any other filesystem event in: settles and forgets the cache first. */
  change(event: EventEnvelope & FsEvent, edit: Edit): void {
    this.settle(edit);
    this.#files.clear();
    this.#byIno.clear();
    this.#dirs.clear();
    this.upper = upperAfter(this, event, edit);
  }

  /** Writes what the cache holds into the tree: `upper` is then the whole read-write layer. */
  settle(edit: Edit): void {
    this.#settleDirs(edit);
    for (const entry of this.#dirty) this.#settle(entry, edit);
    this.#dirty.length = 0;
    this.#linkedDirty = 0;
  }

  #settle(entry: Written | undefined, edit: Edit): void {
    if (entry === undefined || !entry.dirty) return;
    const inode = inodeOf(entry);
    this.upper = withInodes(this.upper, put(this.upper.inodes, entry.ino, inode, edit));
    resettle(entry, inode);
    if (inode.nlink > 1) this.#linkedDirty -= 1;
  }

  /**
   * The held directories' new names, their inodes and their mtimes, into the tree: the very objects
   * the rule gives write after write (a name placed, then `withMtime`), built once.
   */
  #settleDirs(edit: Edit): void {
    if (this.#unsettledDirs.length === 0) return;
    let { root, inodes } = this.upper;
    let settledOne = false;
    for (const dir of this.#unsettledDirs) {
      // After another held directory settled, this one's node is read from the tree being built: it
      // may be that directory's ancestor, whose held node still names the child as it was.
      if (settledOne) dir.node = nodeAt(root, dir.comps) as DirNode;
      settledOne = true;
      let children = dir.node.children;
      for (let i = 0; i < dir.names.length; i++) {
        const entry = dir.born[i] as Written;
        children = put(children, dir.names[i] as string, { kind: "file", ino: entry.ino }, edit);
        const inode = inodeOf(entry);
        inodes = put(inodes, entry.ino, inode, edit);
        resettle(entry, inode);
      }
      const before = dir.node;
      let node = children === before.children ? before : { ...before, children };
      if (dir.moved)
        node = { ...node, atime: before.atime ?? before.mtime, mtime: (dir.last as FileWritten).recordedAt };
      root = withNode(root, dir.comps, node, edit);
      dir.node = node;
      dir.moved = false;
      dir.last = undefined;
      dir.names.length = 0;
      dir.born.length = 0;
    }
    this.#unsettledDirs.length = 0;
    this.upper = withInodes(withRoot(this.upper, root), inodes);
    // A directory settled may have been copied with its parents: held nodes are read again when used.
    this.#gen += 1;
  }
}
