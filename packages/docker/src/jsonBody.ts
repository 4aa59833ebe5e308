/**
 * A JSON request body read as moby's `httputils.ReadJSON` reads it into a Go struct: the media type
 * must be `application/json` (when there is a body), an empty body is no value, field names match
 * without regard to case (as Go's decoder matches them), and a field of the wrong type is Go's
 * `cannot unmarshal` error. For bodies of requests that took their connection over (exec start), which
 * Node leaves unread.
 */
import { readJson } from "./readJson.js";
import { DockerApiError } from "./shapes/errors.js";

/** The parsed body (undefined when empty), checked as `DockerRequest.json` checks it. */
export function parseJsonBody(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== "application/json")
    throw new DockerApiError(400, `unsupported Content-Type header (${type}): must be 'application/json'`);
  return readJson(body);
}

const goType = (v: unknown) =>
  Array.isArray(v) ? "array" : typeof v === "boolean" ? "bool" : typeof v === "object" ? "object" : typeof v;

/** The fields of a JSON object body as a Go struct `name` decodes them (names without regard to case). */
export class GoFields {
  readonly #fields = new Map<string, unknown>();
  readonly #struct: string;

  constructor(body: unknown, struct: string) {
    this.#struct = struct;
    if (body === undefined || body === null) return;
    if (typeof body !== "object" || Array.isArray(body))
      throw new DockerApiError(
        400,
        `invalid JSON: json: cannot unmarshal ${goType(body)} into Go value of type ${struct}`,
      );
    for (const [k, v] of Object.entries(body as Record<string, unknown>))
      this.#fields.set(k.toLowerCase(), v);
  }

  #refuse(field: string, value: unknown, type: string): never {
    throw new DockerApiError(
      400,
      `invalid JSON: json: cannot unmarshal ${goType(value)} into Go struct field ${this.#struct}.${field} of type ${type}`,
    );
  }

  #get(field: string): unknown {
    const v = this.#fields.get(field.toLowerCase());
    return v === null ? undefined : v;
  }

  bool(field: string): boolean {
    const v = this.#get(field);
    if (v === undefined) return false;
    if (typeof v !== "boolean") this.#refuse(field, v, "bool");
    return v;
  }

  string(field: string): string {
    const v = this.#get(field);
    if (v === undefined) return "";
    if (typeof v !== "string") this.#refuse(field, v, "string");
    return v;
  }

  strings(field: string): string[] {
    const v = this.#get(field);
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.#refuse(field, v, "[]string");
    for (const x of v) if (typeof x !== "string") this.#refuse(field, x, "string");
    return v as string[];
  }
}
