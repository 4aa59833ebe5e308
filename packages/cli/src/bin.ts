#!/usr/bin/env node
/**
 * The `strata` executable: runs `main` on the process's arguments and exits with its code. Kept apart
 * from `main.ts` so importing the library never runs the command, and an installed `strata` (a symlink
 * or a package manager's shim) runs it whatever path it is called by.
 */
import { main } from "./main.js";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`strata: unexpected error: ${(e as Error).stack ?? e}\n`);
    process.exit(70);
  },
);
