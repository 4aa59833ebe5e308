/**
 * An ownership token for transient edits, as Clojure's transients and immer's drafts have: a
 * {@link PersistentMap} changed with `setIn`/`deleteIn` under an open token changes in place the
 * parts that were created under that same token, and copies (then owns) the rest. Closing the token
 * ends the edit: nothing created under it can change again, and using it throws. Whatever was built
 * under it is then an ordinary persistent value.
 *
 * While the token is open, its owner uses each map linearly (the map a change returns, never the one
 * it was called on) and keeps no other reference into what it changes: a persistent change of a map
 * the open edit owns leaves that map as it was, but its result may share parts the edit can still
 * change, so a fold closes the edit (and opens another) before it goes on from such a result. A
 * transient fold makes one token, folds with it, and closes it before anyone else sees the result
 * (see `foldFs`). Contract: docs/fs-model.md#transient-replay · laws: PersistentMap.test.ts
 */
export class Edit {
  #open = true;

  /** Whether structures may still change in place under this token. */
  get open(): boolean {
    return this.#open;
  }

  /** Ends the edit: everything created under this token is frozen from now on. */
  close(): void {
    this.#open = false;
  }

  /** Throws unless the token is open (the structures call it before changing anything in place). */
  check(): void {
    if (!this.#open)
      throw new Error("Edit: this transient edit is closed; its structures are persistent now");
  }
}
