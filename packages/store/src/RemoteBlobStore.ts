/**
 * File contents kept where the log is (a PostgreSQL table beside the events), so that they travel with
 * it: whoever can read the log can read the files its events name. Content-addressed by sha256
 * (`sha256:<hex>`). The engine keeps a local copy (memory or disk) and stores blobs here before it
 * appends the events that name them.
 */
export interface RemoteBlobStore {
  /** Stores blobs; storing one that is already there is a no-op. Resolves once all are durable. */
  put(blobs: readonly { readonly digest: string; readonly bytes: Uint8Array }[]): Promise<void>;
  /** The digests among `digests` that are stored. */
  has(digests: readonly string[]): Promise<Set<string>>;
  /** The bytes of a blob, checked against its digest; undefined if unknown. */
  get(digest: string): Promise<Uint8Array | undefined>;
}
