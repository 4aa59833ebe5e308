/**
 * The layer stack drawn as the stack it is: the read-write layer (a container's) on top, the image's
 * read-only layers under it, bottom last; each with its id, size, entry counts, whiteouts, opaque
 * directories and history entry. Clicking a layer shows what it adds, changes and hides.
 */
import type { LayerChanges, StackAt } from "./api.js";
import { formatBytes, layerColour, layerLabel } from "./format.js";
import { useApi } from "./useApi.js";

interface Props {
  readonly seq: number;
  readonly refName: string;
  readonly stack: StackAt;
  readonly open: number | null;
  readonly onOpen: (index: number | null) => void;
}

export function LayerStackView({ seq, refName, stack, open, onOpen }: Props) {
  const changes = useApi<LayerChanges>(open === null ? null : "layer", {
    seq,
    ref: refName,
    index: open ?? 0,
  });
  const layers = [...stack.layers].reverse();
  return (
    <section class="panel stack" data-testid="layer-stack" data-seq={stack.seq}>
      <h2>
        Layers{" "}
        <small>{stack.kind === "container" ? "read-write layer on top of the image" : "the image"}</small>
      </h2>
      {layers.map((l) => (
        <div
          key={l.index}
          class={`layer${l.readWrite ? " rw" : ""}${open === l.index ? " open" : ""}`}
          style={{ borderLeftColor: layerColour(l.index, stack.layers.length) }}
          data-testid="layer"
          data-index={l.index}
          data-id={l.id}
        >
          <button type="button" class="layer-head" onClick={() => onOpen(open === l.index ? null : l.index)}>
            <span class="badge" style={{ background: layerColour(l.index, stack.layers.length) }}>
              {layerLabel(l.index, stack.layers.length, l.readWrite)}
            </span>
            <code>{l.readWrite ? "read-write" : l.id.replace(/^sha256:/, "").slice(0, 12)}</code>
            <span class="size">{formatBytes(l.size)}</span>
            <span class="counts">
              {l.entries} entries
              {l.whiteouts > 0 && (
                <span class="wh">
                  {" "}
                  · {l.whiteouts} whiteout{l.whiteouts > 1 ? "s" : ""}
                </span>
              )}
              {l.opaqueDirectories > 0 && <span class="op"> · {l.opaqueDirectories} opaque</span>}
            </span>
            {l.createdBy && <span class="created-by">{l.createdBy}</span>}
          </button>
          {open === l.index && changes.data && (
            <ul class="changes" data-testid="layer-changes">
              {changes.data.changes.map((c) => (
                <li key={c.path} class={`ch-${c.change}`} data-path={c.path} data-change={c.change}>
                  <span class="mark">
                    {{ added: "A", changed: "C", deleted: "D", opaque: "O" }[c.change]}
                  </span>{" "}
                  {c.path}
                  {c.change === "opaque" && <em> (hides what is below)</em>}
                </li>
              ))}
              {changes.data.truncated && <li>…</li>}
              {changes.data.changes.length === 0 && <li>no changes</li>}
            </ul>
          )}
        </div>
      ))}
    </section>
  );
}
