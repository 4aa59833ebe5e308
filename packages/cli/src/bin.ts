#!/usr/bin/env node
/**
 * The `strata` executable: runs `main` on the process's arguments and exits with its code. Kept apart
 * from `main.ts` so importing the library never runs the command, and an installed `strata` (a symlink
 * or a package manager's shim) runs it whatever path it is called by.
 *
 * A closed stdout (EPIPE: the reader of a pipe went away) ends the command quietly with code 0.
 *
 * It exits only once stdout and stderr have drained: `process.exit` right after a large write to a pipe
 * would cut the output short (`strata log events | wc -l` lost most of a long log that way).
 */
import { main, reportFailure } from "./main.js";

// Whoever reads our output closed it (`strata log events --follow | head -3`): that is the end, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

function exitWhenDrained(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(exitWhenDrained, (e: unknown) => {
  exitWhenDrained(reportFailure(process.argv[2] ?? "", e, (s) => process.stderr.write(s)));
});
