/**
 * The blobs an event names and does not carry: the content digests its files point at, less a content
 * it carries inline (`fs.fileWritten`'s `content`, durable with the event itself). What must be in the
 * blob store, and durable, before the event is appended; what `strata log verify` looks for in the store.
 */
/** The content digests `event` names and does not carry (files written, files of a layer), in order, without repeats. */
export function blobsNamedBy(event: { readonly type: string; readonly data: unknown }): string[] {
  const data = event.data as Record<string, unknown>;
  if (event.type === "fs.fileWritten")
    return typeof data.digest === "string" && data.content === undefined ? [data.digest] : [];
  if (event.type === "layer.created") {
    const digests = new Set<string>();
    for (const e of (data.entries ?? []) as { type: string; digest?: string }[])
      if (e.type === "file" && typeof e.digest === "string") digests.add(e.digest);
    return [...digests];
  }
  return [];
}
