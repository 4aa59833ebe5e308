/**
 * The Docker Engine API as a client calls it: `strata`'s Docker verbs are a client of the same API the
 * real docker CLI drives (the daemon embedded in this process, or a `strata serve` given by `--host`),
 * so both print the same from the same answers. Requests go over a unix socket or TCP; an answer of 400
 * or more is a `DaemonError` with dockerd's message, which the CLI prints as "Error response from
 * daemon: …" like docker does.
 */
import { type IncomingMessage, request } from "node:http";
import type { Readable } from "node:stream";

/** The daemon refused: `status` and its message (what docker prints after "Error response from daemon: "). */
export class DaemonError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "DaemonError";
    this.status = status;
  }
}

export interface DockerCall {
  readonly method?: string;
  readonly path: string;
  /** Query parameters; arrays repeat the key; undefined values are left out. */
  readonly query?: Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;
  /** A JSON body, or raw bytes / a stream (a tar). */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An answer read to its end. */
export interface DockerAnswer {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

/** Where the daemon listens: `unix:///path` or `tcp://host:port`. */
export function parseDaemonHost(host: string): { socketPath: string } | { host: string; port: number } {
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(host);
  if (m) return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  throw new DaemonHostError(host);
}

/** A `--host` that names no place a client can reach. */
export class DaemonHostError extends Error {
  constructor(host: string) {
    super(`invalid host ${JSON.stringify(host)}: use unix:///path/to/socket or tcp://127.0.0.1:PORT`);
    this.name = "DaemonHostError";
  }
}

export class DockerClient {
  readonly host: string;
  readonly #target: { socketPath: string } | { host: string; port: number };

  constructor(host: string) {
    this.host = host;
    this.#target = parseDaemonHost(host);
  }

  /** Sends `call`; resolves with the answer's head and its body as a stream (long answers: events, wait). */
  open(call: DockerCall): Promise<IncomingMessage> {
    const method = call.method ?? "GET";
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(call.query ?? {})) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) search.append(k, x);
      else search.append(k, String(v));
    }
    const qs = search.toString();
    const path = `/v1.50${call.path}${qs ? `?${qs}` : ""}`;
    const headers: Record<string, string> = { ...call.headers };
    let payload: Buffer | Readable | undefined;
    if (Buffer.isBuffer(call.body)) payload = call.body;
    else if (call.body !== undefined && typeof (call.body as Readable).pipe === "function")
      payload = call.body as Readable;
    else if (call.body !== undefined) {
      payload = Buffer.from(JSON.stringify(call.body));
      headers["Content-Type"] = "application/json";
    }
    return new Promise((resolve, reject) => {
      const req = request({ ...this.#target, method, path, headers }, resolve);
      req.on("error", reject);
      if (payload === undefined || Buffer.isBuffer(payload)) req.end(payload);
      else {
        payload.on("error", (e) => req.destroy(e));
        payload.pipe(req);
      }
    });
  }

  /** Sends `call` and reads the whole answer; a status of 400 or more is thrown as a `DaemonError`. */
  async call(call: DockerCall): Promise<DockerAnswer> {
    const res = await this.open(call);
    const body = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status >= 400) throw new DaemonError(status, messageOf(body));
    return { status, headers: res.headers, body };
  }

  /** `call` answered with JSON. */
  async json<T = unknown>(call: DockerCall): Promise<T> {
    const { body } = await this.call(call);
    return (body.length === 0 ? null : JSON.parse(body.toString("utf8"))) as T;
  }

  /** Throws the `DaemonError` an open answer carries, else hands it back. */
  static async check(res: IncomingMessage): Promise<IncomingMessage> {
    const status = res.statusCode ?? 0;
    if (status < 400) return res;
    throw new DaemonError(status, messageOf(await readAll(res)));
  }
}

export function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (d: Buffer) => chunks.push(d));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

/** dockerd's `{"message": …}`, or the body as text. */
function messageOf(body: Buffer): string {
  const text = body.toString("utf8");
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON: the text itself
  }
  return text.trim();
}
