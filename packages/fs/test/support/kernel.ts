/**
 * Access to the kernel oracle: a long-lived python harness (kernel/overlay_harness.py) that mounts a
 * real overlayfs per scenario. Available only as root where `mount -t overlay` works.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { GenEntry, GenOp } from "./generators.js";
import type { Listed } from "./model.js";

const HARNESS = new URL("../kernel/overlay_harness.py", import.meta.url).pathname;

/** Why the kernel oracle cannot run here, or null when it can. */
export function kernelUnavailable(): string | null {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root (mount needs it)";
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
  } catch {
    return "python3 is missing";
  }
  const dir = mkdtempSync(join(tmpdir(), "strata-ovl-probe-"));
  try {
    for (const d of ["l1", "l2", "u", "w", "m"]) mkdirSync(join(dir, d));
    execFileSync("mount", ["-t", "overlay", "overlay", "-o", "lowerdir=l2:l1,upperdir=u,workdir=w", "m"], {
      cwd: dir,
      stdio: "pipe",
    });
    execFileSync("umount", [join(dir, "m")]);
    return null;
  } catch (e) {
    return `mount -t overlay failed: ${(e as Error).message.split("\n")[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface KernelResult {
  results: (string | null)[];
  merged: Listed[];
  upper: Listed[];
  crash?: string;
}

/** A running harness: send scenarios, get results, in order. */
export class KernelOracle {
  readonly #child;
  readonly #lines: AsyncIterator<string>;
  readonly #scratch: string;

  constructor() {
    // tmpfs scratch: fast, and nothing is left on disk; noatime, so that reading a listing moves no atime.
    this.#scratch = mkdtempSync(join(tmpdir(), "strata-ovl-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256m,noatime", "tmpfs", this.#scratch]);
    this.#child = spawn("python3", [HARNESS, this.#scratch], { stdio: ["pipe", "pipe", "inherit"] });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async run(layers: readonly GenEntry[][], ops: readonly GenOp[]): Promise<KernelResult> {
    const scenario = {
      layers: layers.map((entries) =>
        entries.map((e) =>
          e.type === "file"
            ? { ...e, content: undefined, data: Buffer.from(e.content).toString("base64") }
            : e,
        ),
      ),
      ops: ops.map((op) => {
        if (op.op === "write") return { ...op, data: Buffer.from(op.content).toString("base64") };
        // chown's -1 is (uid_t)-1 to the kernel.
        return op;
      }),
    };
    this.#child.stdin.write(`${JSON.stringify(scenario)}\n`);
    const next = await this.#lines.next();
    if (next.done) throw new Error("the kernel harness exited");
    return JSON.parse(next.value) as KernelResult;
  }

  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
    try {
      execFileSync("umount", [this.#scratch]);
    } catch {
      // already gone
    }
    rmSync(this.#scratch, { recursive: true, force: true });
  }
}
