/**
 * A container's union while a transient fold ({@link FsFold}) changes it: its read-write layer,
 * changed under the fold's edit, and a write-back cache for runs of writes.
 *
 * While nothing but `fs.fileWritten` comes for the container, no name of its upper layer moves or
 * goes away (a write adds names, never removes one), so a path written once keeps naming the same
 * upper file. The cache remembers it with its inode (hard links share one entry), and a later write to
 * the same path only changes the entry's fields, as overlayfs's write after its lookup; the inode
 * table gets one new inode with the last values (`settle`), before anything else reads it. Any other
 * filesystem event settles and forgets the cache first. The inodes of the state are never changed in
 * place: the entries are the fold's own.
 */
import type { EventEnvelope, FsEvent } from "@strata/core";
import { pathComponents } from "@strata/core";
import type { Edit } from "./Edit.js";
import { upperAfter } from "./evolveFs.js";
import type { Inode, Tree } from "./FsNode.js";
import type { ContainerFs } from "./FsState.js";
import { nodeAt, put } from "./treeOps.js";
import { withInodes } from "./upperTree.js";

type FileWritten = EventEnvelope & Extract<FsEvent, { type: "fs.fileWritten" }>;

/**
 * An upper inode the cache knows: the inode the table holds (`base`), and the fields the writes since
 * gave it (what `writtenInode` would give, write after write: content and owner replaced, mtime moved,
 * atime set to the first mtime moved when it had none).
 */
interface Written {
  readonly ino: string;
  base: Inode;
  digest: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  atime: number | undefined;
  /** Changed since the table got `base`. */
  dirty: boolean;
}

function written(ino: string, base: Inode): Written {
  const { digest, size, mode, uid, gid, mtime, atime } = base;
  return { ino, base, digest, size, mode, uid, gid, mtime, atime, dirty: false };
}

/** The inode the writes made: the object `writtenInode` gives after the same writes. */
function inodeOf(w: Written): Inode {
  const { base, digest, size, mode, uid, gid, mtime, atime } = w;
  if (base.atime === undefined && base.xattrs === undefined)
    return atime === undefined
      ? { digest, size, mode, uid, gid, mtime, nlink: base.nlink }
      : { digest, size, mode, uid, gid, mtime, nlink: base.nlink, atime };
  const inode = { ...base, digest, size, mode, uid, gid, mtime };
  return atime === undefined || base.atime !== undefined ? inode : { ...inode, atime };
}

export class OpenContainer {
  readonly record: ContainerFs;
  readonly lower: Tree;
  /** The read-write layer, except the cached inodes not settled yet. */
  upper: Tree;
  readonly #files = new Map<string, Written>();
  readonly #byIno = new Map<string, Written>();
  readonly #dirty: Written[] = [];
  /** How many dirty entries have other names (a first write to one of those must see them settled). */
  #linkedDirty = 0;

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
      known.digest = d.digest;
      known.size = d.size;
      known.mode = d.mode;
      known.uid = d.uid;
      known.gid = d.gid;
      const mtime = d.mtime ?? event.recordedAt;
      if (mtime !== known.mtime) {
        if (known.atime === undefined) known.atime = known.mtime;
        known.mtime = mtime;
      }
      if (!known.dirty) {
        known.dirty = true;
        this.#dirty.push(known);
        if (known.base.nlink > 1) this.#linkedDirty += 1;
      }
      return;
    }
    // The first write to this path in the run: the whole rule, on a settled inode when it reads one
    // (a path not written yet in the run names a dirty inode only if that inode has other names).
    const comps = pathComponents(d.path);
    if (this.#linkedDirty > 0) {
      const before = nodeAt(this.upper.root, comps);
      if (before?.kind === "file") this.#settle(this.#byIno.get(before.ino), edit);
    }
    this.upper = upperAfter(this, event, edit);
    const after = nodeAt(this.upper.root, comps);
    if (after?.kind !== "file") return;
    // Its inode now. An entry its other names share was settled above (it was dirty only if those
    // names were written in this run), so it starts again from the table.
    const base = this.upper.inodes.get(after.ino) as Inode;
    let entry = this.#byIno.get(after.ino);
    if (entry === undefined) {
      entry = written(after.ino, base);
      this.#byIno.set(after.ino, entry);
    } else Object.assign(entry, written(after.ino, base));
    this.#files.set(d.path, entry);
  }

  /** Folds any other filesystem event in: settles and forgets the cache first. */
  change(event: EventEnvelope & FsEvent, edit: Edit): void {
    this.settle(edit);
    this.#files.clear();
    this.#byIno.clear();
    this.upper = upperAfter(this, event, edit);
  }

  /** Writes the cached inodes into the inode table: `upper` is then the whole read-write layer. */
  settle(edit: Edit): void {
    for (const entry of this.#dirty) this.#settle(entry, edit);
    this.#dirty.length = 0;
    this.#linkedDirty = 0;
  }

  #settle(entry: Written | undefined, edit: Edit): void {
    if (entry === undefined || !entry.dirty) return;
    entry.base = inodeOf(entry);
    this.upper = withInodes(this.upper, put(this.upper.inodes, entry.ino, entry.base, edit));
    entry.dirty = false;
    if (entry.base.nlink > 1) this.#linkedDirty -= 1;
  }
}
