/**
 * @strata/cli: the `strata` command, usable as a library too (for tests and embedding).
 */
export type { CommandSpec, Context } from "./CommandSpec.js";
export { COMMANDS } from "./commands.js";
export type { MainIo } from "./main.js";
export { EXIT, helpText, main } from "./main.js";
export type { ProgressBar } from "./ProgressBar.js";
export { makeProgressBar } from "./ProgressBar.js";
