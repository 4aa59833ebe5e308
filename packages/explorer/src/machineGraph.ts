/**
 * A lifecycle machine as a graph for the state diagram: its states, and an edge for every event that
 * moves it from one state to another. Read from the xstate machines themselves (the ones decide and
 * evolve run), never drawn by hand, so the diagram is the model.
 */
import { containerMachine, imageMachine } from "@strata/core";

export interface MachineEdge {
  readonly from: string;
  readonly to: string;
  /** The event types that take this edge. */
  readonly events: readonly string[];
}

export interface MachineGraph {
  readonly id: string;
  readonly initial: string;
  /** States in the machine's order (the order its definition gives them). */
  readonly states: readonly string[];
  readonly edges: readonly MachineEdge[];
}

interface StateNodeLike {
  readonly key: string;
  readonly states: Readonly<Record<string, StateNodeLike>>;
  readonly transitions: ReadonlyMap<string, readonly { readonly target?: readonly StateNodeLike[] }[]>;
  readonly initial?: { readonly target?: readonly StateNodeLike[] };
}

/** The graph of a machine's top-level states. */
export function machineGraph(machine: { readonly id: string; readonly root: unknown }): MachineGraph {
  const root = machine.root as StateNodeLike;
  const states = Object.keys(root.states);
  const edges = new Map<string, { from: string; to: string; events: string[] }>();
  for (const [key, node] of Object.entries(root.states)) {
    for (const [event, transitions] of node.transitions) {
      for (const t of transitions) {
        for (const target of t.target ?? []) {
          if (target.key === key) continue;
          const id = `${key}\u0000${target.key}`;
          const edge = edges.get(id) ?? { from: key, to: target.key, events: [] };
          if (!edge.events.includes(event)) edge.events.push(event);
          edges.set(id, edge);
        }
      }
    }
  }
  return {
    id: machine.id,
    initial: root.initial?.target?.[0]?.key ?? states[0] ?? "",
    states,
    edges: [...edges.values()],
  };
}

/** The container's and the image's lifecycle graphs. */
export function lifecycleGraphs(): { readonly container: MachineGraph; readonly image: MachineGraph } {
  return { container: machineGraph(containerMachine), image: machineGraph(imageMachine) };
}
