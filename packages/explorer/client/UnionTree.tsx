/**
 * The union view as a tree: each entry with the layer it comes from (a coloured badge, the same colour
 * as in the stack), the layers it merges with or hides, and, struck through, the names a whiteout or
 * an opaque directory hides, with the layer that hides them. Directories open on click; a file opens in
 * the file panel.
 */
import { useEffect, useState } from "preact/hooks";
import type { StackSummary, TreeAt } from "./api.js";
import { formatBytes, layerColour, layerLabel } from "./format.js";
import { useApi } from "./useApi.js";

interface Props {
  readonly seq: number;
  readonly refName: string;
  readonly stack: StackSummary;
  readonly selected: string;
  readonly onSelect: (path: string) => void;
}

export function UnionTree(props: Props) {
  return (
    <section class="panel tree" data-testid="union-tree">
      <h2>
        Union view <small>each entry says which layer it comes from</small>
      </h2>
      <Directory {...props} path="/" depth={0} />
    </section>
  );
}

function Directory(props: Props & { readonly path: string; readonly depth: number }) {
  const { seq, refName, stack, path, depth, selected, onSelect } = props;
  const tree = useApi<TreeAt>("tree", { seq, ref: refName, path });
  const [open, setOpen] = useState<Set<string>>(() => new Set(openAlong(selected, path)));
  // A path selected elsewhere (a link, the history) opens the directories on the way to it.
  useEffect(() => {
    const along = openAlong(selected, path);
    if (along.some((name) => !open.has(name))) setOpen(new Set([...open, ...along]));
  }, [selected, path]);
  if (tree.error) return <div class="error">{tree.error}</div>;
  if (!tree.data) return <div class="loading">…</div>;
  const n = stack.layers.length;
  const label = (i: number) => layerLabel(i, n, stack.layers[i]?.readWrite ?? false);
  const activate = (name: string, kind: string, p: string) => {
    if (kind === "dir") {
      const next = new Set(open);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      setOpen(next);
    }
    onSelect(p);
  };
  const child = (name: string) => (path === "/" ? `/${name}` : `${path}/${name}`);
  return (
    <ul class="dir" data-path={path} data-seq={tree.data.seq}>
      {tree.data.entries.map((e) => {
        const p = child(e.name);
        const isOpen = open.has(e.name);
        return (
          <li key={e.name}>
            <button
              type="button"
              class={`entry k-${e.kind}${selected === p ? " selected" : ""}`}
              style={{ paddingLeft: `${depth * 14}px` }}
              data-testid="tree-entry"
              data-path={p}
              data-from={e.from}
              data-hides={e.hides.join(",")}
              data-opaque={e.opaque ? "true" : "false"}
              onClick={() => activate(e.name, e.kind, p)}
            >
              <span class="twisty">{e.kind === "dir" ? (isOpen ? "▾" : "▸") : " "}</span>
              <span class="name">
                {e.name}
                {e.kind === "dir" ? "/" : ""}
                {e.kind === "symlink" && e.target !== null ? ` → ${e.target}` : ""}
              </span>
              <span
                class="badge"
                style={{ background: layerColour(e.from, n) }}
                title={`from layer ${label(e.from)}`}
              >
                {label(e.from)}
              </span>
              {e.opaque && <span class="opaque">opaque</span>}
              {e.mergedWith.length > 0 && <span class="merged">+ {e.mergedWith.map(label).join(" ")}</span>}
              {e.hides.length > 0 && <span class="hides">hides {e.hides.map(label).join(" ")}</span>}
              {e.kind === "file" && <span class="size">{formatBytes(e.size)}</span>}
            </button>
            {e.kind === "dir" && isOpen && <Directory {...props} path={p} depth={depth + 1} />}
          </li>
        );
      })}
      {tree.data.hidden.map((h) => (
        <li key={`hidden:${h.name}`}>
          <div
            class="entry hidden"
            style={{ paddingLeft: `${depth * 14}px` }}
            data-testid="hidden-entry"
            data-path={child(h.name)}
            data-by={h.by}
            data-reason={h.reason}
            data-hides={h.hides.join(",")}
          >
            <span class="twisty"> </span>
            <span class="name">{h.name}</span>
            <span class="why">
              {h.reason === "whiteout" ? "deleted by a whiteout in" : "hidden by an opaque directory in"}{" "}
              {label(h.by)}, hides {h.hides.map(label).join(" ")}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

/** The names to open in `dir` so that `selected` is in sight. */
function openAlong(selected: string, dir: string): string[] {
  const prefix = dir === "/" ? "/" : `${dir}/`;
  if (!selected.startsWith(prefix)) return [];
  const rest = selected.slice(prefix.length).split("/");
  return rest.length > 1 ? [rest[0] as string] : [];
}
