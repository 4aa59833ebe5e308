/**
 * Where Debian's chromium is (playwright-core drives it; no browser is downloaded). A missing browser
 * is an error that says how to install it, never a skipped test.
 */
import { execFileSync } from "node:child_process";

export function chromiumPath(): string {
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const path = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
      if (path) return path;
    } catch {
      // not this name
    }
  }
  throw new Error("the explorer's browser tests need chromium: apt-get install -y chromium");
}
