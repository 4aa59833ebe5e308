/**
 * @strata/cli: the `strata` command, usable as a library too (for tests and embedding).
 */
export { COMMANDS } from "./commands.js";
export { EXIT, helpText, main } from "./main.js";
export { Workspace } from "./Workspace.js";
