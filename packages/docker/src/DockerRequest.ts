/**
 * A request to the Docker API as moby reads it: query values by its rules (booleans, integers, repeated
 * values, `filters` in both JSON forms), JSON bodies checked and bounded, and raw bodies (tar uploads)
 * as bounded streams. Every refusal is a `DockerApiError` in dockerd's words.
 */
import type { IncomingMessage } from "node:http";
import { readJson } from "./readJson.js";
import { DockerApiError } from "./shapes/errors.js";

/** The largest JSON body accepted (create, exec, commit bodies are a few KiB). */
export const MAX_JSON_BYTES = 1024 * 1024;

export class DockerRequest {
  readonly method: string;
  /** The path without its `/v1.xx` prefix. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly params: Readonly<Record<string, string>>;
  readonly raw: IncomingMessage;

  constructor(raw: IncomingMessage, path: string, query: URLSearchParams, params: Record<string, string>) {
    this.raw = raw;
    this.method = raw.method ?? "GET";
    this.path = path;
    this.query = query;
    this.params = params;
  }

  /** A path parameter (decoded). */
  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw new DockerApiError(500, `no path parameter ${name}`);
    return v;
  }

  /** A query value, or undefined. */
  string(name: string): string | undefined {
    return this.query.get(name) ?? undefined;
  }

  /** Every value of a repeated query parameter. */
  strings(name: string): string[] {
    return this.query.getAll(name);
  }

  /** moby's BoolValue: "", 0, no, false, none mean false (any case, trimmed); anything else true. */
  bool(name: string, fallback = false): boolean {
    const v = this.query.get(name);
    if (v === null) return fallback;
    return !["", "0", "no", "false", "none"].includes(v.trim().toLowerCase());
  }

  /** An integer query value (`strconv.Atoi`): a bad one is the raw error, which moby answers with 500. */
  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === "") return undefined;
    if (!/^[+-]?\d+$/.test(v)) throw new DockerApiError(500, `strconv.Atoi: parsing "${v}": invalid syntax`);
    return Number(v);
  }

  /**
   * `filters`: `{"key":{"value":true}}` (what the CLI sends) or `{"key":["value"]}` (dockerode's);
   * keys not in `allowed` are 400 `invalid filter '<key>'`.
   */
  filters(allowed: readonly string[]): Map<string, string[]> {
    const text = this.query.get("filters");
    const out = new Map<string, string[]>();
    if (text === null || text === "") return out;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new DockerApiError(400, "invalid filter");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new DockerApiError(400, "invalid filter");
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (!allowed.includes(key)) throw new DockerApiError(400, `invalid filter '${key}'`);
      if (Array.isArray(value) && value.every((x) => typeof x === "string")) out.set(key, value as string[]);
      else if (
        value &&
        typeof value === "object" &&
        Object.values(value).every((x) => typeof x === "boolean")
      )
        out.set(key, Object.keys(value));
      else throw new DockerApiError(400, "invalid filter");
    }
    return out;
  }

  /** The body's bytes, at most `limit` (more is 413 before it is all read). */
  async bytes(limit: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.raw) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        this.raw.destroy();
        throw new DockerApiError(413, `request body is larger than ${limit} bytes`);
      }
      parts.push(chunk as Buffer);
    }
    return Buffer.concat(parts);
  }

  /**
   * The JSON body as moby reads it: a body with a Content-Type other than application/json is 400; an
   * empty body is `undefined`; malformed JSON is Go's decoder's error (readJson.ts); unknown fields
   * are kept (handlers ignore them).
   */
  async json(): Promise<unknown> {
    const body = await this.bytes(MAX_JSON_BYTES);
    if (body.length === 0) return undefined;
    const type = (this.raw.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (type !== "application/json")
      throw new DockerApiError(400, `unsupported Content-Type header (${type}): must be 'application/json'`);
    return readJson(body);
  }
}
