/**
 * The page's side of the explorer's JSON API (ExplorerServer.ts documents it). The shapes are the
 * server's own types, imported for their types only.
 */
import type { LayerChanges } from "../src/layerChanges.js";
import type { StackSummary } from "../src/layerStack.js";
import type { MachineGraph } from "../src/machineGraph.js";
import type { HiddenEntry, UnionEntry } from "../src/provenance.js";
import type { StatusChange, TimelineRow } from "../src/Timeline.js";

export type { HiddenEntry, LayerChanges, MachineGraph, StackSummary, StatusChange, TimelineRow, UnionEntry };

export interface Info {
  readonly location: string;
  readonly lastSeq: number;
  readonly graphs: { readonly container: MachineGraph; readonly image: MachineGraph };
}

/** The layer stack at a seq. */
export interface StackAt extends StackSummary {
  readonly seq: number;
}

export interface EventPage {
  readonly total: number;
  readonly offset: number;
  readonly rows: readonly TimelineRow[];
}

export interface ObjectsAt {
  readonly seq: number;
  readonly containers: readonly {
    readonly id: string;
    readonly name: string;
    readonly status: string;
    readonly imageId: string;
    readonly image: string;
  }[];
  readonly images: readonly {
    readonly id: string;
    readonly tags: readonly string[];
    readonly layers: number;
    readonly containerId: string | null;
  }[];
}

export interface TreeEntry extends UnionEntry {
  readonly size: number;
  readonly mode: number;
  readonly target: string | null;
}

export interface TreeAt {
  readonly seq: number;
  readonly path: string;
  readonly entries: readonly TreeEntry[];
  readonly hidden: readonly HiddenEntry[];
}

export interface FileAt {
  readonly seq: number;
  readonly path: string;
  readonly stat: {
    readonly type: string;
    readonly mode: number;
    readonly uid: number;
    readonly gid: number;
    readonly size: number;
    readonly mtime: number;
    readonly digest?: string;
    readonly target?: string;
  } | null;
  readonly origin: UnionEntry | HiddenEntry | null;
  readonly content: string | null;
  readonly binary?: boolean;
  readonly truncated?: boolean;
}

export interface Change {
  readonly path: string;
  readonly kind: string;
}

export interface LifecycleAt {
  readonly seq: number;
  readonly kind: "container" | "image";
  readonly graph: MachineGraph;
  readonly current: string;
  readonly path: readonly StatusChange[];
  readonly processes: readonly { pid: number; kind: string; cmd: readonly string[] }[];
  readonly execs: readonly {
    execId: string;
    pid: number;
    cmd: readonly string[];
    running: boolean;
    exitCode: number | null;
  }[];
  readonly exitCode?: number;
  readonly restartCount?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function get<T>(
  path: string,
  params: Record<string, string | number | undefined> = {},
): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const res = await fetch(`api/${path}${q.size > 0 ? `?${q}` : ""}`);
  const body = await res.json();
  if (!res.ok) throw new ApiError(res.status, (body as { message?: string }).message ?? res.statusText);
  return body as T;
}
