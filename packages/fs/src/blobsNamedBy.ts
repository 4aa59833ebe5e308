/**
 * The blobs an event names and does not carry: the content digests its files point at (less a content
 * it carries inline: `fs.fileWritten`'s `content`, durable with the event itself), and what keeps an
 * image's bytes exactly (a layer's tar layout, an image's config JSON). What must be in the blob store,
 * and durable, before the event is appended; what `strata log verify` looks for in the store.
 */
/**
 * The blob digests `event` names and does not carry (files written, files of a layer and its tar layout,
 * an image's config and its layers' tar layouts), in order, without repeats.
 */
export function blobsNamedBy(event: { readonly type: string; readonly data: unknown }): string[] {
  const data = event.data as Record<string, unknown>;
  if (event.type === "fs.fileWritten")
    return typeof data.digest === "string" && data.content === undefined ? [data.digest] : [];
  if (event.type === "layer.created") {
    const digests = new Set<string>();
    for (const e of (data.entries ?? []) as { type: string; digest?: string }[])
      if (e.type === "file" && typeof e.digest === "string") digests.add(e.digest);
    if (typeof data.tar === "string") digests.add(data.tar);
    return [...digests];
  }
  if (event.type === "image.created") {
    const digests = new Set<string>();
    if (typeof data.configBlob === "string") digests.add(data.configBlob);
    for (const l of (data.layers ?? []) as { tar?: string }[])
      if (typeof l.tar === "string") digests.add(l.tar);
    return [...digests];
  }
  return [];
}
