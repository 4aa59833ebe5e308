/**
 * What the OCI importers and exporters need of an engine: its states, its blob store and its clock, and
 * a way to run a command — synchronously (fs's in-memory `FsEngine`) or not (@strata/engine's durable
 * engine, whose `execute` returns a promise); every result is awaited.
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
