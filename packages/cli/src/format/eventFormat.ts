/**
 * `docker events` output: docker's default line ("2026-01-01T00:00:00.000000000Z container start ID
 * (image=alpine, name=web)") or `--format` over the events.Message value (`{{json .}}` gives its JSON with
 * docker's keys: status, id, from, Type, Action, Actor, scope, time, timeNano). A format is checked on an
 * empty message first, as docker does (exit 64 "Error parsing format: …").
 * Pass the event as the daemon's JSON text to keep timeNano exact (a JS number cannot hold it). Pure.
 * Rules: docker/cli cli/command/system/events.go (v28.2.2).
 */
import type { FormattedOutput } from "./containerFormat.js";
import { FormatError } from "./FormatError.js";
import { parseDockerTemplate } from "./formatWrite.js";
import { type GoTemplate, TemplateExecError } from "./GoTemplate.js";
import { type GoValue, ptrTo } from "./GoType.js";
import { fieldByIndex, fieldByName, goPtr, sortedEntries, zeroValue } from "./GoValue.js";
import { goJsonUnmarshal } from "./goJsonDecode.js";
import { fromGoString, toGoString } from "./goString.js";
import { formatRfc3339NanoFixed, utcTime } from "./goTime.js";
import { moby } from "./mobyModel.js";
import { parseRawJson } from "./rawJson.js";

/** An event as the daemon sends it: its JSON text (exact), or parsed. */
export type ApiEvent = string | Readonly<Record<string, unknown>>;

const MESSAGE = moby.named("events.Message");

function decodeEvent(event: ApiEvent): GoValue {
  const text = typeof event === "string" ? event : JSON.stringify(event);
  return goJsonUnmarshal(parseRawJson(toGoString(text)), MESSAGE);
}

function field(v: GoValue, name: string): GoValue {
  const f = fieldByName(v.t, name);
  if (!f) throw new Error(`events.Message has no ${name}`);
  return fieldByIndex(v, f.path);
}

/** docker's prettyPrintEvent (a byte string). */
function prettyLine(msg: GoValue): string {
  let out = "";
  const timeNano = field(msg, "TimeNano").v as bigint;
  const time = field(msg, "Time").v as bigint;
  if (timeNano !== 0n) out += `${formatRfc3339NanoFixed(utcTime(timeNano))} `;
  else if (time !== 0n) out += `${formatRfc3339NanoFixed(utcTime(time * 1_000_000_000n))} `;
  const actor = field(msg, "Actor");
  out += `${field(msg, "Type").v} ${field(msg, "Action").v} ${field(actor, "ID").v}`;
  const attrs = sortedEntries(field(actor, "Attributes")).map(([k, v]) => `${k.v}=${v.v}`);
  if (attrs.length > 0) out += ` (${attrs.join(", ")})`;
  return `${out}\n`;
}

/** Formats events one at a time, as `docker events` prints them. */
export interface EventFormatter {
  /**
   * The output for one event. With a format that fails on it, `error` is set (docker prints what was
   * written, a newline, then the error, and stops with status 1).
   */
  format(event: ApiEvent): FormattedOutput & { readonly error?: FormatError };
}

/**
 * Prepares `docker events --format F` (absent or empty: the default line; "json": `{{json .}}`).
 * @throws FormatError exit 64 "Error parsing format: …" for a format that does not parse or fails on an
 * empty event.
 */
export function eventFormatter(format?: string): EventFormatter {
  if (!format) {
    return { format: (event) => ({ stdout: fromGoString(prettyLine(decodeEvent(event))), stderr: "" }) };
  }
  const text = format === "json" ? "{{json .}}" : format;
  let tmpl: GoTemplate;
  try {
    tmpl = parseDockerTemplate(text, "Error parsing format", 64);
    tmpl.executeBytes(goPtr(zeroValue(MESSAGE), ptrTo(MESSAGE)));
  } catch (e) {
    if (e instanceof TemplateExecError)
      throw new FormatError("FORMAT_TEMPLATE_EXEC", `Error parsing format: ${e.message}`, 64);
    if (e instanceof FormatError) {
      throw new FormatError(
        e.code,
        e.message.replace(/^Error parsing format: /, "Error parsing format: "),
        64,
      );
    }
    throw e;
  }
  return {
    format: (event) => {
      const msg = decodeEvent(event);
      try {
        return { stdout: fromGoString(`${tmpl.executeBytes(msg)}\n`), stderr: "" };
      } catch (e) {
        if (!(e instanceof TemplateExecError)) throw e;
        return {
          stdout: fromGoString(`${e.output}\n`),
          stderr: `${e.message}\n`,
          error: new FormatError("FORMAT_TEMPLATE_EXEC", e.message, 1),
        };
      }
    },
  };
}
