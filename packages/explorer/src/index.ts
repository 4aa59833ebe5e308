/**
 * @strata/explorer: a web page over a Strata event log that scrubs through time — the timeline, the
 * layer stack, the union view with each entry's layer, the lifecycle machine and the path a container
 * took — served by `ExplorerServer` (`strata ui`).
 */
export type { ExplorerServerOptions, ListenOptions } from "./ExplorerServer.js";
export { ExplorerServer, MAX_CONTENT_BYTES, MAX_ROWS } from "./ExplorerServer.js";
export type { LayerChange, LayerChanges } from "./layerChanges.js";
export { layerChanges } from "./layerChanges.js";
export type { LayerSummary, Stack, StackSummary } from "./layerStack.js";
export { stackOf } from "./layerStack.js";
export type { MachineEdge, MachineGraph } from "./machineGraph.js";
export { lifecycleGraphs, machineGraph } from "./machineGraph.js";
export type { DirectoryListing, EntryKind, HiddenEntry, UnionEntry } from "./provenance.js";
export { listDirectory, origin, splitPath } from "./provenance.js";
export type { StatusChange, TimelineOptions, TimelineRow } from "./Timeline.js";
export { Timeline } from "./Timeline.js";
