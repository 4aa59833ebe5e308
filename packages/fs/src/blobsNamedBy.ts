/**
 * The blobs an event names: the content digests its files point at. What must be in the blob store,
 * and durable, before the event is appended; what `strata log verify` checks for every event.
 */
/** The content digests `event` names (files written, files of a layer), in order, without repeats. */
export function blobsNamedBy(event: { readonly type: string; readonly data: unknown }): string[] {
  const data = event.data as Record<string, unknown>;
  if (event.type === "fs.fileWritten") return typeof data.digest === "string" ? [data.digest] : [];
  if (event.type === "layer.created") {
    const digests = new Set<string>();
    for (const e of (data.entries ?? []) as { type: string; digest?: string }[])
      if (e.type === "file" && typeof e.digest === "string") digests.add(e.digest);
    return [...digests];
  }
  return [];
}
