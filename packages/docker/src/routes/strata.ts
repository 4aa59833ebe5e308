/**
 * Strata's own paths (`/strata/…`): the log and time travel over it, beside the Docker API and never
 * changing it (docs/docker-api.md, "Strata's own paths").
 *
 * - `GET /strata/log`: the log's head (its last seq and that event's time);
 * - `GET /strata/events?from=&limit=`: the raw events, a page at a time (at most 1,000 events or 4 MiB);
 * - `GET /strata/containers/{id}` and `/strata/images/{name}` (`?at=SEQ`): Strata's own record of a
 *   container or image, now or right after event SEQ;
 * - `GET /strata/containers/{id}/layers`: a container's layer stack;
 * - `GET …/{containers/{id}|images/{name}}/ls?path=` and `/cat?path=`: a directory listing and a file's
 *   bytes in the union view, now or `at=SEQ`;
 * - `GET`/`HEAD /strata/at/{seq}/<any read of the Docker API>`: what dockerd would have answered right
 *   after event `seq` (`/strata/at/40/containers/web/json` is `docker inspect web` as it was). The past
 *   is read-only: other methods are 405.
 *
 * A seq that is not a whole number is 400; one past the log's head is 404 (`No such event`); a
 * container or image that did not exist at that seq is 404 in Docker's words.
 */
import type { ServerResponse } from "node:http";
import {
  type ContainerRecord,
  findContainer,
  findImage,
  type ImageRecord,
  InvalidParameterError,
  NotFoundError,
} from "@strata/core";
import type { EngineMoment } from "@strata/engine";
import type { UnionView } from "@strata/fs";
import type { DockerBackend } from "../DockerBackend.js";
import { DockerRequest } from "../DockerRequest.js";
import { PastEngine, ReadOnlyPastError } from "../PastEngine.js";
import { sendJson } from "../respond.js";
import { match, type Route, type RouteContext, route } from "../router.js";
import { rfc3339Nano } from "../shapes/time.js";
import { archiveRoutes } from "./archive.js";
import { containerRoutes } from "./containers.js";
import { execRoutes } from "./exec.js";
import { imageRoutes } from "./images.js";
import { systemRoutes } from "./system.js";

/** The most events one page of `/strata/events` holds, and its default. */
export const MAX_EVENTS_PAGE = 1000;
const DEFAULT_EVENTS_PAGE = 100;
/** A page stops growing past this many bytes of JSON (it always holds at least one event). */
const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/** A whole number query value from `min`, or the typed 400 naming the parameter. */
function wholeNumber(value: string | undefined, name: string, min: number, what: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min)
    throw new InvalidParameterError(`invalid-${name}`, `invalid ${name} "${value}": ${what}`);
  return n;
}

const SEQ_RULE = "a seq is a whole number from 0 (before the first event) to the log's head";

export function strataRoutes(server: RouteContext): Route[] {
  const engine = server.backend.engine;

  /** Moments already replayed (the past never changes, so they stay right); the two latest are kept. */
  const moments = new Map<number, Promise<EngineMoment>>();
  const momentAt = (seq: number): Promise<EngineMoment> => {
    const known = moments.get(seq);
    if (known) return known;
    const made = engine.at(seq);
    moments.set(seq, made);
    made.catch(() => moments.delete(seq));
    while (moments.size > 2) moments.delete(moments.keys().next().value as number);
    return made;
  };

  /** The moment `at=` names (after catching up), or now. */
  const moment = async (req: DockerRequest): Promise<EngineMoment> => {
    const at = wholeNumber(req.string("at"), "at", 0, SEQ_RULE);
    await engine.catchUp();
    return at === undefined || at === engine.seq ? engine.now() : momentAt(at);
  };

  const containerAt = (m: EngineMoment, ref: string): ContainerRecord => {
    const record = findContainer(m.core, ref);
    if (!record) throw new NotFoundError("no-such-container", `No such container: ${ref}${atText(m)}`);
    return record;
  };
  const imageAt = (m: EngineMoment, ref: string): ImageRecord => {
    const image = findImage(m.core, ref)?.image;
    if (!image) throw new NotFoundError("no-such-image", `No such image: ${ref}${atText(m)}`);
    return image;
  };
  const atText = (m: EngineMoment) => (m.seq === engine.seq ? "" : ` (at seq ${m.seq})`);

  /** `ls` and `cat` of a union view (a container's or an image's). */
  const fileRoutes = (prefix: string, param: string, check: (m: EngineMoment, ref: string) => unknown) => [
    route("GET", `${prefix}/{${param}}/ls`, async (req, res) => {
      const m = await moment(req);
      const ref = req.param(param);
      check(m, ref);
      sendJson(res, 200, listing(m.view(ref), req.string("path") ?? "/"));
    }),
    route("GET", `${prefix}/{${param}}/cat`, async (req, res) => {
      const m = await moment(req);
      const ref = req.param(param);
      check(m, ref);
      const path = req.string("path");
      if (path === undefined || path === "")
        throw new InvalidParameterError(
          "missing-path",
          "path is required: the file to read, e.g. ?path=/etc/hostname",
        );
      const view = m.view(ref);
      const digest = view.stat(path).digest;
      if (digest) await engine.blobs.fetch([digest]);
      const bytes = view.readFile(path);
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.length });
      res.end(bytes);
    }),
  ];

  const pastRoute = (method: string): Route => ({
    method,
    pattern: /^\/strata\/at\/(?<seq>[^/]*)(?<rest>\/.*)$/,
    handle: async (req, res) => {
      const seq = wholeNumber(req.param("seq"), "seq", 0, SEQ_RULE);
      if (seq === undefined) throw new InvalidParameterError("invalid-seq", `invalid seq "": ${SEQ_RULE}`);
      if (method !== "GET" && method !== "HEAD") throw new ReadOnlyPastError(seq);
      await answerAsOf(req, res, seq);
    },
  });

  /** Answers `req`'s Docker path (after `/strata/at/{seq}`) from the engine as it was right after `seq`. */
  const answerAsOf = async (req: DockerRequest, res: ServerResponse, seq: number) => {
    await engine.catchUp();
    const m = await momentAt(seq);
    const [event] = seq === 0 ? await engine.log.read(1, 1) : await engine.log.read(seq, 1);
    const past = new PastEngine(engine, m, event?.recordedAt ?? engine.clock.now());
    const backend: DockerBackend = { ...server.backend, engine: past.asEngine() };
    const context: RouteContext = {
      backend,
      maxUploadBytes: server.maxUploadBytes,
      bodyIdleMs: server.bodyIdleMs,
      holdOpen: (r) => server.holdOpen(r),
      upgraded: (r) => server.upgraded(r),
      onClose: (listener) => server.onClose(listener),
    };
    const routes = [
      ...systemRoutes(context),
      ...archiveRoutes(context),
      ...execRoutes(context),
      ...containerRoutes(context),
      ...imageRoutes(context),
    ];
    // A client with `-H tcp://host/strata/at/40` puts its `/v1.xx` after the base path.
    const rest = req.param("rest").replace(/^\/v[0-9.]+(?=\/)/, "");
    const found = match(routes, req.method, rest);
    if (!found) throw new NotFoundError("page-not-found", "page not found");
    await found.route.handle(new DockerRequest(req.raw, rest, req.query, found.params), res);
  };

  return [
    route("GET", "/strata/log", async (_req, res) => {
      await engine.catchUp();
      const head = await engine.log.lastSeq();
      const [last] = head === 0 ? [] : await engine.log.read(head, 1);
      sendJson(res, 200, {
        head,
        recordedAt: last?.recordedAt ?? null,
        time: last ? rfc3339Nano(last.recordedAt) : null,
      });
    }),

    route("GET", "/strata/events", async (req, res) => {
      const from = wholeNumber(req.string("from"), "from", 1, "a seq, a whole number from 1") ?? 1;
      const limit =
        wholeNumber(req.string("limit"), "limit", 1, `a whole number from 1 to ${MAX_EVENTS_PAGE}`) ??
        DEFAULT_EVENTS_PAGE;
      if (limit > MAX_EVENTS_PAGE)
        throw new InvalidParameterError(
          "invalid-limit",
          `invalid limit "${limit}": a whole number from 1 to ${MAX_EVENTS_PAGE}`,
        );
      const head = await engine.log.lastSeq();
      const read = await engine.log.read(from, limit);
      const events: unknown[] = [];
      let bytes = 0;
      for (const e of read) {
        if (events.length > 0 && bytes > MAX_PAGE_BYTES) break;
        bytes += JSON.stringify(e.data)?.length ?? 0;
        events.push(e);
      }
      const last = (read[events.length - 1]?.seq ?? from - 1) + 1;
      sendJson(res, 200, { head, events, next: last <= head ? last : null });
    }),

    route("GET", "/strata/containers/{id}/layers", async (req, res) => {
      const m = await moment(req);
      const record = containerAt(m, req.param("id"));
      const image = m.core.images[record.context.imageId];
      sendJson(res, 200, {
        container: record.context.id,
        image: record.context.imageId,
        layers: image?.layers ?? [],
        changes: m.diff(record.context.id).length,
        seq: m.seq,
      });
    }),
    ...fileRoutes("/strata/containers", "id", containerAt),
    ...fileRoutes("/strata/images", "name", imageAt),
    route("GET", "/strata/containers/{id}", async (req, res) => {
      const m = await moment(req);
      const record = containerAt(m, req.param("id"));
      sendJson(res, 200, { seq: m.seq, ...record });
    }),
    route("GET", "/strata/images/{name}", async (req, res) => {
      const m = await moment(req);
      sendJson(res, 200, { seq: m.seq, ...imageAt(m, req.param("name")) });
    }),

    ...["GET", "HEAD", "POST", "PUT", "DELETE"].map(pastRoute),
  ];
}

/** `ls -l` of `path` in a view: the entries of a directory (lstat each), or the one entry it names. */
function listing(view: UnionView, path: string): Record<string, unknown>[] {
  const entry = (name: string, s: ReturnType<UnionView["stat"]>) => ({
    name,
    type: s.type,
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    mtime: rfc3339Nano(s.mtime),
    ...(s.target !== undefined ? { target: s.target } : {}),
    layer: s.layer,
  });
  const self = view.stat(path);
  if (self.type !== "dir") return [entry(path.split("/").pop() || path, self)];
  const base = path.endsWith("/") ? path : `${path}/`;
  return view.readdir(path).map((name) => entry(name, view.stat(`${base}${name}`, { follow: false })));
}
