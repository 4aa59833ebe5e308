/**
 * A commit of a container that changed nothing adds no layer, and its history entry says so (Docker's
 * `empty_layer: true`, moby daemon/internal/image/image.go `NewChildImage`). Core cannot see the
 * read-write layer; the projection that can (the fs package) calls this on the commit's event.
 */
import type { NewEvent } from "../events/envelope.js";

/**
 * The commit's `image.created` without its new (top) layer, the last history entry marked empty.
 * Other events are returned as they are.
 *
 * @example
 * events.map((e) => (e.type === "image.created" ? withoutCommitLayer(e) : e));
 */
export function withoutCommitLayer(event: NewEvent): NewEvent {
  if (event.type !== "image.created") return event;
  const { data } = event;
  const history = data.history?.map((h, i, all) => (i === all.length - 1 ? { ...h, emptyLayer: true } : h));
  return {
    ...event,
    data: { ...data, layers: data.layers.slice(0, -1), ...(history ? { history } : {}) },
  };
}
