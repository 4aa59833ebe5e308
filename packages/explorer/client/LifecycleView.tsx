/**
 * The lifecycle machine of the selected object as a state diagram, laid out from the machine itself
 * (columns by distance from the initial state), with the state at the selected seq filled and the
 * transitions the object took drawn heavy; under it the path as a list (seq, event, from → to) and a
 * container's processes and execs.
 */
import type { LifecycleAt, MachineGraph } from "./api.js";
import { useApi } from "./useApi.js";

interface Props {
  readonly seq: number;
  readonly refName: string;
  readonly onSelect: (seq: number) => void;
}

const W = 118;
const H = 30;
const GAP_X = 46;
const GAP_Y = 18;

interface Placed {
  readonly x: number;
  readonly y: number;
}

function layout(graph: MachineGraph): Map<string, Placed> {
  const depth = new Map<string, number>([[graph.initial, 0]]);
  const queue = [graph.initial];
  while (queue.length > 0) {
    const s = queue.shift() as string;
    for (const e of graph.edges)
      if (e.from === s && !depth.has(e.to)) {
        depth.set(e.to, (depth.get(s) ?? 0) + 1);
        queue.push(e.to);
      }
  }
  const columns = new Map<number, string[]>();
  for (const s of graph.states) {
    const d = depth.get(s) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), s]);
  }
  const placed = new Map<string, Placed>();
  for (const [d, states] of columns)
    for (const [i, s] of states.entries())
      placed.set(s, { x: 10 + d * (W + GAP_X), y: 10 + i * (H + GAP_Y) });
  return placed;
}

export function LifecycleView({ seq, refName, onSelect }: Props) {
  const life = useApi<LifecycleAt>("lifecycle", { seq, ref: refName });
  if (life.error) return <section class="panel lifecycle error">{life.error}</section>;
  if (!life.data) return <section class="panel lifecycle">…</section>;
  const { graph, current, path } = life.data;
  const placed = layout(graph);
  const taken = new Set(path.map((p) => `${p.from}->${p.to}`));
  const visited = new Set<string>(path.flatMap((p) => [p.from, p.to]));
  const width = Math.max(...[...placed.values()].map((p) => p.x)) + W + 20;
  const height = Math.max(...[...placed.values()].map((p) => p.y)) + H + 40;
  return (
    <section class="panel lifecycle" data-testid="lifecycle" data-current={current} data-seq={life.data.seq}>
      <h2>
        Lifecycle <small>the {graph.id} machine, from the model</small>
      </h2>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${graph.id} lifecycle, now ${current}`}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="currentColor" />
          </marker>
        </defs>
        {graph.edges.map((e) => {
          const a = placed.get(e.from);
          const b = placed.get(e.to);
          if (!a || !b) return null;
          const forward = b.x > a.x;
          const [x1, y1] = forward ? [a.x + W, a.y + H / 2] : [a.x + W / 2, a.y + H];
          const [x2, y2] = forward ? [b.x, b.y + H / 2] : [b.x + W / 2, b.y + H];
          const bend = forward
            ? `C ${x1 + GAP_X / 2} ${y1}, ${x2 - GAP_X / 2} ${y2},`
            : `C ${x1} ${y1 + 40}, ${x2} ${y2 + 40},`;
          const on = taken.has(`${e.from}->${e.to}`);
          return (
            <path
              key={`${e.from}-${e.to}`}
              d={`M ${x1} ${y1} ${bend} ${x2} ${y2}`}
              class={`edge${on ? " taken" : ""}`}
              data-testid="machine-edge"
              data-from={e.from}
              data-to={e.to}
              data-taken={on ? "true" : "false"}
              marker-end="url(#arrow)"
            >
              <title>{e.events.join(", ")}</title>
            </path>
          );
        })}
        {graph.states.map((s) => {
          const p = placed.get(s) as Placed;
          return (
            <g
              key={s}
              class={`state${s === current ? " current" : ""}${visited.has(s) ? " visited" : ""}`}
              data-testid="machine-state"
              data-state={s}
            >
              <rect x={p.x} y={p.y} width={W} height={H} rx={8} />
              <text x={p.x + W / 2} y={p.y + H / 2 + 4} text-anchor="middle">
                {s}
              </text>
            </g>
          );
        })}
      </svg>
      {path.length > 0 && (
        <ol class="path" data-testid="lifecycle-path">
          {path.map((p) => (
            <li key={p.seq} data-seq={p.seq}>
              <button type="button" onClick={() => onSelect(p.seq)}>
                <span class="seq">#{p.seq}</span> {p.type}: {p.from} → <b>{p.to}</b>
              </button>
            </li>
          ))}
        </ol>
      )}
      {life.data.kind === "container" && (
        <div class="processes" data-testid="processes">
          <h3>
            Processes{" "}
            <small>
              exit code {life.data.exitCode ?? 0}, restarted {life.data.restartCount ?? 0}×
            </small>
          </h3>
          {life.data.processes.length === 0 && <p>none running</p>}
          <ul>
            {life.data.processes.map((p) => (
              <li key={p.pid} data-pid={p.pid}>
                PID {p.pid} ({p.kind}) <code>{p.cmd.join(" ")}</code>
              </li>
            ))}
            {life.data.execs.map((x) => (
              <li key={x.execId} class="exec">
                exec {x.execId.slice(0, 12)} PID {x.pid} <code>{x.cmd.join(" ")}</code>{" "}
                {x.running ? "running" : `exited ${x.exitCode ?? ""}`}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
