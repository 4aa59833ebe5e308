/**
 * docker/cli's `jsonmessage.DisplayJSONMessagesStream` off a terminal: the daemon's progress stream of
 * JSON objects, printed as lines (`stream` as it is, `status` with its id and progress); an `error` in
 * the stream ends the command with that message (exit 1), as docker does.
 */
import type { Readable } from "node:stream";
import { CommandError, type Context } from "../CommandSpec.js";

interface JsonMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly id?: string;
  readonly progress?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

export async function displayJsonMessages(stream: Readable, ctx: Context): Promise<void> {
  let buffered = "";
  let failure: string | undefined;
  const show = (line: string) => {
    if (line.trim() === "") return;
    const m = JSON.parse(line) as JsonMessage;
    if (m.errorDetail?.message !== undefined || m.error !== undefined) {
      failure ??= m.errorDetail?.message ?? m.error;
      return;
    }
    if (m.stream !== undefined) ctx.out.text(m.stream);
    else if (m.status !== undefined)
      ctx.out.line(`${m.id ? `${m.id}: ` : ""}${m.status}${m.progress ? ` ${m.progress}` : ""}`);
  };
  for await (const chunk of stream) {
    buffered += Buffer.from(chunk as Uint8Array).toString("utf8");
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      show(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
  }
  show(buffered);
  if (failure !== undefined) throw new CommandError(failure);
}
