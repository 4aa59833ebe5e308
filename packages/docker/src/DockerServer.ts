/**
 * The Docker Engine API (v1.50) over Strata's durable engine: an HTTP/1.1 server on a unix socket
 * (mode 0600) or a loopback TCP port, routing versioned (`/v1.xx/…`) and bare paths as dockerd does,
 * with its headers on every response and its error shapes. The routes know only the `DockerBackend`
 * (the engine, and what it needs to serve archives and images); the server knows nothing of Docker's
 * semantics. Every request is bounded: JSON bodies (1 MiB), uploads (`maxUploadBytes`), header time, and
 * a body that stops arriving for `bodyIdleMs` (the connection is answered 408 and closed).
 *
 * `close()` stops accepting, ends the long requests (`wait`, `events`, attach, logs, exec streams),
 * drops the requests whose body has not all arrived (no command runs before its body is whole) and
 * waits for the others, so no command is cut half-way; the engine's log is left consistent (every
 * append is whole or absent).
 */
import { chmodSync, existsSync, lstatSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { DockerBackend } from "./DockerBackend.js";
import { DockerRequest } from "./DockerRequest.js";
import { ListenError } from "./ListenError.js";
import { sendEmpty, sendError, sendJson } from "./respond.js";
import { match, type Route, type RouteContext, type Upgraded } from "./router.js";
import { archiveRoutes } from "./routes/archive.js";
import { containerRoutes } from "./routes/containers.js";
import { eventRoutes } from "./routes/events.js";
import { execRoutes } from "./routes/exec.js";
import { imageRoutes } from "./routes/images.js";
import { strataRoutes } from "./routes/strata.js";
import { systemRoutes } from "./routes/system.js";
import { DockerApiError } from "./shapes/errors.js";
import { API_VERSION, MIN_API_VERSION, SERVER_HEADER } from "./shapes/system.js";

export interface DockerServerOptions {
  readonly backend: DockerBackend;
  /** The largest upload (`docker cp` into a container, `docker load`), default 1 GiB. */
  readonly maxUploadBytes?: number;
  /**
   * How long a request body may stop arriving before the connection is dropped (408), default two
   * minutes. It bounds only the wait for the client's next bytes: a long upload that keeps coming is fine.
   */
  readonly bodyIdleMs?: number;
}

/** Where to listen: a unix socket path, or a TCP port on loopback (or another host, given explicitly). */
export type ListenOn = { readonly socket: string } | { readonly host: string; readonly port: number };

const compareVersions = (a: string, b: string) => {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
};

export class DockerServer implements RouteContext {
  readonly http: Server;
  readonly backend: DockerBackend;
  readonly maxUploadBytes: number;
  readonly bodyIdleMs: number;
  readonly #routes: readonly Route[];
  /** Responses that stay open (wait, events): ended on close. */
  readonly #long = new Set<ServerResponse>();
  /** Requests that asked to take their connection over (attach, exec start), by request. */
  readonly #upgrades = new WeakMap<IncomingMessage, Upgraded>();
  /** Taken-over connections still open: ended on close. */
  readonly #sockets = new Set<Duplex>();
  /** Requests whose body has not all arrived: dropped on close (nothing has run for them yet). */
  readonly #receiving = new Set<IncomingMessage>();
  readonly #closing: (() => void)[] = [];
  #socketPath: string | null = null;

  constructor(options: DockerServerOptions) {
    this.backend = options.backend;
    this.maxUploadBytes = options.maxUploadBytes ?? 1024 * 1024 * 1024;
    this.bodyIdleMs = options.bodyIdleMs ?? 120_000;
    this.#routes = [
      ...systemRoutes(this),
      ...strataRoutes(this),
      ...archiveRoutes(this),
      ...execRoutes(this),
      ...containerRoutes(this),
      ...imageRoutes(this),
      ...eventRoutes(this),
    ];
    this.http = createServer({ requestTimeout: 0, headersTimeout: 30_000 }, (req, res) => {
      void this.#handle(req, res);
    });
    this.http.keepAliveTimeout = 60_000;
    // `Connection: Upgrade` (the docker CLI's attach and exec start): Node hands over the socket. The
    // request is routed as any other, its answer written on that socket by a response bound to it, so a
    // refusal is a plain HTTP error; a handler that takes the connection over writes its own `101`.
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrades.set(req, { socket, head });
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as Socket);
      res.once("finish", () => socket.end());
      void this.#handle(req, res);
    });
  }

  upgraded(req: IncomingMessage): Upgraded | null {
    return this.#upgrades.get(req) ?? null;
  }

  onClose(listener: () => void): void {
    this.#closing.push(listener);
  }

  /** Keeps `res` open until it ends or the server closes (a long-running answer). */
  holdOpen(res: ServerResponse): void {
    this.#long.add(res);
    res.once("close", () => this.#long.delete(res));
  }

  /**
   * Bounds the wait for the body of `req` (not an upgraded one: its body is read from the socket, see
   * hijack.ts `upgradedBody`): while it is incomplete, the connection is dropped after `bodyIdleMs`
   * without a byte, with a 408 when no answer has started; and on close. Once the body is whole, the
   * connection may stay silent as long as its answer takes (`wait`, `events`, `logs -f`).
   */
  #boundBody(req: IncomingMessage, res: ServerResponse): void {
    this.#receiving.add(req);
    req.once("close", () => this.#receiving.delete(req));
    req.socket.setTimeout(this.bodyIdleMs);
    // Node asks the response what to do when the socket times out (and destroys it when nobody says).
    res.on("timeout", () => {
      if (req.complete) return void req.socket.setTimeout(0);
      if (res.headersSent) return void req.socket.destroy();
      res.setHeader("Connection", "close");
      res.once("finish", () => req.socket.destroy());
      sendJson(res, 408, {
        message: `the request body stopped arriving (nothing for ${this.bodyIdleMs} ms)`,
      });
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.#upgrades.has(req)) this.#boundBody(req, res);
    res.setHeader("Api-Version", API_VERSION);
    res.setHeader("Docker-Experimental", "false");
    res.setHeader("Ostype", "linux");
    res.setHeader("Server", SERVER_HEADER);
    try {
      const url = new URL(req.url ?? "/", "http://docker");
      let path: string;
      try {
        path = decodeURIComponent(url.pathname);
      } catch {
        throw new DockerApiError(400, `invalid path ${url.pathname}`);
      }
      const versioned = /^\/v([0-9.]+)(\/.*)$/.exec(path);
      if (versioned) {
        const version = versioned[1] as string;
        if (compareVersions(version, API_VERSION) > 0)
          throw new DockerApiError(
            400,
            `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`,
          );
        if (compareVersions(version, MIN_API_VERSION) < 0)
          throw new DockerApiError(
            400,
            `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
          );
        path = versioned[2] as string;
      }
      const method = req.method ?? "GET";
      if (method === "OPTIONS") return sendEmpty(res, 200);
      const found = match(this.#routes, method, path);
      if (!found) throw new DockerApiError(404, "page not found");
      await found.route.handle(new DockerRequest(req, path, url.searchParams, found.params), res);
    } catch (e) {
      sendError(res, e);
    }
  }

  /**
   * Listens; a unix socket is made 0600 (a stale one left by a crash is replaced). Returns the address
   * (`unix:///path`, `tcp://host:port`); a `ListenError` when it cannot.
   */
  async listen(on: ListenOn): Promise<string> {
    if ("socket" in on) {
      const address = `unix://${on.socket}`;
      if (existsSync(on.socket)) {
        if (!lstatSync(on.socket).isSocket())
          throw new ListenError("EEXIST", address, "the path exists and is not a socket");
        if (await socketInUse(on.socket))
          throw new ListenError("EADDRINUSE", address, "another server is listening on it");
        unlinkSync(on.socket);
      }
      await this.#listening(address, () => this.http.listen(on.socket));
      chmodSync(on.socket, 0o600);
      this.#socketPath = on.socket;
      return address;
    }
    const wanted = `tcp://${on.host.includes(":") ? `[${on.host}]` : on.host}:${on.port}`;
    await this.#listening(wanted, () => this.http.listen(on.port, on.host));
    const bound = this.http.address();
    const port = typeof bound === "object" && bound ? bound.port : on.port;
    return `tcp://${on.host.includes(":") ? `[${on.host}]` : on.host}:${port}`;
  }

  #listening(address: string, start: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException) => {
        this.http.off("listening", done);
        reject(new ListenError(e.code ?? "EIO", address, e.message));
      };
      const done = () => {
        this.http.off("error", failed);
        resolve();
      };
      this.http.once("error", failed);
      this.http.once("listening", done);
      start();
    });
  }

  /** Stops accepting, ends the long answers, waits for the requests in progress. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const listener of this.#closing.splice(0)) listener();
    for (const res of this.#long) res.end();
    for (const socket of this.#sockets) socket.end(() => socket.destroy());
    for (const req of this.#receiving) if (!req.complete) req.socket.destroy();
    this.http.closeIdleConnections();
    await closed;
    if (this.#socketPath && existsSync(this.#socketPath)) unlinkSync(this.#socketPath);
  }
}

/** Whether a server answers on the unix socket `path`. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
