/**
 * Where Debian's chromium is (playwright-core drives it; no browser is downloaded). Without it the
 * browser tests are skipped with the reason printed, except under `CI=true`, where they must run
 * (`.ci/run` installs it).
 */
import { execFileSync } from "node:child_process";

function find(): string | null {
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const path = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
      if (path) return path;
    } catch {
      // not this name
    }
  }
  return null;
}

const found = find();

/** Why the browser tests cannot run here, or null. */
export const chromiumMissing: string | null =
  found === null ? "chromium is not installed (apt-get install -y chromium)" : null;

if (chromiumMissing !== null) {
  if (process.env.CI === "true")
    throw new Error(`the explorer's browser tests must run in CI, but ${chromiumMissing}`);
  console.warn(`skipping the explorer's browser tests: ${chromiumMissing}`);
}

export function chromiumPath(): string {
  if (found === null) throw new Error(chromiumMissing ?? "no chromium");
  return found;
}
