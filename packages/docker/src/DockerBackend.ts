/**
 * What the API's routes work on: Strata's durable engine (state, commands, time travel, the log to
 * stream events from) and the daemon's identity. Routes never reach past it.
 */
import type { DurableEngine } from "@strata/engine";

export interface DockerBackend {
  readonly engine: DurableEngine;
  /** The daemon's name (`docker info` Name) and a stable id. */
  readonly name: string;
  readonly id: string;
  /** Where the log lives (`docker info` DockerRootDir, as Strata shows it). */
  readonly location: string;
}
