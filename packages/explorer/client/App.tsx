/**
 * The explorer's page: the scrubber and the timeline on the left; on the right, the objects at the
 * selected seq and, for the one selected, its layer stack, union view, a file, Docker's diff and its
 * lifecycle. Everything is asked of the server at the selected seq; the URL's hash holds the view.
 */
import { useEffect, useState } from "preact/hooks";
import type { Change, Info, ObjectsAt, StackAt } from "./api.js";
import { FileView } from "./FileView.js";
import { LayerStackView } from "./LayerStackView.js";
import { LifecycleView } from "./LifecycleView.js";
import { TimelineList } from "./TimelineList.js";
import { UnionTree } from "./UnionTree.js";
import { useApi } from "./useApi.js";
import { parseHash, toHash, type ViewState } from "./viewState.js";

export function App() {
  const [view, setView] = useState<ViewState>(() => parseHash(location.hash));
  const [lastSeq, setLastSeq] = useState<number | null>(null);
  const info = useApi<Info>("info", {});

  // The URL says what is shown; going back and forth in history moves the view.
  useEffect(() => {
    const onHash = () => setView(parseHash(location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    const hash = toHash(view);
    if (hash !== location.hash && !(hash === "#" && location.hash === ""))
      history.replaceState(null, "", hash);
  }, [view]);

  // Follow the log as it grows.
  useEffect(() => {
    const source = new EventSource("api/live");
    source.addEventListener("seq", (e) => setLastSeq(Number((e as MessageEvent).data)));
    return () => source.close();
  }, []);

  const last = lastSeq ?? info.data?.lastSeq ?? null;

  // ← and → step through the events (unless a field has the keyboard).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (last === null || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      if (e.target instanceof HTMLInputElement) return; // a text field, or the scrubber, which moves itself
      e.preventDefault();
      setView((v) => {
        const at = v.seq ?? last;
        const next = e.key === "ArrowLeft" ? Math.max(0, at - 1) : Math.min(last, at + 1);
        return { ...v, seq: next === last ? null : next };
      });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [last]);
  if (info.error) return <div class="error">{info.error}</div>;
  if (last === null || !info.data) return <div class="loading">Reading the log…</div>;
  const following = view.seq === null;
  const seq = following ? last : Math.min(view.seq as number, last);
  const update = (change: Partial<ViewState>) => setView((v) => ({ ...v, ...change }));

  return (
    <div class="app">
      <header>
        <h1>Strata explorer</h1>
        <code class="location" data-testid="location">
          {info.data.location}
        </code>
        <div class="scrub">
          <button
            type="button"
            onClick={() => update({ seq: Math.max(0, seq - 1) })}
            disabled={seq === 0}
            aria-label="previous event"
          >
            ◀
          </button>
          <input
            type="range"
            min={0}
            max={last}
            value={seq}
            data-testid="scrubber"
            aria-label="seq"
            onInput={(e) => {
              const n = Number((e.currentTarget as HTMLInputElement).value);
              update({ seq: n === last ? null : n });
            }}
          />
          <button
            type="button"
            onClick={() => update({ seq: seq + 1 >= last ? null : seq + 1 })}
            disabled={seq >= last}
            aria-label="next event"
          >
            ▶
          </button>
          <span class="at" data-testid="seq" data-seq={seq} data-last={last}>
            #{seq} <small>of {last}</small>
          </span>
          <label class="follow">
            <input
              type="checkbox"
              checked={following}
              data-testid="follow"
              onChange={(e) => update({ seq: (e.currentTarget as HTMLInputElement).checked ? null : seq })}
            />{" "}
            follow new events
          </label>
        </div>
      </header>
      <main>
        <aside>
          <div class="filters">
            <input
              placeholder="type (fs. or container.started)"
              value={view.type}
              data-testid="filter-type"
              onChange={(e) => update({ type: (e.currentTarget as HTMLInputElement).value.trim() })}
            />
            <input
              placeholder="container or image"
              value={view.object}
              data-testid="filter-object"
              onChange={(e) => update({ object: (e.currentTarget as HTMLInputElement).value.trim() })}
            />
          </div>
          <TimelineList
            lastSeq={last}
            seq={seq}
            type={view.type}
            object={view.object}
            onSelect={(s) => update({ seq: s === last ? null : s })}
          />
        </aside>
        <Moment seq={seq} view={view} update={update} />
      </main>
    </div>
  );
}

function Moment({
  seq,
  view,
  update,
}: {
  seq: number;
  view: ViewState;
  update: (c: Partial<ViewState>) => void;
}) {
  const objects = useApi<ObjectsAt>("state", { seq });
  const stack = useApi<StackAt>(view.ref ? "stack" : null, { seq, ref: view.ref });
  const diff = useApi<{ changes: Change[] }>(view.ref && stack.data?.kind === "container" ? "diff" : null, {
    seq,
    ref: view.ref,
  });
  return (
    <div class="moment">
      <section class="panel objects" data-testid="objects" data-seq={objects.data?.seq}>
        <h2>
          At #{seq} <small>containers and images</small>
        </h2>
        <ul>
          {objects.data?.containers.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                class={view.ref === c.name ? "selected" : ""}
                data-testid="container"
                data-name={c.name}
                data-status={c.status}
                onClick={() => update({ ref: c.name, path: "", layer: null })}
              >
                <span class={`status s-${c.status}`}>{c.status}</span> {c.name} <small>{c.image}</small>
              </button>
            </li>
          ))}
          {objects.data?.images.map((i) => (
            <li key={i.id}>
              <button
                type="button"
                class={view.ref === (i.tags[0] ?? i.id) ? "selected" : ""}
                data-testid="image"
                data-id={i.id}
                data-tags={i.tags.join(" ")}
                onClick={() => update({ ref: i.tags[0] ?? i.id, path: "", layer: null })}
              >
                <span class="status s-image">image</span> {i.tags.join(", ") || i.id.slice(7, 19)}{" "}
                <small>{i.layers} layers</small>
              </button>
            </li>
          ))}
        </ul>
      </section>
      {view.ref && stack.error && (
        <section class="panel error" data-testid="not-here">
          {view.ref}: {stack.error}
        </section>
      )}
      {view.ref && stack.data && (
        <>
          <div class="columns">
            <LayerStackView
              seq={seq}
              refName={view.ref}
              stack={stack.data}
              open={view.layer}
              onOpen={(layer) => update({ layer })}
            />
            <UnionTree
              seq={seq}
              refName={view.ref}
              stack={stack.data}
              selected={view.path}
              onSelect={(path) => update({ path })}
            />
          </div>
          {view.path && <FileView seq={seq} refName={view.ref} path={view.path} stack={stack.data} />}
          {diff.data && (
            <section class="panel diff" data-testid="diff">
              <h2>
                Diff <small>the container against its image (docker diff)</small>
              </h2>
              <ul>
                {diff.data.changes.map((c) => (
                  <li key={c.path} data-path={c.path} data-kind={c.kind}>
                    <span class="mark">{c.kind}</span> {c.path}
                  </li>
                ))}
                {diff.data.changes.length === 0 && <li>no changes</li>}
              </ul>
            </section>
          )}
          <LifecycleView seq={seq} refName={view.ref} onSelect={(s) => update({ seq: s })} />
        </>
      )}
    </div>
  );
}
