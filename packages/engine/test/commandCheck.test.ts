/**
 * Whatever an application hands `execute`, the log stays one that opens again: a command the catalogue
 * does not allow (a uid of -2, a mode of 1.5, a string where a number goes, NaN) is refused before
 * deciding, with a ValidationError naming the field, and appends nothing; one it allows appends events
 * that replay. Found by an outside check: `fs.chown` with uid -2 was appended, and the log then failed
 * to open ("invalid event at seq 5").
 */
import { type Command, sequentialIds, simulatedClock, ValidationError } from "@strata/core";
import { DurableEngine } from "@strata/engine";
import { MemoryBlobStore } from "@strata/fs";
import { MemoryEventLog } from "@strata/store";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

const RUNS = Number(process.env.STRATA_COMMAND_CHECK_RUNS ?? 300);

/** Numbers and not-numbers: in range, out of range, fractions, NaN, infinities, strings, null. */
const anyNumber = fc.oneof(
  fc.integer({ min: -3, max: 70_000 }),
  fc.constantFrom(
    -1,
    -2,
    0o7777,
    0o170000,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53,
    1.5,
    Number.NaN,
    Infinity,
    -Infinity,
  ),
  fc.double(),
  fc.constantFrom("7", null, true, [] as unknown[]),
);

const path = fc.constantFrom("/f", "/d", "/d/g", "/l", "/nope", "");

const command: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant("fs.chown"), path, uid: anyNumber, gid: anyNumber }),
  fc.record({ type: fc.constant("fs.chmod"), path, mode: anyNumber }),
  fc.record({ type: fc.constant("fs.utimes"), path, mtime: anyNumber }),
  fc.record({ type: fc.constant("fs.mkdir"), path, mode: anyNumber }),
  fc.record({ type: fc.constant("fs.writeFile"), path, content: fc.string(), mode: anyNumber }),
  fc.record({ type: fc.constant("fs.truncate"), path, size: anyNumber }),
  fc.record({ type: fc.constant("container.stop"), timeout: anyNumber }),
  fc.record({ type: fc.constant("container.kill"), signal: fc.oneof(anyNumber, fc.string()) }),
);

async function engineOn(log: MemoryEventLog, blobs: MemoryBlobStore) {
  return DurableEngine.open({ log, blobs, clock: simulatedClock(), ids: sequentialIds("c"), timers: false });
}

describe("property: no command an engine is given leaves a log that cannot be opened", () => {
  test(`random commands with fields of every kind (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 8 }), async (commands) => {
        const log = new MemoryEventLog();
        const blobs = new MemoryBlobStore();
        const engine = await engineOn(log, blobs);
        const setup: Command[] = [
          { type: "image.create", layers: [], tags: ["base:1"], cmd: ["/bin/sh"] },
          { type: "container.create", image: "base:1", name: "box" },
          { type: "container.start", container: "box" },
          { type: "fs.writeFile", container: "box", path: "/f", content: "x" },
          { type: "fs.mkdir", container: "box", path: "/d" },
          { type: "fs.symlink", container: "box", path: "/l", target: "/f" },
        ];
        for (const c of setup) expect((await engine.execute(c)).ok).toBe(true);
        for (const c of commands) {
          const before = await log.lastSeq();
          const r = await engine.execute({ ...c, container: "box" } as unknown as Command);
          if (!r.ok && r.error instanceof ValidationError) {
            expect(await log.lastSeq()).toBe(before);
            expect(r.error.message).toMatch(/^invalid command at [\w.]+: /);
          }
        }
        // The log replays (each event checked against the catalogue), and to the same state.
        const copy = new MemoryEventLog();
        await copy.append((await log.read()).map(({ seq: _seq, ...e }) => e));
        const again = await engineOn(copy, blobs);
        expect(again.seq).toBe(await log.lastSeq());
        expect(again.state).toEqual(engine.state);
        await again.close();
        await engine.close();
      }),
      { numRuns: RUNS },
    );
  });

  test("the outside check's cases are refused by field, and nothing is appended", async () => {
    const log = new MemoryEventLog();
    const engine = await engineOn(log, new MemoryBlobStore());
    await engine.execute({ type: "image.create", layers: [], tags: ["base:1"], cmd: ["/bin/sh"] });
    await engine.execute({ type: "container.create", image: "base:1", name: "box" });
    await engine.execute({ type: "fs.writeFile", container: "box", path: "/f", content: "x" });
    const seq = await log.lastSeq();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ type: "fs.chown", path: "/f", uid: -2, gid: 0 }, /field uid .*-2/],
      [{ type: "fs.chown", path: "/f", uid: 0, gid: 1.5 }, /field gid/],
      [{ type: "fs.chmod", path: "/f", mode: -5 }, /field mode .*-5/],
      [{ type: "fs.chown", path: "/f", uid: 4294967296, gid: 0 }, /field uid/],
      [{ type: "fs.utimes", path: "/f", mtime: Number.NaN }, /field mtime/],
    ];
    for (const [c, message] of cases) {
      const r = await engine.execute({ ...c, container: "box" } as unknown as Command);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error).toBeInstanceOf(ValidationError);
      expect(r.error.message).toMatch(message);
    }
    expect(await log.lastSeq()).toBe(seq);
    await engine.close();
  });
});
