/**
 * The explorer's HTTP server: the page (built by Vite into `dist/client`) and a JSON API that answers
 * every question at a seq, computed here from the timeline's checkpoints (the browser never gets the
 * log). It listens on loopback by default, answers only GET and HEAD, refuses a Host it does not serve
 * (a page on another site cannot read the log through the browser), and bounds every list it answers.
 *
 * The API (every `seq` defaults to the last; a seq the log does not have is a 404):
 * - `GET /api/info`: the log's location and last seq.
 * - `GET /api/events?offset&limit&type&object`: rows of the timeline, filtered (`type`: an event type,
 *   or a prefix ending in `.`; `object`: a container's or image's name, tag or id, or a stream id prefix).
 * - `GET /api/events/position?seq&type&object`: the row index of the last matching event at or before seq.
 * - `GET /api/state?seq`: the containers and images.
 * - `GET /api/stack?seq&ref`: the layer stack. `GET /api/layer?seq&ref&index`: what one layer changes.
 * - `GET /api/tree?seq&ref&path`: a directory of the union view, each entry with the layer it comes from.
 * - `GET /api/file?seq&ref&path`: an entry's metadata, provenance and contents (the first 256 KiB).
 * - `GET /api/diff?seq&ref`: Docker's change list of a container.
 * - `GET /api/lifecycle?seq&ref`: the lifecycle machine, the state now and the path taken, the processes.
 * - `GET /api/live`: server-sent events, `seq` with the new last seq whenever the log grows.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findContainer, findImage, type ProjectedState, StrataError } from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import { changes, type FsState, stackLayer, viewOf } from "@strata/fs";
import { layerChanges } from "./layerChanges.js";
import { stackOf } from "./layerStack.js";
import { lifecycleGraphs } from "./machineGraph.js";
import { listDirectory, origin } from "./provenance.js";
import { Timeline, type TimelineRow } from "./Timeline.js";

export interface ExplorerServerOptions {
  readonly engine: DurableEngine;
  /** What the page shows as the log's location. */
  readonly location: string;
  /** A checkpoint of the states every this many events (default 1,000). */
  readonly checkpointEvery?: number;
  /** Where the built page is (default: `dist/client` of this package). */
  readonly clientDir?: string;
}

export interface ListenOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
}

/** The most rows one request answers. */
export const MAX_ROWS = 1_000;
/** The most bytes of a file's contents one request answers. */
export const MAX_CONTENT_BYTES = 256 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

export class ExplorerServer {
  readonly engine: DurableEngine;
  readonly location: string;
  readonly http: Server;
  readonly #clientDir: string;
  readonly #checkpointEvery: number;
  #timeline: Timeline | null = null;
  readonly #live = new Set<ServerResponse>();
  readonly #moments = new Map<number, ProjectedState<FsState>>();
  #filtered: { key: string; seqs: number[] } | null = null;
  #hosts = new Set<string>();

  constructor(options: ExplorerServerOptions) {
    this.engine = options.engine;
    this.location = options.location;
    this.#checkpointEvery = options.checkpointEvery ?? 1_000;
    this.#clientDir = options.clientDir ?? fileURLToPath(new URL("../dist/client/", import.meta.url));
    this.http = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
      void this.#handle(req, res);
    });
  }

  /** The timeline (after `listen`). */
  get timeline(): Timeline {
    if (!this.#timeline) throw new Error("the explorer is not listening yet");
    return this.#timeline;
  }

  /** Indexes the log, then listens; answers the page's URL. */
  async listen(options: ListenOptions = {}): Promise<string> {
    this.#timeline ??= await Timeline.open(this.engine, { checkpointEvery: this.#checkpointEvery });
    this.#timeline.onAppend((seq) => {
      for (const res of this.#live) res.write(`event: seq\ndata: ${seq}\n\n`);
    });
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(options.port ?? 0, host, () => {
        this.http.off("error", reject);
        resolve();
      });
    });
    const port = (this.http.address() as AddressInfo).port;
    const shown = host.includes(":") ? `[${host}]` : host;
    this.#hosts = new Set([`${shown}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
    return `http://${shown}:${port}/`;
  }

  async close(): Promise<void> {
    for (const res of this.#live) res.end();
    this.#live.clear();
    this.#timeline?.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== "GET" && req.method !== "HEAD")
        throw new HttpError(405, `${req.method} is not allowed`);
      if (!this.#hosts.has(req.headers.host ?? ""))
        throw new HttpError(
          421,
          `this server does not answer for the host ${JSON.stringify(req.headers.host)}`,
        );
      const url = new URL(req.url ?? "/", "http://explorer");
      if (url.pathname.startsWith("/api/")) return await this.#api(url, req, res);
      return this.#file(url.pathname, res);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : e instanceof StrataError ? e.status : 400;
      const body = JSON.stringify({ message: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent)
        res.writeHead(status, {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
        });
      res.end(body);
    }
  }

  #file(pathname: string, res: ServerResponse): void {
    if (pathname === "/favicon.ico") {
      res.writeHead(204, { "Content-Length": 0 });
      return void res.end();
    }
    const name = pathname === "/" ? "index.html" : pathname.slice(1);
    // Only the files Vite wrote: `index.html` and `assets/<name>`; nothing else, no `..`.
    if (!/^(index\.html|assets\/[A-Za-z0-9._-]+)$/.test(name) || name.includes(".."))
      throw new HttpError(404, `no such page: ${pathname}`);
    const path = join(this.#clientDir, name);
    if (!existsSync(path))
      throw new HttpError(404, `no such page: ${pathname} (is the page built? pnpm run build builds it)`);
    const body = readFileSync(path);
    res.writeHead(200, {
      "Content-Type": TYPES[extname(name)] ?? "application/octet-stream",
      "Content-Length": body.length,
      "Cache-Control": name === "index.html" ? "no-cache" : "max-age=31536000, immutable",
    });
    res.end(body);
  }

  async #api(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = url.searchParams;
    const t = this.timeline;
    const json = (value: unknown) => {
      const body = JSON.stringify(value);
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
        "Cache-Control": "no-store",
      });
      res.end(body);
    };
    switch (url.pathname) {
      case "/api/info":
        return json({ location: this.location, lastSeq: t.lastSeq, graphs: lifecycleGraphs() });
      case "/api/events": {
        const seqs = this.#matching(q);
        const offset = intParam(q, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
        const limit = intParam(q, "limit", 100, 1, MAX_ROWS);
        const rows: TimelineRow[] = [];
        for (let i = offset; i < Math.min(seqs.length, offset + limit); i++)
          rows.push(t.row(seqs[i] as number) as TimelineRow);
        return json({ total: seqs.length, offset, rows });
      }
      case "/api/events/position": {
        const seq = this.#seq(q);
        const seqs = this.#matching(q);
        return json({ seq, index: lastAtOrBefore(seqs, seq) });
      }
      case "/api/state": {
        const state = await this.#at(q);
        const { core } = state;
        return json({
          seq: core.seq,
          containers: Object.values(core.containers)
            .sort(
              (a, b) => a.context.createdAt - b.context.createdAt || (a.context.id < b.context.id ? -1 : 1),
            )
            .map((c) => ({
              id: c.context.id,
              name: c.context.name,
              status: c.status,
              imageId: c.context.imageId,
              image: c.context.imageAsGiven,
            })),
          images: Object.values(core.images)
            .filter((i) => i.status === "present")
            .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
            .map((i) => ({ id: i.id, tags: i.tags, layers: i.layers.length, containerId: i.containerId })),
        });
      }
      case "/api/stack": {
        const state = await this.#at(q);
        return json({ seq: state.core.seq, ...stackOf(state, need(q, "ref")).summary });
      }
      case "/api/layer": {
        const state = await this.#at(q);
        const stack = stackOf(state, need(q, "ref"));
        const index = intParam(q, "index", 0, 0, stack.trees.length - 1);
        return json({ seq: state.core.seq, index, ...layerChanges(stack.trees, index) });
      }
      case "/api/tree": {
        const state = await this.#at(q);
        const ref = need(q, "ref");
        const stack = stackOf(state, ref);
        const path = q.get("path") || "/";
        let listing: ReturnType<typeof listDirectory>;
        try {
          listing = listDirectory(stack.trees, path);
        } catch (e) {
          throw new HttpError(404, (e as Error).message);
        }
        const view = viewOf(state.core, state.projection, ref);
        const join = (name: string) => (path === "/" ? `/${name}` : `${path.replace(/\/+$/, "")}/${name}`);
        return json({
          seq: state.core.seq,
          path,
          entries: listing.entries.map((e) => {
            const s = view.lookup(join(e.name));
            return { ...e, size: s?.size ?? 0, mode: s?.mode ?? 0, target: s?.target ?? null };
          }),
          hidden: listing.hidden,
        });
      }
      case "/api/file": {
        const state = await this.#at(q);
        const ref = need(q, "ref");
        const path = need(q, "path");
        const stack = stackOf(state, ref);
        const view = viewOf(state.core, state.projection, ref, this.engine.blobs);
        const stat = view.lookup(path);
        const from = origin(stack.trees, path);
        if (!stat) return json({ seq: state.core.seq, path, stat: null, origin: from, content: null });
        let content: string | null = null;
        let binary = false;
        if (stat.type === "file") {
          if (stat.digest) await this.engine.blobs.fetch([stat.digest]);
          const bytes = view.readFile(path).subarray(0, MAX_CONTENT_BYTES);
          const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
          binary = text.includes("\uFFFD") || text.includes("\u0000");
          content = binary ? Buffer.from(bytes).toString("base64") : text;
        }
        return json({
          seq: state.core.seq,
          path,
          stat,
          origin: from,
          content,
          binary,
          truncated: stat.size > MAX_CONTENT_BYTES,
        });
      }
      case "/api/diff": {
        const state = await this.#at(q);
        const ref = need(q, "ref");
        const record = findContainer(state.core, ref);
        const c = record ? state.projection.containers.get(record.context.id) : undefined;
        if (!record || !c) throw new HttpError(404, `No such container: ${ref}`);
        return json({ seq: state.core.seq, changes: changes(c.lower, stackLayer(c.lower, c.upper)) });
      }
      case "/api/lifecycle": {
        const state = await this.#at(q);
        const ref = need(q, "ref");
        const graphs = lifecycleGraphs();
        const record = findContainer(state.core, ref);
        if (record) {
          const cx = record.context;
          return json({
            seq: state.core.seq,
            kind: "container",
            graph: graphs.container,
            current: record.status,
            path: t.statusChanges(cx.id, state.core.seq),
            processes: cx.processes,
            execs: cx.execs,
            exitCode: cx.exitCode,
            restartCount: cx.restartCount,
            startedAt: cx.startedAt,
            finishedAt: cx.finishedAt,
            health: cx.health,
          });
        }
        const image = findImage(state.core, ref);
        if (!image) throw new HttpError(404, `No such container or image: ${ref}`);
        return json({
          seq: state.core.seq,
          kind: "image",
          graph: graphs.image,
          current: image.image.status,
          path: [],
          processes: [],
          execs: [],
        });
      }
      case "/api/live": {
        res.writeHead(200, {
          "Content-Type": "text/event-stream",
          "Cache-Control": "no-store",
          Connection: "keep-alive",
        });
        res.write(`event: seq\ndata: ${t.lastSeq}\n\n`);
        this.#live.add(res);
        req.once("close", () => this.#live.delete(res));
        return;
      }
      default:
        throw new HttpError(404, `no such API: ${url.pathname}`);
    }
  }

  /** The seq asked for (default: the last). */
  #seq(q: URLSearchParams): number {
    const last = this.timeline.lastSeq;
    return intParam(q, "seq", last, 0, last);
  }

  /** The states at the seq asked for; the last few asked are kept. */
  async #at(q: URLSearchParams): Promise<ProjectedState<FsState>> {
    const seq = this.#seq(q);
    const known = this.#moments.get(seq);
    if (known) return known;
    const state = await this.timeline.at(seq);
    this.#moments.set(seq, state);
    if (this.#moments.size > 16) this.#moments.delete(this.#moments.keys().next().value as number);
    return state;
  }

  /** The seqs of the events that match the filters in `q`, oldest first. */
  #matching(q: URLSearchParams): number[] {
    const t = this.timeline;
    const type = q.get("type") ?? "";
    const object = q.get("object") ?? "";
    const key = `${t.lastSeq}\u0000${type}\u0000${object}`;
    if (this.#filtered?.key === key) return this.#filtered.seqs;
    const streams = object ? streamsNamed(this.#headState(), object) : null;
    const typeOk = (row: TimelineRow) =>
      !type || (type.endsWith(".") ? row.type.startsWith(type) : row.type === type);
    const streamOk = (row: TimelineRow) =>
      !streams || streams.has(row.streamId) || row.streamId.startsWith(object);
    const seqs: number[] = [];
    for (const row of t.rows) if (typeOk(row) && streamOk(row)) seqs.push(row.seq);
    this.#filtered = { key, seqs };
    return seqs;
  }

  #headState(): ProjectedState<FsState>["core"] {
    return this.engine.state;
  }
}

/** The stream ids a name, tag or id names now (a container or an image). */
function streamsNamed(core: ProjectedState<FsState>["core"], ref: string): Set<string> {
  const ids = new Set<string>();
  const c = findContainer(core, ref);
  if (c) ids.add(c.context.id);
  const i = findImage(core, ref);
  if (i) ids.add(i.image.id);
  return ids;
}

function need(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (!v) throw new HttpError(400, `the query parameter ${name} is missing`);
  return v;
}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `${name}: ${JSON.stringify(raw)} is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) {
    if (name === "seq")
      throw new HttpError(404, `No such event: ${n} (the log has events 1 to ${max}; 0 is before the first)`);
    throw new HttpError(400, `${name}: ${n} is not between ${min} and ${max}`);
  }
  return n;
}

/** The index of the last element of sorted `seqs` that is at most `seq`, or -1. */
function lastAtOrBefore(seqs: readonly number[], seq: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((seqs[mid] as number) <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
