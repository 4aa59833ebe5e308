/**
 * The commands of `strata`. Each has a usage line, a summary and a handler; `--help` prints them.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Command,
  type EventEnvelope,
  parseCommand,
  parseEvent,
  StrataError,
  shortId,
} from "@strata/core";
import {
  type EngineMoment,
  type EngineStorage,
  isPostgresUrl,
  openStorage,
  ReplicatedBlobStore,
} from "@strata/engine";
import { type BlobStore, blobsNamedBy } from "@strata/fs";
import {
  exportImages,
  exportImagesArchive,
  importImage,
  importImageArchive,
  OciError,
  type Progress,
} from "@strata/oci";
import {
  FileEventLog,
  LogNotFoundError,
  type RepairReport,
  repairFileLog,
  type StoredEvent,
  type TornTail,
} from "@strata/store";
import { UsageError } from "./args.js";
import { type CommandSpec, type Context, OpenFailure } from "./CommandSpec.js";
import { serveCommand } from "./serve.js";
import { uiCommand } from "./ui.js";
import { commitVerb } from "./verbs/commit.js";
import { containerPruneVerb } from "./verbs/containerPrune.js";
import {
  killVerb,
  pauseVerb,
  restartVerb,
  rmVerb,
  startVerb,
  stopVerb,
  unpauseVerb,
} from "./verbs/containerVerbs.js";
import { cpVerb } from "./verbs/cp.js";
import { createVerb } from "./verbs/create.js";
import { diffVerb } from "./verbs/diff.js";
import { eventsVerb } from "./verbs/events.js";
import { execVerb } from "./verbs/exec.js";
import { historyVerb } from "./verbs/history.js";
import { imagePruneVerb } from "./verbs/imagePrune.js";
import { imagesVerb } from "./verbs/images.js";
import { importVerb } from "./verbs/import.js";
import { infoVerb } from "./verbs/info.js";
import { inspectVerb } from "./verbs/inspect.js";
import { loadVerb } from "./verbs/load.js";
import { psVerb } from "./verbs/ps.js";
import { renameVerb } from "./verbs/rename.js";
import { rmiVerb } from "./verbs/rmi.js";
import { runVerb } from "./verbs/run.js";
import { saveVerb } from "./verbs/save.js";
import { tagVerb } from "./verbs/tag.js";
import { versionVerb } from "./verbs/version.js";
import { waitVerb } from "./verbs/wait.js";

/** `REF@SEQ` → the reference and the position (undefined: now). */
function refAt(ref: string): { ref: string; at?: number } {
  const m = /^(.*)@(\d+)$/.exec(ref);
  return m ? { ref: m[1] as string, at: Number(m[2]) } : { ref };
}

/** The engine's states at `at` (a seq), or now. */
async function momentOf(ctx: Context, at: number | undefined): Promise<EngineMoment> {
  const engine = await ctx.engine();
  return at === undefined ? engine.now() : engine.at(at);
}

const describe = (e: EventEnvelope) => {
  const data = JSON.stringify(e.data);
  return `#${e.seq} ${e.type} ${e.streamId.replace(/^sha256:/, "").slice(0, 12)}${data === "{}" ? "" : ` ${data.length > 100 ? `${data.slice(0, 97)}...` : data}`}`;
};

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "demo",
    group: "strata",
    usage: "strata demo",
    flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
    summary:
      "Build an image from layers, run a container, change files, commit and export it (leaves the log on disk)",
    run: async (ctx) => {
      const { runDemo } = await import("./demo.js");
      return runDemo(await ctx.engine(), ctx.location, ctx.out);
    },
  },
  {
    name: "apply",
    group: "strata",
    usage: "strata apply FILE|-",
    args: { min: 1, max: 1 },
    flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
    summary:
      "Apply a file of commands, one JSON object a line (see docs/commands.md), each stored before it is reported; a failing line changes nothing",
    run: async (ctx) => {
      const [file] = ctx.args;
      let bytes: Buffer;
      try {
        bytes = file === "-" ? await readStream(ctx.stdin) : readFileSync(file as string);
      } catch (e) {
        throw new UsageError(
          `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      const engine = await ctx.engine();
      let failed = 0;
      const results: unknown[] = [];
      // Each line is appended (durably) before it is reported: a run killed half way has reported only
      // what is in the log.
      const report = (line: string, error: boolean) => {
        if (ctx.out.json) return;
        if (error) ctx.out.error(line);
        else ctx.out.line(line);
      };
      for (const [i, text] of scriptLines(bytes).entries()) {
        const n = i + 1;
        if (text === null) {
          failed++;
          const message = `line ${n}: not valid UTF-8 (names and text are kept byte for byte, never replaced): send other bytes as base64`;
          results.push({ line: n, ok: false, error: { message } });
          report(message, true);
          continue;
        }
        if (text.trim() === "" || text.trim().startsWith("#")) continue;
        let command: Command;
        try {
          command = parseCommand(JSON.parse(text), `line ${n}`);
        } catch (e) {
          failed++;
          const message =
            e instanceof SyntaxError ? `line ${n}: not JSON: ${e.message}` : (e as Error).message;
          results.push({ line: n, ok: false, error: { message } });
          report(message, true);
          continue;
        }
        const r = await engine.execute(command);
        if (r.ok) {
          results.push({ line: n, ok: true, events: r.events.map((e) => e.seq) });
          report(
            `line ${n}: ${command.type}: ${r.events.length} event(s)${r.events.length ? ` #${r.events[0]?.seq}..#${r.events.at(-1)?.seq}` : ""}`,
            false,
          );
        } else {
          failed++;
          results.push({ line: n, ok: false, error: r.error.toJSON(), events: r.events.map((e) => e.seq) });
          report(`line ${n}: ${command.type}: ${refusal(r.error)}`, true);
        }
      }
      if (ctx.out.json) ctx.out.data(results);
      return failed > 0 ? 1 : 0;
    },
  },
  {
    name: "log events",
    group: "log",
    usage: "strata log events [--since SEQ] [--follow [--until SEQ]]",
    summary:
      "List the events of the log; --follow keeps printing new ones as another strata appends them (until SEQ, or Ctrl-C)",
    flags: {
      format: { type: "string", values: ["json"], help: 'Print JSON ("json")' },
      follow: { type: "boolean", short: "f" },
      since: { type: "string" },
      until: { type: "string" },
    },
    readOnly: true,
    run: async (ctx) => {
      const since = seqFlag(ctx, "since") ?? 1;
      const until = seqFlag(ctx, "until");
      if (ctx.flags.get("follow") !== true) {
        if (until !== undefined) throw new UsageError("--until goes with --follow");
        const engine = await ctx.engine();
        const events = (await engine.log.read(since)).map((e) => parseEvent(e, `seq ${e.seq}`));
        if (ctx.out.json) ctx.out.data(events);
        else for (const e of events) ctx.out.line(describe(e));
        return 0;
      }
      return followEvents(ctx, since, until);
    },
  },
  {
    name: "graph",
    args: { min: 1, max: 1 },
    group: "log",
    readOnly: true,
    usage: "strata graph REF[@SEQ] [-o FILE] [--format svg|mermaid]",
    flags: {
      output: { type: "string", short: "o", help: "Write to this file" },
      format: { type: "string", values: ["svg", "mermaid"], help: '"svg" (default) or "mermaid"' },
    },
    summary:
      "Draw the layer stack (whiteouts and opaque directories marked) and, for a container, its lifecycle state",
    run: async (ctx) => {
      const [target] = ctx.args;
      const { ref, at } = refAt(target as string);
      const states = await momentOf(ctx, at);
      const { findContainer, findImage } = await import("@strata/core");
      const { stackOf, toMermaid, toSvg } = await import("./graph.js");
      const container = findContainer(states.core, ref);
      const image = container ? undefined : findImage(states.core, ref);
      if (!container && !image) {
        ctx.out.error(`Error response from daemon: No such container or image: ${ref}`);
        return 1;
      }
      const { layers, status } = stackOf(
        states.core,
        states.projection,
        container
          ? { imageId: container.context.imageId, containerId: container.context.id }
          : { imageId: image?.image.id as string },
      );
      const title = container
        ? `container ${container.context.name}${at === undefined ? "" : ` @${at}`}`
        : `image ${ref}${at === undefined ? "" : ` @${at}`}`;
      const format = ctx.flags.get("format") === "mermaid" ? "mermaid" : "svg";
      const text = format === "mermaid" ? toMermaid(title, layers, status) : toSvg(title, layers, status);
      const file = ctx.flags.get("output");
      if (typeof file === "string") {
        const { writeFileSync } = await import("node:fs");
        writeFileSync(file, text);
        ctx.out.line(file);
      } else process.stdout.write(text);
      return 0;
    },
  },
  {
    name: "ls",
    args: { min: 1, max: 2 },
    group: "log",
    readOnly: true,
    usage: "strata ls REF[@SEQ] [PATH]",
    flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
    summary: "List a directory of an image or container (as it was at SEQ); a file lists itself",
    run: async (ctx) => {
      const [target, path = "/"] = ctx.args;
      const { ref, at } = refAt(target as string);
      const view = (await momentOf(ctx, at)).view(ref);
      // Like ls(1): a directory (or a link to one) lists its entries; anything else lists itself.
      const rows =
        view.stat(path).type === "dir"
          ? view.readdir(path).map((n) => ({ name: n, ...view.stat(`${path}/${n}`, { follow: false }) }))
          : [{ name: path, ...view.stat(path, { follow: false }) }];
      if (ctx.out.json) ctx.out.data(rows);
      else
        ctx.out.table(
          ["MODE", "UID", "GID", "SIZE", "NAME"],
          rows.map((r) => [
            `${typeLetter(r.type)}${r.mode.toString(8).padStart(4, "0")}`,
            String(r.uid),
            String(r.gid),
            r.major !== undefined ? `${r.major}, ${r.minor}` : String(r.size),
            r.type === "symlink" ? `${r.name} -> ${r.target}` : r.name,
          ]),
        );
      return 0;
    },
  },
  {
    name: "tree",
    args: { min: 1, max: 2 },
    group: "log",
    readOnly: true,
    usage: "strata tree REF[@SEQ] [PATH]",
    flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
    summary: "Walk the union view under PATH",
    run: async (ctx) => {
      const [target, path = "/"] = ctx.args;
      const { ref, at } = refAt(target as string);
      const entries = [...(await momentOf(ctx, at)).view(ref).walk(path)];
      if (ctx.out.json) ctx.out.data(entries);
      else
        for (const e of entries)
          ctx.out.line(
            `${typeLetter(e.type)} ${e.path}${e.type === "symlink" ? ` -> ${e.target}` : ""}  [${e.layer}]`,
          );
      return 0;
    },
  },
  {
    name: "cat",
    args: { min: 2, max: 2 },
    group: "log",
    readOnly: true,
    usage: "strata cat REF[@SEQ] PATH",
    flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
    summary: "Print a file of an image or container",
    run: async (ctx) => {
      const [target, path] = ctx.args;
      const { ref, at } = refAt(target as string);
      const engine = await ctx.engine();
      process.stdout.write(await engine.readFile(ref, path as string, at === undefined ? {} : { at }));
      return 0;
    },
  },
  {
    name: "oci export",
    args: { min: 2 },
    group: "strata",
    readOnly: true,
    usage:
      "strata oci export REF [REF...] DIR|FILE.tar [--compression gzip|none] [--format oci|docker] [--platforms REF,...]",
    flags: {
      compression: { type: "string", values: ["gzip", "none"] },
      format: { type: "string", values: ["oci", "docker"] },
      platforms: { type: "string" },
    },
    summary:
      "Write images (or a container, as if committed) as an OCI layout directory or archive (docker: as docker save writes it)",
    run: async (ctx) => {
      const args = [...ctx.args];
      const target = args.pop() as string;
      const engine = await ctx.engine();
      const compression = ctx.flags.get("compression");
      const platforms = ctx.flags.get("platforms");
      const options = {
        ...(compression === "none" || compression === "gzip"
          ? { compression: compression as "none" | "gzip" }
          : {}),
        format: ctx.flags.get("format") === "docker" ? "docker" : "oci",
        ...(typeof platforms === "string" ? { platforms: platforms.split(",").filter(Boolean) } : {}),
        onProgress: (p: Progress) =>
          ctx.progress.update(`exporting ${args.join(" ")}`, p.done, p.total, p.unit),
      } as const;
      const results = target.endsWith(".tar")
        ? await exportImagesArchive(engine, args, target, options)
        : await exportImages(engine, args, target, options);
      ctx.progress.done();
      if (ctx.out.json) ctx.out.data(results.length === 1 ? results[0] : results);
      else
        for (const result of results)
          ctx.out.line(`${result.manifest.digest} (${result.layers.length} layers) -> ${target}`);
      return 0;
    },
  },
  {
    name: "oci import",
    args: { min: 1, max: 1 },
    group: "strata",
    usage:
      "strata oci import DIR|FILE.tar [--tag REPOSITORY:TAG] [--ref NAME] [--platform OS/ARCH[/VARIANT]]",
    flags: {
      format: { type: "string", values: ["json"], help: 'Print JSON ("json")' },
      tag: { type: "string" },
      ref: { type: "string" },
      platform: { type: "string" },
    },
    summary:
      "Import the images of an OCI layout (directory or tar) or a docker save archive (of several platforms: the host's, or --platform)",
    run: async (ctx) => {
      const [source] = ctx.args;
      const engine = await ctx.engine();
      const tag = ctx.flags.get("tag");
      const ref = ctx.flags.get("ref");
      const platform = ctx.flags.get("platform");
      const options = {
        ...(typeof tag === "string" ? { tag } : {}),
        ...(typeof ref === "string" ? { ref } : {}),
        ...(typeof platform === "string" ? { platform } : {}),
        onProgress: (p: Progress) => ctx.progress.update(`importing ${source}`, p.done, p.total, p.unit),
      };
      const result = (source as string).endsWith(".tar")
        ? await importImageArchive(engine, source as string, options)
        : await importImage(engine, source as string, options);
      ctx.progress.done();
      if (ctx.out.json) ctx.out.data(result);
      else for (const image of result.images) ctx.out.line(image.imageId);
      return 0;
    },
  },
  {
    name: "replay",
    group: "log",
    readOnly: true,
    usage: "strata replay [LOG] [--at SEQ]",
    flags: {
      format: { type: "string", values: ["json"], help: 'Print JSON ("json")' },
      at: { type: "string" },
    },
    summary:
      "Rebuild the state from a log directory (default: --log) and summarise it; at SEQ: as it was right after event SEQ",
    run: async (ctx) => {
      if (ctx.args.length > 1)
        throw new UsageError('"strata replay" takes at most 1 argument: the log directory');
      const dir = ctx.args[0];
      if (dir !== undefined && !isPostgresUrl(dir) && !existsSync(join(dir, "events")))
        throw new UsageError(`${dir} holds no strata log (no events/ directory)`);
      const engine = await ctx.engine(dir);
      const at = seqFlag(ctx, "at");
      const state = at === undefined ? engine.state : (await engine.at(at)).core;
      const summary = {
        seq: state.seq,
        containers: Object.values(state.containers).map((c) => ({ name: c.context.name, status: c.status })),
        images: Object.values(state.images)
          .filter((i) => i.status === "present")
          .map((i) => ({ id: i.id, tags: i.tags })),
      };
      if (ctx.out.json) ctx.out.data(summary);
      else {
        ctx.out.line(`state after seq ${summary.seq}:`);
        for (const c of summary.containers) ctx.out.line(`  container ${c.name}: ${c.status}`);
        for (const i of summary.images) ctx.out.line(`  image ${shortId(i.id)} ${i.tags.join(", ")}`);
      }
      return 0;
    },
  },
  {
    name: "log verify",
    group: "log",
    usage: "strata log verify",
    summary:
      "Check every record of the log (checksums, order, hash chain) and every blob it names, writing nothing",
    args: { max: 0 },
    readOnly: true,
    flags: { format: { type: "string", values: ["json"], help: 'Print the report as JSON ("json")' } },
    run: verifyLog,
  },
  {
    name: "log repair",
    group: "log",
    usage: "strata log repair",
    summary: "Cut a damaged log before the damage, moving the rest aside (into damaged/)",
    args: { max: 0 },
    readOnly: true,
    flags: { format: { type: "string", values: ["json"], help: 'Print the report as JSON ("json")' } },
    run: repairLog,
  },
  serveCommand,
  uiCommand,
  runVerb,
  createVerb,
  startVerb,
  stopVerb,
  restartVerb,
  killVerb,
  pauseVerb,
  unpauseVerb,
  rmVerb,
  renameVerb,
  waitVerb,
  diffVerb,
  commitVerb,
  containerPruneVerb,
  execVerb,
  cpVerb,
  tagVerb,
  rmiVerb,
  saveVerb,
  loadVerb,
  importVerb,
  imagePruneVerb,
  psVerb,
  imagesVerb,
  inspectVerb,
  historyVerb,
  eventsVerb,
  versionVerb,
  infoVerb,
];

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
    // Every event must parse, and every blob it names must be there with its bytes intact.
    const problems: { seq: number; digest: string; problem: string }[] = [];
    const checked = new Set<string>();
    for (let from = 1; from <= report.events; from += 10_000) {
      for (const e of await storage.log.read(from, Math.min(10_000, report.events - from + 1))) {
        try {
          parseEvent(e, `seq ${e.seq}`);
        } catch (error) {
          throw new OpenFailure(error);
        }
        for (const digest of blobsNamedBy(e)) {
          if (checked.has(digest)) continue;
          checked.add(digest);
          const problem = await blobProblem(storage.blobs, digest);
          if (problem) problems.push({ seq: e.seq, digest, problem });
        }
      }
    }
    const result = { ...report, blobs: checked.size, problems };
    if (ctx.out.json) ctx.out.data(result);
    else {
      for (const p of problems.slice(0, 50))
        ctx.out.error(
          `seq ${p.seq}: content ${p.digest}: ${p.problem === "missing" ? "missing from the blob store" : p.problem}`,
        );
      if (problems.length > 50) ctx.out.error(`... and ${problems.length - 50} more`);
      ctx.out.line(
        `${problems.length ? "damaged" : "ok"}: ${report.events} events${report.headHash ? `, head ${report.headHash}` : ""}, ${checked.size} blobs checked${problems.length ? `, ${problems.length} missing or changed` : ""}`,
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

/** `log repair`: cuts a damaged log before its first damage, moving the rest aside (never deleted). */
async function repairLog(ctx: Context): Promise<number> {
  const dir = ctx.location;
  if (isPostgresUrl(dir))
    throw new UsageError("log repair works on a file log; PostgreSQL keeps the integrity of its own tables");
  if (!existsSync(dir)) throw new OpenFailure(new LogNotFoundError(dir, "there is no strata log here"));
  let report: RepairReport;
  try {
    report = await repairFileLog(join(dir, "events"));
  } catch (e) {
    throw new OpenFailure(e);
  }
  if (ctx.out.json) ctx.out.data(report);
  else {
    if (report.damage) ctx.out.line(`damage: ${report.damage.problem}`);
    for (const m of report.movedAside)
      ctx.out.line(
        `moved aside: ${m.file}${m.offset ? ` from byte ${m.offset}` : ""} (${m.bytes} bytes) -> ${m.savedAs}`,
      );
    if (report.tornTail)
      ctx.out.line(
        `cut an unfinished batch: ${report.tornTail.bytes} bytes at the end of ${report.tornTail.file} (offset ${report.tornTail.offset})`,
      );
    ctx.out.line(
      `${report.damage || report.tornTail ? "repaired" : "nothing to repair"}: the log holds ${report.events} events`,
    );
  }
  return 0;
}

/** Everything `stream` gives until it ends. */
async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** The lines of a script, each decoded as UTF-8; null for a line that is not valid UTF-8. */
function scriptLines(bytes: Buffer): (string | null)[] {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const lines: (string | null)[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      lines.push(decoder.decode(bytes.subarray(start, end)));
    } catch {
      lines.push(null);
    }
    start = end + 1;
  }
  return lines;
}

function seqFlag(ctx: Context, name: string): number | undefined {
  const v = ctx.flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^\d+$/.test(v))
    throw new UsageError(`--${name} takes a seq (a whole number)`);
  return Number(v);
}

/**
 * `events --follow`: prints the events from `since` on as they are appended (one JSON object a line with
 * `--format json`), until event `until` is printed or the process is interrupted.
 */
async function followEvents(ctx: Context, since: number, until: number | undefined): Promise<number> {
  let storage: EngineStorage;
  try {
    storage = await openStorage(ctx.location, { readOnly: true });
  } catch (e) {
    throw new OpenFailure(e);
  }
  const reader = storage.log;
  let failure: unknown = null;
  let stopped = false;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  const finish = () => {
    stopped = true;
    resolveFinished();
  };
  const handler = (batch: readonly StoredEvent[]) => {
    for (const e of batch) {
      if (stopped) return;
      const event = parseEvent(e, `seq ${e.seq}`);
      ctx.out.line(ctx.out.json ? JSON.stringify(event) : describe(event));
      if (e.seq === until) finish();
    }
  };
  const onError = (e: unknown) => {
    failure = e;
    finish();
  };
  const subscription =
    reader instanceof FileEventLog
      ? reader.subscribe(since, handler, onError)
      : reader.subscribe(since, handler);
  const stop = () => finish();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await finished;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await subscription.close();
    await reader.close();
  }
  if (failure) throw failure;
  return 0;
}

/**
 * A failed command's error on one line: the engine's refusals as Docker says them ("Error response from
 * daemon: ..."), a storage failure (content that cannot be stored or served) and a refused image file
 * (no daemon answers those: the CLI read the file itself) as a plain error.
 */
export function refusal(e: StrataError): string {
  const plain = (e.code === "System" && e.reason.startsWith("blob-")) || e instanceof OciError;
  return `${plain ? "Error" : "Error response from daemon"}: ${e.message}`;
}

/** ls(1)'s letter for a type: d, l, c, b, p, or - for a file. */
function typeLetter(type: string): string {
  return (
    (
      { dir: "d", symlink: "l", "char-device": "c", "block-device": "b", fifo: "p" } as Record<string, string>
    )[type] ?? "-"
  );
}

export function isStrataError(e: unknown): e is StrataError {
  return e instanceof StrataError;
}

export const DEFAULT_LOG_DIR = ".strata";
export const logDir = (flags: ReadonlyMap<string, string | true>) => {
  const f = flags.get("log");
  return typeof f === "string" ? f : (process.env.STRATA_LOG ?? DEFAULT_LOG_DIR);
};
export { join };
