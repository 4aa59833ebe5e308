/**
 * @strata/fs: layer snapshots and the union view. Wired into the workspace (it depends on
 * @strata/core, never the reverse); the fs issue fills it.
 */
export { EVENT_SCHEMA_VERSION as CORE_EVENT_SCHEMA_VERSION } from "@strata/core";
