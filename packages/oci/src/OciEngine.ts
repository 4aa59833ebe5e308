/**
 * What the OCI importers and exporters need of an engine, and nothing more: its state and fs
 * projection (to read images and layers), its blob store and clock, and `execute`. Both the in-memory
 * `FsEngine` (whose `execute` answers at once) and a durable engine (whose `execute` returns a Promise)
 * fit: every call is awaited.
 */
import type { Clock, Command, CommandResult, EngineState } from "@strata/core";
import type { BlobStore, FsState } from "@strata/fs";

export interface OciEngine {
  readonly state: EngineState;
  readonly projected: FsState;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  execute(command: Command): CommandResult | Promise<CommandResult>;
}
