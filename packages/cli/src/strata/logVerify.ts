/**
 * `strata log verify`: checks every record of the log and every blob it names, writing nothing.
 */
import { parseEvent } from "@strata/core";
import { type EngineStorage, openStorage, ReplicatedBlobStore } from "@strata/engine";
import { type BlobStore, blobsNamedBy, InlineContentError, inlineContent } from "@strata/fs";
import { FileEventLog, type TornTail } from "@strata/store";
import { type CommandSpec, type Context, OpenFailure } from "../CommandSpec.js";

export const logVerifyCommand: CommandSpec = {
  name: "log verify",
  group: "log",
  usage: "strata log verify",
  summary:
    "Check every record of the log (checksums, order, hash chain) and every blob it names, writing nothing",
  args: { max: 0 },
  readOnly: true,
  flags: { format: { type: "string", values: ["json"], help: 'Print the report as JSON ("json")' } },
  run: verifyLog,
};

/**
 * `log verify`: checks the log and every blob it names, writing nothing (no lock: it runs beside
 * writers). A file log is checked record by record (checksums, order, hash chain); a PostgreSQL log's
 * events are parsed and its blobs read back and checked against their digests.
 */
async function verifyLog(ctx: Context): Promise<number> {
  let storage: EngineStorage;
  let report: { events: number; headHash: string | null; tail: TornTail | null };
  try {
    storage = await openStorage(ctx.location, { readOnly: true });
  } catch (e) {
    throw new OpenFailure(e);
  }
  try {
    try {
      report =
        storage.log instanceof FileEventLog
          ? await storage.log.verify()
          : { events: await storage.log.lastSeq(), headHash: null, tail: null };
    } catch (e) {
      throw new OpenFailure(e);
    }
    // Every event must parse, every content it carries inline must be the one it names, and every
    // blob it names and does not carry must be there with its bytes intact.
    const problems: { seq: number; digest: string; problem: string }[] = [];
    const checked = new Set<string>();
    let inline = 0;
    for (let from = 1; from <= report.events; from += 10_000) {
      for (const e of await storage.log.read(from, Math.min(10_000, report.events - from + 1))) {
        try {
          parseEvent(e, `seq ${e.seq}`);
        } catch (error) {
          throw new OpenFailure(error);
        }
        try {
          if (inlineContent(e) !== undefined) inline += 1;
        } catch (error) {
          if (!(error instanceof InlineContentError)) throw error;
          problems.push({ seq: e.seq, digest: error.digest, problem: `carried inline, but ${error.detail}` });
        }
        for (const digest of blobsNamedBy(e)) {
          if (checked.has(digest)) continue;
          checked.add(digest);
          const problem = await blobProblem(storage.blobs, digest);
          if (problem) problems.push({ seq: e.seq, digest, problem });
        }
      }
    }
    const result = { ...report, blobs: checked.size, inlineContents: inline, problems };
    if (ctx.out.json) ctx.out.data(result);
    else {
      for (const p of problems.slice(0, 50))
        ctx.out.error(
          `seq ${p.seq}: content ${p.digest}: ${p.problem === "missing" ? "missing from the blob store" : p.problem}`,
        );
      if (problems.length > 50) ctx.out.error(`... and ${problems.length - 50} more`);
      ctx.out.line(
        `${problems.length ? "damaged" : "ok"}: ${report.events} events${report.headHash ? `, head ${report.headHash}` : ""}, ${checked.size} blobs checked, ${inline} inline contents checked${problems.length ? `, ${problems.length} missing or changed` : ""}`,
      );
      if (report.tail)
        ctx.out.line(
          `note: ${report.tail.bytes} bytes at the end of ${report.tail.file} (offset ${report.tail.offset}) are an unfinished batch, left by a crash or a write in progress; it was never reported as done, and the next command that writes cuts it`,
        );
    }
    return problems.length ? 1 : 0;
  } finally {
    await storage.log.close();
  }
}

/** What is wrong with blob `digest` where the log keeps its blobs ("missing", or the error), or null. */
async function blobProblem(blobs: BlobStore, digest: string): Promise<string | null> {
  try {
    if (blobs instanceof ReplicatedBlobStore)
      return (await blobs.remote.get(digest)) === undefined ? "missing" : null;
    const stream = blobs.openStream?.(digest);
    if (stream) {
      for await (const _ of stream);
      return null;
    }
    return blobs.get(digest) === undefined ? "missing" : null;
  } catch (error) {
    return (error as Error).message;
  }
}
