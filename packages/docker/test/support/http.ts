/**
 * A raw HTTP client over the daemon's unix socket, as curl would be: whole answers (`get`) and
 * streamed ones read line by line as they arrive (`stream`).
 */
import { type IncomingMessage, request } from "node:http";

export interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
  /** The body as JSON. */
  json<T = unknown>(): T;
}

/** `method path` on the socket; the whole answer. */
export function call(socket: string, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: { Host: "docker" } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (b: Buffer) => parts.push(b));
      res.on("end", () => {
        const buf = Buffer.concat(parts);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: buf,
          json: <T>() => JSON.parse(buf.toString("utf8")) as T,
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.setHeader("Content-Type", "application/json");
    req.end(body);
  });
}

export const get = (socket: string, path: string): Promise<Answer> => call(socket, "GET", path);

/** A streamed answer: its status and headers at once, then its lines as they come. */
export interface LineStream {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  /** Every complete line so far. */
  readonly lines: string[];
  /** Resolves once at least `n` lines arrived (or rejects if the answer ends before). */
  waitFor(n: number): Promise<string[]>;
  /** Resolves when the server ends the answer. */
  readonly ended: Promise<string[]>;
  /** The response, to pause or resume reading. */
  readonly response: IncomingMessage;
  close(): void;
}

export function stream(socket: string, path: string): Promise<LineStream> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method: "GET", path, headers: { Host: "docker" } }, (res) => {
      const lines: string[] = [];
      let partial = "";
      let waiters: { n: number; resolve: (l: string[]) => void; reject: (e: Error) => void }[] = [];
      let done = false;
      const check = () => {
        waiters = waiters.filter((w) => {
          if (lines.length >= w.n) w.resolve(lines.slice());
          else if (done) w.reject(new Error(`the stream ended after ${lines.length} lines, not ${w.n}`));
          else return true;
          return false;
        });
      };
      res.setEncoding("utf8");
      res.on("data", (text: string) => {
        partial += text;
        const parts = partial.split("\n");
        partial = parts.pop() ?? "";
        lines.push(...parts);
        check();
      });
      const ended = new Promise<string[]>((resolveEnd) => {
        const end = () => {
          done = true;
          check();
          resolveEnd(lines.slice());
        };
        res.on("end", end);
        res.on("close", end);
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        lines,
        response: res,
        ended,
        waitFor: (n) =>
          new Promise((ok, fail) => {
            waiters.push({ n, resolve: ok, reject: fail });
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.end();
  });
}
