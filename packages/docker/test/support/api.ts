/**
 * A plain HTTP client of the API on a unix socket, for tests that make many calls (a docker CLI process
 * per call would take most of a property test's time): the status, the headers and the body, as JSON
 * when it is JSON.
 */
import { request } from "node:http";

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body of any shape, read by the test
  readonly json: any;
}

/** `method path` on the socket, with an optional body (a Buffer is sent as a tar). */
export function api(socket: string, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const payload =
      body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: payload
          ? {
              "Content-Type": Buffer.isBuffer(body) ? "application/x-tar" : "application/json",
              "Content-Length": payload.length,
            }
          : {},
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
