/**
 * `docker save` (`GET /images/get?names=…`, `GET /images/{name}/get`) and `docker load`
 * (`POST /images/load`), through @strata/oci: save writes the archive current `docker save` writes (an
 * OCI layout with `manifest.json` and `repositories`), with the images and tags the names select as
 * dockerd's tarexport selects them; load reads any image archive through the hostile-safe importer, the
 * upload bounded by `maxUploadBytes` and kept in a private temporary file, and answers with dockerd's
 * message stream (`Loaded image: …`, errors in-band once the answer started).
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { type EngineState, type ImageRecord, NotFoundError } from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import { exportImagesArchive, importImageArchive, type OciEngine, type Platform } from "@strata/oci";
import type { DockerRequest } from "../DockerRequest.js";
import { type Route, type RouteContext, route } from "../router.js";
import { DockerApiError, dockerError } from "../shapes/errors.js";
import { noSuchImage } from "../shapes/imageLookup.js";
import { familiarName, familiarString, parseAnyReference } from "../shapes/imageReference.js";
import { platformOf } from "../shapes/imageShapes.js";
import { errorMessage, progressMessage, streamMessage } from "../shapes/jsonMessages.js";

export function imageArchiveRoutes(server: RouteContext): Route[] {
  const engine = server.backend.engine;
  const save = async (req: DockerRequest, res: ServerResponse, names: readonly string[]) => {
    const platform = platformParam(req);
    await engine.catchUp();
    const selected = selectForSave(engine.state, names);
    if (platform)
      for (const id of selected.keys()) {
        const p = platformOf(engine.state.images[id] as ImageRecord);
        if (p.os !== platform.os || p.architecture !== platform.architecture)
          throw new DockerApiError(
            500,
            `no suitable export target found for platform ${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ""}`,
          );
      }
    const dir = mkdtempSync(join(tmpdir(), "strata-save-"));
    try {
      const file = join(dir, "images.tar");
      await exportImagesArchive(withTags(engine, selected), [...selected.keys()], file, { format: "docker" });
      res.writeHead(200, { "Content-Type": "application/x-tar", "Content-Length": statSync(file).size });
      await pipeline(createReadStream(file), res);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  return [
    route("GET", "/images/get", (req, res) => save(req, res, req.strings("names"))),
    route("GET", "/images/{name}/get", (req, res) => save(req, res, [req.param("name")])),

    route("POST", "/images/load", async (req, res) => {
      const platform = platformParam(req);
      const quiet = req.bool("quiet", true);
      const dir = mkdtempSync(join(tmpdir(), "strata-load-"));
      try {
        const file = join(dir, "archive.tar");
        await receive(req, res, server.maxUploadBytes, file);
        await engine.catchUp();
        const before = engine.state;
        res.writeHead(200, { "Content-Type": "application/json" });
        res.flushHeaders();
        let shown = -1;
        try {
          const r = await importImageArchive(engine, file, {
            existing: "tag",
            ...(platform ? { platform } : {}),
            ...(quiet
              ? {}
              : {
                  onProgress: ({ done, total }) => {
                    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
                    if (percent === shown) return;
                    shown = percent;
                    res.write(progressMessage("Loading layer", done, total));
                  },
                }),
          });
          const loaded = r.images.filter((i) => i.main);
          for (const image of loaded)
            for (const tag of image.tags) {
              const previous = before.tags[tag];
              if (previous !== undefined && previous !== image.imageId)
                res.write(
                  streamMessage(
                    `The image ${tag} already exists, renaming the old one with ID ${previous} to empty string\n`,
                  ),
                );
              res.write(streamMessage(`Loaded image: ${tag}\n`));
            }
          // dockerd lists the ids when the last image has no tag (its count is of the last one).
          if ((loaded.at(-1)?.tags.length ?? 0) === 0)
            res.write(streamMessage(loaded.map((i) => `Loaded image ID: ${i.imageId}\n`).join("")));
        } catch (e) {
          // The server's temporary file is no business of the client's.
          res.write(errorMessage(dockerError(e).message.replaceAll(file, "the archive")));
        }
        res.end();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  ];
}

/** The `platform` query value (one at most, moby's JSON form), or undefined. */
function platformParam(req: DockerRequest): Platform | undefined {
  const values = req.strings("platform").filter((v) => v !== "");
  if (values.length > 1) throw new DockerApiError(400, "multiple platform parameters not supported");
  if (values.length === 0) return undefined;
  let p: { os?: unknown; architecture?: unknown; variant?: unknown };
  try {
    p = JSON.parse(values[0] as string);
  } catch (e) {
    throw new DockerApiError(400, `failed to parse platform: ${(e as Error).message}`);
  }
  const os = typeof p?.os === "string" ? p.os : "";
  const architecture = typeof p?.architecture === "string" ? p.architecture : "";
  const variant = typeof p?.variant === "string" && p.variant !== "" ? p.variant : undefined;
  if (os === "" && architecture === "" && variant)
    throw new DockerApiError(400, "optional platform fields provided, but OS and Architecture are missing");
  if (os === "" || architecture === "")
    throw new DockerApiError(400, "both OS and Architecture must be provided");
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/**
 * The images `names` select and the tags each is saved with (moby image/tarexport `parseNames`): an id
 * or digest, the image without tags; `name:tag`, that tag; a bare name, every tag of that repository
 * (or, with none, an image whose id starts with it).
 */
export function selectForSave(state: EngineState, names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (id: string, tag: string | null) => {
    const tags = out.get(id) ?? [];
    if (tag !== null && !tags.includes(tag)) tags.push(tag);
    out.set(id, tags);
  };
  for (const name of names) {
    const ref = parseAnyReference(name);
    if (ref.kind === "digest") {
      if (state.images[ref.digest]?.status !== "present") throw noSuchImage(ref);
      add(ref.digest, null);
      continue;
    }
    // What dockerd's image store finds by an id prefix (an ambiguous one finds nothing).
    const byPrefix = () => {
      const hex = /^(?:sha256:)?([0-9a-f]+)$/.exec(name)?.[1];
      const matches =
        hex === undefined
          ? []
          : Object.values(state.images).filter(
              (i) => i.status === "present" && i.id.slice(7).startsWith(hex),
            );
      if (matches.length !== 1) throw new NotFoundError("no-such-image", `No such image: ${name}`);
      return (matches[0] as ImageRecord).id;
    };
    if (familiarName(ref) === "sha256") {
      add(byPrefix(), null);
      continue;
    }
    if (ref.tag === null && ref.digest === null) {
      const repo = familiarString(ref);
      const tags = Object.keys(state.tags).filter((t) => t.slice(0, t.lastIndexOf(":")) === repo);
      for (const tag of tags.sort()) add(state.tags[tag] as string, tag);
      if (tags.length === 0) add(byPrefix(), null);
      continue;
    }
    const tag = familiarString(ref);
    const id = ref.digest === null ? state.tags[tag] : undefined;
    if (id === undefined || state.images[id]?.status !== "present")
      throw new NotFoundError("no-such-reference", "reference does not exist");
    add(id, tag);
  }
  return out;
}

/** The engine as the exporter sees it, each selected image carrying only the tags selected for it. */
function withTags(engine: DurableEngine, selected: ReadonlyMap<string, readonly string[]>): OciEngine {
  const state = engine.state;
  const images = { ...state.images };
  for (const [id, tags] of selected) images[id] = { ...(state.images[id] as ImageRecord), tags: [...tags] };
  return {
    state: { ...state, images },
    projected: engine.projected,
    blobs: engine.blobs,
    clock: engine.clock,
    execute: (command) => engine.execute(command),
  };
}

/** The request body into `file`, at most `limit` bytes (more is 413, and the connection closes). */
export async function receive(
  req: DockerRequest,
  res: ServerResponse,
  limit: number,
  file: string,
): Promise<void> {
  const out = createWriteStream(file, { mode: 0o600 });
  let size = 0;
  try {
    for await (const chunk of req.raw) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.setHeader("Connection", "close");
        throw new DockerApiError(413, `request body is larger than ${limit} bytes`);
      }
      if (!out.write(chunk)) await once(out, "drain");
    }
  } finally {
    out.end();
    await once(out, "close");
  }
}
