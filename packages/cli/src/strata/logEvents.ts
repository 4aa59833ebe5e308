/**
 * `strata log events`: the events of the log; `--follow` prints new ones as they are appended.
 */
import { type EventEnvelope, parseEvent } from "@strata/core";
import { type EngineStorage, openStorage } from "@strata/engine";
import { FileEventLog, type StoredEvent } from "@strata/store";
import { UsageError } from "../args.js";
import { type CommandSpec, type Context, OpenFailure } from "../CommandSpec.js";
import { seqFlag } from "./seqFlag.js";

export const logEventsCommand: CommandSpec = {
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
};

const describe = (e: EventEnvelope) => {
  const data = JSON.stringify(e.data);
  return `#${e.seq} ${e.type} ${e.streamId.replace(/^sha256:/, "").slice(0, 12)}${data === "{}" ? "" : ` ${data.length > 100 ? `${data.slice(0, 97)}...` : data}`}`;
};

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
