/**
 * A container's union while a transient fold ({@link FsFold}) changes it: its read-write layer,
 * changed under the fold's edit, and a write-back cache for runs of writes.
 *
 * While nothing but `fs.fileWritten` comes for the container, no name of its upper layer moves or
 * goes away (a write adds names, never removes one), so a path written once keeps naming the same
 * upper file. The cache remembers it with its inode (hard links share one entry), and a later write to
 * the same path only makes the inode's new value, as overlayfs's write after its lookup; the inode
 * table gets the last value once (`settle`), before anything else reads it. Any other filesystem
 * event settles and forgets the cache first.
 */
import type { EventEnvelope, FsEvent } from "@strata/core";
import { pathComponents } from "@strata/core";
import type { Edit } from "./Edit.js";
import { upperAfter } from "./evolveFs.js";
import { type Inode, rewriteInode, type Tree, writtenInode } from "./FsNode.js";
import type { ContainerFs } from "./FsState.js";
import { nodeAt, put } from "./treeOps.js";
import { withInodes } from "./upperTree.js";

type FileWritten = EventEnvelope & Extract<FsEvent, { type: "fs.fileWritten" }>;

/** An upper inode the cache knows: its value now, and whether the inode table has it yet. */
interface Written {
  readonly ino: string;
  inode: Inode;
  dirty: boolean;
  /**
   * The edit under which the fold made the object `inode` (null: it did not): while that edit is
   * open, nobody sees that object but the fold (its inode table is the edit's), so a later write
   * changes it in place.
   */
  madeUnder: Edit | null;
}

export class OpenContainer {
  readonly record: ContainerFs;
  readonly lower: Tree;
  /** The read-write layer, except the cached inodes not settled yet. */
  upper: Tree;
  readonly #files = new Map<string, Written>();
  readonly #byIno = new Map<string, Written>();
  readonly #dirty: Written[] = [];
  /** How many of the dirty entries have other names (a first write to one of those must see them settled). */
  #linkedDirty = 0;

  constructor(record: ContainerFs) {
    this.record = record;
    this.lower = record.lower;
    this.upper = record.upper;
  }

  /** Folds a write in (see the header). Throws what `evolveFs` throws. */
  write(event: FileWritten, edit: Edit): void {
    const { path } = event.data;
    const known = this.#files.get(path);
    if (known !== undefined) {
      const d = event.data;
      const mtime = d.mtime ?? event.recordedAt;
      if (known.madeUnder === edit) rewriteInode(known.inode, d.digest, d.size, d.mode, d.uid, d.gid, mtime);
      else {
        known.inode = writtenInode(known.inode, d.digest, d.size, d.mode, d.uid, d.gid, mtime);
        known.madeUnder = edit;
      }
      if (!known.dirty) {
        known.dirty = true;
        this.#dirty.push(known);
        if (known.inode.nlink > 1) this.#linkedDirty += 1;
      }
      return;
    }
    // The first write to this path in the run: the whole rule, on a settled inode when it reads one
    // (a path not written yet in the run names a dirty inode only if that inode has other names).
    const comps = pathComponents(path);
    if (this.#linkedDirty > 0) {
      const before = nodeAt(this.upper.root, comps);
      if (before?.kind === "file") this.#settle(this.#byIno.get(before.ino), edit);
    }
    this.upper = upperAfter(this, event, edit);
    const after = nodeAt(this.upper.root, comps);
    if (after?.kind !== "file") return;
    const entry: Written = this.#byIno.get(after.ino) ?? {
      ino: after.ino,
      inode: undefined as unknown as Inode,
      dirty: false,
      madeUnder: null,
    };
    // The write just made this inode object, under this edit, for the inode table the edit owns.
    entry.inode = this.upper.inodes.get(after.ino) as Inode;
    entry.madeUnder = edit;
    this.#byIno.set(after.ino, entry);
    this.#files.set(path, entry);
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
    this.upper = withInodes(this.upper, put(this.upper.inodes, entry.ino, entry.inode, edit));
    entry.dirty = false;
    if (entry.inode.nlink > 1) this.#linkedDirty -= 1;
  }
}
