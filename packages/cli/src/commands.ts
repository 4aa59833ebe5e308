/**
 * The commands of `strata`, in the order `--help` lists them: Docker's verbs (one file each in verbs/) and
 * Strata's own commands (one file each in strata/). Each has a usage line, a summary and a handler.
 */
import { join } from "node:path";
import { StrataError } from "@strata/core";
import type { CommandSpec } from "./CommandSpec.js";
import { serveCommand } from "./serve.js";
import { applyCommand } from "./strata/apply.js";
import { catCommand } from "./strata/cat.js";
import { demoCommand } from "./strata/demo.js";
import { graphCommand } from "./strata/graph.js";
import { logEventsCommand } from "./strata/logEvents.js";
import { logRepairCommand } from "./strata/logRepair.js";
import { logVerifyCommand } from "./strata/logVerify.js";
import { lsCommand } from "./strata/ls.js";
import { ociExportCommand } from "./strata/ociExport.js";
import { ociImportCommand } from "./strata/ociImport.js";
import { replayCommand } from "./strata/replay.js";
import { treeCommand } from "./strata/tree.js";
import { uiCommand } from "./ui.js";
import { commitVerb } from "./verbs/commit.js";
import { containerPruneVerb } from "./verbs/containerPrune.js";
import {
  killVerb,
  pauseVerb,
  restartVerb,
  rmVerb,
  startVerb,
  stopVerb,
  unpauseVerb,
} from "./verbs/containerVerbs.js";
import { cpVerb } from "./verbs/cp.js";
import { createVerb } from "./verbs/create.js";
import { diffVerb } from "./verbs/diff.js";
import { eventsVerb } from "./verbs/events.js";
import { execVerb } from "./verbs/exec.js";
import { historyVerb } from "./verbs/history.js";
import { imagePruneVerb } from "./verbs/imagePrune.js";
import { imagesVerb } from "./verbs/images.js";
import { importVerb } from "./verbs/import.js";
import { infoVerb } from "./verbs/info.js";
import { inspectVerb } from "./verbs/inspect.js";
import { loadVerb } from "./verbs/load.js";
import { psVerb } from "./verbs/ps.js";
import { renameVerb } from "./verbs/rename.js";
import { rmiVerb } from "./verbs/rmi.js";
import { runVerb } from "./verbs/run.js";
import { saveVerb } from "./verbs/save.js";
import { tagVerb } from "./verbs/tag.js";
import { versionVerb } from "./verbs/version.js";
import { waitVerb } from "./verbs/wait.js";

export const COMMANDS: readonly CommandSpec[] = [
  demoCommand,
  applyCommand,
  logEventsCommand,
  graphCommand,
  lsCommand,
  treeCommand,
  catCommand,
  ociExportCommand,
  ociImportCommand,
  replayCommand,
  logVerifyCommand,
  logRepairCommand,
  serveCommand,
  uiCommand,
  runVerb,
  createVerb,
  startVerb,
  stopVerb,
  restartVerb,
  killVerb,
  pauseVerb,
  unpauseVerb,
  rmVerb,
  renameVerb,
  waitVerb,
  diffVerb,
  commitVerb,
  containerPruneVerb,
  execVerb,
  cpVerb,
  tagVerb,
  rmiVerb,
  saveVerb,
  loadVerb,
  importVerb,
  imagePruneVerb,
  psVerb,
  imagesVerb,
  inspectVerb,
  historyVerb,
  eventsVerb,
  versionVerb,
  infoVerb,
];

export function isStrataError(e: unknown): e is StrataError {
  return e instanceof StrataError;
}

export const DEFAULT_LOG_DIR = ".strata";
export const logDir = (flags: ReadonlyMap<string, string | true>) => {
  const f = flags.get("log");
  return typeof f === "string" ? f : (process.env.STRATA_LOG ?? DEFAULT_LOG_DIR);
};
export { join };
