/**
 * `--format` of `version` and `info`: docker's template functions over the daemon's JSON as Go sees a
 * document decoded into interface{} (maps and slices, numbers as json.Number), `json` meaning
 * `{{json .}}`; a template that does not parse or run is docker's "template parsing error: …", exit 1.
 */
import { FormatError } from "../format/FormatError.js";
import { parseDockerTemplate, templateText } from "../format/formatWrite.js";
import { TemplateExecError } from "../format/GoTemplate.js";
import { decodeAny } from "../format/goJsonDecode.js";
import { fromGoString, toGoString } from "../format/goString.js";
import { parseRawJson } from "../format/rawJson.js";

/** The template's output for `value` (JSON-able), with the newline docker adds. */
export function templateOver(format: string, value: unknown): string {
  const tmpl = parseDockerTemplate(templateText(format), "template parsing error", 1);
  const data = decodeAny(parseRawJson(toGoString(JSON.stringify(value))), { useNumber: true });
  try {
    return `${fromGoString(tmpl.executeBytes(data ?? undefined))}\n`;
  } catch (e) {
    if (e instanceof TemplateExecError)
      throw new FormatError("FORMAT_TEMPLATE_EXEC", `template parsing error: ${e.message}`, 1);
    throw e;
  }
}
