/**
 * docker's formatter.Context.Write: a `--format` value made into a template (`table ` prefix stripped,
 * `json` meaning `{{json .}}`, spaces trimmed, `\t` and `\n` typed literally made real), each row
 * rendered and ended with a newline, and for tables a header row rendered with the header functions
 * over the column names (its errors ignored, as docker ignores them) and everything aligned by the tab
 * writer. Byte strings in and out. Pure. Rules: docker/cli cli/command/formatter/formatter.go (v28.2.2).
 */
import { DOCKER_FUNCS, HEADER_FUNCS } from "./dockerFuncs.js";
import { FormatError } from "./FormatError.js";
import { type GoTemplate, parseGoTemplate, TemplateExecError, TemplateParseError } from "./GoTemplate.js";
import type { GoValue } from "./GoType.js";
import { TabWriter } from "./tabWriter.js";

/** Format.IsTable: starts with "table". */
export function isTableFormat(format: string): boolean {
  return format.startsWith("table");
}

/** The template text docker's preFormat makes of a format. */
export function templateText(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice("table".length);
  else if (f === "json") f = "{{json .}}";
  f = f.replace(/^ +| +$/g, "");
  return f.replaceAll("\\t", "\t").replaceAll("\\n", "\n");
}

/** templates.Parse with docker's functions; errors as `<prefix>: template: …`. */
export function parseDockerTemplate(text: string, prefix: string, exitCode: number): GoTemplate {
  try {
    return parseGoTemplate(text, DOCKER_FUNCS);
  } catch (e) {
    if (e instanceof TemplateParseError)
      throw new FormatError("FORMAT_TEMPLATE_PARSE", `${prefix}: ${e.message}`, exitCode);
    throw e;
  }
}

/**
 * Context.Write(sub, rows): the rendered output (a byte string).
 * @throws FormatError "template parsing error: …" (exit 1) for a bad template or a row it cannot render.
 */
export function writeFormatted(format: string, rows: readonly GoValue[], header: GoValue): string {
  const tmpl = parseDockerTemplate(templateText(format), "template parsing error", 1);
  let buffer = "";
  for (const row of rows) {
    try {
      buffer += tmpl.executeBytes(row);
    } catch (e) {
      if (e instanceof TemplateExecError) {
        throw new FormatError("FORMAT_TEMPLATE_EXEC", `template parsing error: ${e.message}`, 1);
      }
      throw e;
    }
    buffer += "\n";
  }
  if (!isTableFormat(format)) return buffer;
  let head: string;
  try {
    head = tmpl.executeBytes(header, { funcs: HEADER_FUNCS });
  } catch (e) {
    if (!(e instanceof TemplateExecError)) throw e;
    head = e.output;
  }
  const tw = new TabWriter(10, 1, 3, " ");
  tw.write(head);
  tw.write("\n");
  tw.write(buffer);
  return tw.flush();
}
