/**
 * `docker inspect` output: without a format, the daemon's JSON objects in one array indented by 4 spaces
 * (the bytes re-indented, never re-encoded); with `json`, the same array compact; with a template, the
 * template run over each object decoded into the API's Go type (container.InspectResponse,
 * image.InspectResponse), and when that fails, over the raw JSON as a map with missingkey=error — as
 * docker does, so `{{.Foo}}` reports `map has no entry for key "Foo"`. Numbers in the raw map are
 * json.Number. Pure. Rules: docker/cli cli/command/inspect/inspector.go (v28.2.2).
 */
import { FormatError } from "./FormatError.js";
import { parseDockerTemplate } from "./formatWrite.js";
import { type GoTemplate, TemplateExecError } from "./GoTemplate.js";
import type { GoValue } from "./GoType.js";
import { decodeAny, goJsonUnmarshal } from "./goJsonDecode.js";
import { fromGoString, toGoString } from "./goString.js";
import { moby } from "./mobyModel.js";
import { jsonIndent, parseRawJson, RawJsonError } from "./rawJson.js";

/** The Go type docker decodes each kind of object into. */
const TYPES: Readonly<Record<string, string>> = {
  container: "container.InspectResponse",
  image: "image.InspectResponse",
};

/** One object to inspect: the daemon's JSON text and its kind, or the error fetching it. */
export type InspectTarget =
  | { readonly raw: string; readonly kind: "container" | "image" | "other" }
  | { readonly error: string };

/** What `docker inspect` writes and the status it exits with. */
export interface InspectOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

function compact(src: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += src[i + 1] ?? "";
        i++;
      } else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") out += c;
  }
  return out;
}

function runTemplate(tmpl: GoTemplate, raw: string, kind: string): string {
  const bytes = toGoString(raw);
  let tree: ReturnType<typeof parseRawJson>;
  try {
    tree = parseRawJson(bytes);
  } catch (e) {
    if (e instanceof RawJsonError) throw new FormatError("FORMAT_BAD_INPUT", e.message, 1);
    throw e;
  }
  const typeName = TYPES[kind];
  if (typeName) {
    try {
      const typed: GoValue = goJsonUnmarshal(tree, moby.named(typeName));
      return tmpl.executeBytes(typed);
    } catch (e) {
      if (!(e instanceof TemplateExecError)) throw e;
    }
  }
  const any = decodeAny(tree, { useNumber: true });
  try {
    return tmpl.executeBytes(any ?? undefined, { missingKey: "error" });
  } catch (e) {
    if (e instanceof TemplateExecError)
      throw new FormatError("FORMAT_TEMPLATE_EXEC", `template parsing error: ${e.message}`, 1);
    throw e;
  }
}

/**
 * `docker inspect [-f FORMAT]` over objects fetched from the daemon.
 * @throws FormatError exit 64 for a format that does not parse
 */
export function formatInspect(targets: readonly InspectTarget[], format?: string): InspectOutput {
  const errors: string[] = [];
  let stdout: string;
  if (!format || format === "json") {
    const raws: string[] = [];
    for (const t of targets) {
      if ("error" in t) errors.push(t.error);
      else raws.push(toGoString(t.raw));
    }
    if (raws.length === 0) stdout = "[]\n";
    else {
      const joined = `[${raws.join(",")}]`;
      stdout = `${fromGoString(format ? compact(joined) : jsonIndent(joined, "", "    "))}\n`;
    }
  } else {
    const tmpl = parseDockerTemplate(format, "template parsing error", 64);
    let buffer = "";
    for (const t of targets) {
      if ("error" in t) {
        errors.push(t.error);
        continue;
      }
      try {
        buffer += `${runTemplate(tmpl, t.raw, t.kind)}\n`;
      } catch (e) {
        if (e instanceof FormatError) errors.push(e.message);
        else throw e;
      }
    }
    stdout = buffer === "" ? "\n" : fromGoString(buffer);
  }
  if (errors.length > 0) return { stdout, stderr: `${errors.join("\n")}\n`, exitCode: 1 };
  return { stdout, stderr: "", exitCode: 0 };
}
