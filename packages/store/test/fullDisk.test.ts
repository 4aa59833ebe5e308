/**
 * The file log on a full disk: a small tmpfs (root only) that fills up in the middle of a run. Every
 * append that resolved is on disk after reopening, the one that ran out of space fails with a
 * `StorageError` naming ENOSPC and leaves nothing behind, and the log goes on once there is room.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileEventLog, type NewStoredEvent, StorageError } from "@strata/store";
import { afterEach, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-full-");
const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0)) execFileSync("umount", [dir]);
});

function canMount(): string | null {
  if (process.getuid?.() !== 0) return "not root";
  try {
    const dir = tmp();
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir]);
    return null;
  } catch (e) {
    return `cannot mount a tmpfs: ${(e as Error).message}`;
  }
}

const why = canMount();
if (why !== null) {
  if (process.env.CI === "true") throw new Error(`the full-disk tests must run under CI: ${why}`);
  console.warn(`skipping the full-disk tests: ${why}`);
}

/** A fresh tmpfs of `size` (e.g. "256k"), unmounted after the test. */
function smallDisk(size: string): string {
  const dir = tmp();
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  mounted.push(dir);
  return dir;
}

const ev = (n: number, pad: number): NewStoredEvent => ({
  streamId: `s${n % 4}`,
  type: "t",
  schemaVersion: 1,
  recordedAt: n,
  data: { n, pad: "p".repeat(pad) },
});

describe.skipIf(why !== null)("a full disk", () => {
  test("appends until the disk is full: every acknowledged event stays, the failed append is named and leaves nothing; with room again the log goes on", async () => {
    const disk = smallDisk("256k");
    const dir = join(disk, "log");
    const log = await FileEventLog.open(dir);
    const acked: number[] = [];
    let failure: unknown = null;
    for (let n = 0; n < 10_000 && failure === null; n++) {
      try {
        // Batches of a few events, some several KiB: the write that hits the limit is cut short.
        const r = await log.append([ev(n, (n * 811) % 9000), ev(n, 10)]);
        acked.push(r.lastSeq);
      } catch (e) {
        failure = e;
      }
    }
    expect(failure).toBeInstanceOf(StorageError);
    expect(failure).toMatchObject({ errno: "ENOSPC" });
    expect((failure as Error).message).toMatch(/no space left on the device \(ENOSPC\)/);
    expect(acked.length).toBeGreaterThan(5);
    const last = acked.at(-1) as number;
    expect(await log.lastSeq()).toBe(last);
    await log.close();

    // Reopen: exactly the acknowledged events, nothing cut, nothing more.
    const again = await FileEventLog.open(dir);
    expect(again.openReport.truncated).toBeNull();
    expect(await again.lastSeq()).toBe(last);
    await again.verify();
    // Still full: the next append fails the same way and changes nothing.
    await expect(again.append([ev(1, 20_000)])).rejects.toMatchObject({ errno: "ENOSPC" });
    expect(await again.lastSeq()).toBe(last);
    // Room again: the log goes on from where it was.
    execFileSync("mount", ["-o", "remount,size=2m", disk]);
    const r = await again.append([ev(2, 20_000)]);
    expect(r.firstSeq).toBe(last + 1);
    await again.close();
    const third = await FileEventLog.open(dir);
    expect(await third.lastSeq()).toBe(last + 1);
    await third.close();
  });

  test("on a disk with no space at all a reader still opens; a writer is refused by name when it opens, and no lock file is left behind", async () => {
    const disk = smallDisk("64k");
    const dir = join(disk, "log");
    const first = await FileEventLog.open(dir);
    await first.append([ev(1, 10)]);
    await first.close();
    // Fill the disk to the last byte.
    try {
      writeFileSync(join(disk, "filler"), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: the disk is full now
    }
    for (let i = 0; ; i++) {
      try {
        writeFileSync(join(disk, `f${i}`), "x");
      } catch {
        break;
      }
    }
    const reader = await FileEventLog.open(dir, { readOnly: true });
    expect(await reader.lastSeq()).toBe(1);
    await reader.close();
    const error = await FileEventLog.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ errno: "ENOSPC" });
    expect(readdirSync(dir).filter((f) => f.startsWith("LOCK"))).toEqual([]);
  });
});
