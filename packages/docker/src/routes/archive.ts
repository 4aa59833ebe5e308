/**
 * `docker cp` both ways (moby api/server/router/container/copy.go): `HEAD`/`GET`/`PUT
 * /containers/{id}/archive?path=…` over the container's union view. HEAD answers the path's stat in
 * `X-Docker-Container-Path-Stat`; GET a tar of it with the same header (gzip or deflate when the client
 * asks for it); PUT extracts an uploaded tar into a directory, each change an `fs.*` command through the
 * engine (containerArchive.ts and extractToContainer.ts say how, rule by rule).
 */
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createDeflateRaw, createGzip } from "node:zlib";
import { archiveContainerPath, containerNow, statContainerPath } from "../containerArchive.js";
import type { DockerRequest } from "../DockerRequest.js";
import { extractToContainer } from "../extractToContainer.js";
import { sendEmpty } from "../respond.js";
import { type Route, type RouteContext, route } from "../router.js";
import { DockerApiError, dockerError } from "../shapes/errors.js";
import { pathStatHeader } from "../shapes/pathStat.js";

/** The `path` query value; moby's message for a missing one, word for word (its missing space too). */
function archivePath(req: DockerRequest): string {
  const path = req.string("path") ?? "";
  if (path === "") throw new DockerApiError(400, "bad parameter: pathcannot be empty");
  return path;
}

/**
 * The encoding gddo's `NegotiateContentEncoding` picks among gzip and deflate for `Accept-Encoding`:
 * the highest quality, the first offer on a tie; none without the header.
 */
function negotiateEncoding(header: string | undefined): "gzip" | "deflate" | null {
  if (!header) return null;
  let best: { name: "gzip" | "deflate"; q: number } | null = null;
  const quality = new Map<string, number>();
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    quality.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  for (const name of ["gzip", "deflate"] as const) {
    const q = quality.get(name) ?? quality.get("*") ?? 0;
    if (q > 0 && (best === null || q > best.q)) best = { name, q };
  }
  return best?.name ?? null;
}

export function archiveRoutes(server: RouteContext): Route[] {
  const engine = server.backend.engine;
  return [
    route("HEAD", "/containers/{id}/archive", async (req, res) => {
      const path = archivePath(req);
      const ref = req.param("id");
      const { view } = await containerNow(engine, ref);
      res.setHeader("X-Docker-Container-Path-Stat", pathStatHeader(statContainerPath(view, path, ref)));
      sendEmpty(res, 200);
    }),

    route("GET", "/containers/{id}/archive", async (req, res) => {
      const path = archivePath(req);
      const ref = req.param("id");
      const { view } = await containerNow(engine, ref);
      const archive = await archiveContainerPath(engine, view, path, ref);
      const encoding = negotiateEncoding(req.raw.headers["accept-encoding"]);
      res.writeHead(200, {
        "X-Docker-Container-Path-Stat": pathStatHeader(archive.stat),
        "Content-Type": "application/x-tar",
        ...(encoding ? { "Content-Encoding": encoding } : {}),
      });
      await send(res, Readable.from(archive.tar), encoding);
    }),

    route("PUT", "/containers/{id}/archive", async (req, res) => {
      const path = archivePath(req);
      try {
        await extractToContainer(engine, {
          container: req.param("id"),
          path,
          copyUIDGID: req.bool("copyUIDGID"),
          noOverwriteDirNonDir: req.bool("noOverwriteDirNonDir"),
          // Left readable when extraction stops early, so the answer can still reach the client.
          body: req.raw.iterator({ destroyOnReturn: false }),
          limit: server.maxUploadBytes,
        });
      } catch (e) {
        if (!req.raw.complete) discardRest(req, res, server.maxUploadBytes, dockerError(e).status === 413);
        throw e;
      }
      sendEmpty(res, 200);
    }),
  ];
}

/**
 * After a refusal, the rest of an upload the client is still sending: read and dropped (as Go's server
 * does), so the client, busy writing, still reads the answer; past `limit` (or after a 413) the
 * connection is closed instead.
 */
function discardRest(req: DockerRequest, res: ServerResponse, limit: number, tooLarge: boolean): void {
  if (tooLarge) {
    res.setHeader("Connection", "close");
    res.once("finish", () => req.raw.destroy());
    return;
  }
  let size = 0;
  req.raw.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) req.raw.destroy();
  });
  req.raw.resume();
}

/** Writes the tar, compressed as negotiated; a failure part-way cuts the stream (the client sees it). */
async function send(res: ServerResponse, tar: Readable, encoding: "gzip" | "deflate" | null): Promise<void> {
  try {
    if (encoding === "gzip") await pipeline(tar, createGzip(), res);
    else if (encoding === "deflate") await pipeline(tar, createDeflateRaw(), res);
    else await pipeline(tar, res);
  } catch {
    res.destroy();
  }
}
