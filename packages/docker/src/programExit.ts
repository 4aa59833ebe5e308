/**
 * What Strata knows of a program without running it: nothing, except for programs whose whole
 * behaviour is their exit status, decided by their arguments alone and printing nothing: `true` (0),
 * `false` (1), and a shell given a script that is one of `exit`, `exit N`, `true`, `false`, `:` or
 * nothing (`sh -c 'exit 3'`). Such a program ends as soon as it starts, with that status; any other
 * program runs until a signal or an injected `process.exit` ends it (as `sleep infinity` would), and
 * prints nothing, since nothing runs. The rule is docs/docker-api.md's "Programs, and what a client
 * attached to them sees".
 */

const SHELLS = new Set(["sh", "ash", "bash", "dash", "ksh", "mksh", "zsh"]);

/** The last component of a program path (`/bin/sh` → `sh`). */
const base = (program: string): string => program.slice(program.lastIndexOf("/") + 1);

/** The exit status of a one-command shell script, or null when it is not one of the known forms. */
function scriptStatus(script: string): number | null {
  const s = script.trim();
  if (s === "" || s === ":" || s === "true" || s === "exit") return 0;
  if (s === "false") return 1;
  const m = /^exit[ \t]+([0-9]{1,3})$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    return n <= 255 ? n : null;
  }
  return null;
}

/**
 * The status `argv` (entrypoint then cmd, or an exec's command) exits with as soon as it starts, or null
 * when it runs until it is stopped.
 *
 * @example
 * programExitCode(["sh", "-c", "exit 3"]); // 3
 * programExitCode(["sleep", "1"]); // null: runs until stopped
 */
export function programExitCode(argv: readonly string[]): number | null {
  const [program, ...args] = argv;
  if (program === undefined) return null;
  const name = base(program);
  if (args.length === 0 && name === "true") return 0;
  if (args.length === 0 && name === "false") return 1;
  // busybox's applets: `busybox sh -c …`, `busybox true`.
  if (name === "busybox" && args.length > 0) return programExitCode(args);
  if (SHELLS.has(name) && args[0] === "-c" && args[1] !== undefined) return scriptStatus(args[1]);
  return null;
}
