/**
 * Routes as moby registers them: each path with `{name}` parameters that are greedy (image references
 * hold `/` and `:`), matched in the order given, so a more specific path comes before a catch-all.
 * Handlers know nothing of the HTTP server, only the request and a response to write.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DockerBackend } from "./DockerBackend.js";
import type { DockerRequest } from "./DockerRequest.js";

/** What route handlers get from the server: the backend, and a way to keep long responses open. */
export interface RouteContext {
  readonly backend: DockerBackend;
  /** The largest upload body (`docker cp` into a container, `docker load`). */
  readonly maxUploadBytes: number;
  /** How long a request body may stop arriving before its connection is dropped. */
  readonly bodyIdleMs: number;
  /** Marks a long response (wait, attach, events): it is ended, not waited for, when the server closes. */
  holdOpen(res: ServerResponse): void;
  /**
   * The connection of a request that asked to take it over (`Connection: Upgrade`, as the docker CLI's
   * attach and exec start do), with the bytes read past its headers; null for a plain request. Its
   * `res` writes to that connection until the handler writes its own `101` and streams raw bytes.
   */
  upgraded(req: IncomingMessage): Upgraded | null;
  /** Calls `listener` once, when the server closes (ends hijacked streams, stops background work). */
  onClose(listener: () => void): void;
}

/** A connection taken over from HTTP: the socket, and what the server read past the request's headers. */
export interface Upgraded {
  readonly socket: Duplex;
  readonly head: Buffer;
}

export type Handler = (req: DockerRequest, res: ServerResponse) => Promise<void> | void;

export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handle: Handler;
}

/** A route for `method` on `path` (e.g. `/containers/{id}/json`). */
export function route(method: string, path: string, handle: Handler): Route {
  const source = path
    .split(/(\{[a-z]+\})/i)
    .map((part) => {
      const m = /^\{([a-z]+)\}$/i.exec(part);
      return m ? `(?<${m[1]}>.+)` : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
    })
    .join("");
  return { method, pattern: new RegExp(`^${source}$`), handle };
}

/** The first route for `method` and `path` (already decoded), with its parameters; null if none. */
export function match(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | null {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = v;
    return { route: r, params };
  }
  return null;
}
