/**
 * What the page shows, encoded in the URL's hash so that a moment can be shared: the seq (absent:
 * the end of the log, following new events), the object, the path in its union view, the layer
 * opened, and the timeline's filters. `#seq=17&ref=web&path=/etc/passwd`.
 */
export interface ViewState {
  /** null: follow the end of the log. */
  readonly seq: number | null;
  readonly ref: string;
  readonly path: string;
  readonly layer: number | null;
  readonly type: string;
  readonly object: string;
}

export const EMPTY_VIEW: ViewState = { seq: null, ref: "", path: "", layer: null, type: "", object: "" };

export function parseHash(hash: string): ViewState {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const seq = q.get("seq");
  const layer = q.get("layer");
  return {
    seq: seq !== null && /^\d+$/.test(seq) ? Number(seq) : null,
    ref: q.get("ref") ?? "",
    path: q.get("path") ?? "",
    layer: layer !== null && /^\d+$/.test(layer) ? Number(layer) : null,
    type: q.get("type") ?? "",
    object: q.get("object") ?? "",
  };
}

export function toHash(v: ViewState): string {
  const q = new URLSearchParams();
  if (v.seq !== null) q.set("seq", String(v.seq));
  if (v.ref) q.set("ref", v.ref);
  if (v.path) q.set("path", v.path);
  if (v.layer !== null) q.set("layer", String(v.layer));
  if (v.type) q.set("type", v.type);
  if (v.object) q.set("object", v.object);
  return `#${q.toString().replace(/%2F/g, "/")}`;
}
