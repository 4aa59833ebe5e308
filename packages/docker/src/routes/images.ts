/**
 * Images (moby api/server/router/image, and `POST /commit`): list, inspect, history, tag, remove,
 * prune, commit, save and load (imageArchives.ts), and the pull a daemon without a registry can only
 * answer from what it holds. Each runs at most one engine command and answers with dockerd's status,
 * shape and words (graphdriver store, dockerd 28's default); references are parsed and normalized as
 * dockerd does, so `docker.io/library/x` (what the docker client sends to tag and commit) is `x`.
 */
import type { ServerResponse } from "node:http";
import {
  type Command,
  type EngineState,
  type ImageRecord,
  InvalidParameterError,
  imageStoreOf,
  NotFoundError,
  StrataError,
} from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import { sendEmpty, sendJson } from "../respond.js";
import { type Route, type RouteContext, route } from "../router.js";
import { dockerTimestampMs } from "../shapes/dockerTimestamp.js";
import { DockerApiError } from "../shapes/errors.js";
import { boolFilter, IMAGE_LIST_FILTERS, listImages } from "../shapes/imageFilters.js";
import { lookupImage } from "../shapes/imageLookup.js";
import {
  familiarName,
  familiarString,
  isDigest,
  type NamedReference,
  parseNormalizedNamed,
  repoTagReference,
  tagNameOnly,
} from "../shapes/imageReference.js";
import { deleteAnswer } from "../shapes/imageRemoval.js";
import { imageHistory, imageInspect, imageSummary, sharedSizes, sortedTags } from "../shapes/imageShapes.js";
import { statusMessage } from "../shapes/jsonMessages.js";
import { imageArchiveRoutes } from "./imageArchives.js";
import { importRootFilesystem } from "./imageImport.js";

export function imageRoutes(server: RouteContext): Route[] {
  const engine = server.backend.engine;
  let pruning = false;

  const run = async (command: Command) => {
    const r = await engine.execute(command);
    if (!r.ok) throw r.error;
    return r;
  };
  const now = async (): Promise<EngineState> => {
    await engine.catchUp();
    return engine.state;
  };

  return [
    route("GET", "/images/json", async (req, res) => {
      const filters = req.filters(IMAGE_LIST_FILTERS);
      const state = await now();
      const rows = listImages(state, filters, req.bool("all"), engine.clock.now());
      const shared = req.bool("shared-size")
        ? sharedSizes(
            Object.values(state.images).filter((i) => i.status === "present"),
            engine.projected,
          )
        : null;
      sendJson(
        res,
        200,
        rows.map(({ image, tags }) => ({
          ...imageSummary(image, engine.projected, shared?.get(image.id) ?? -1),
          RepoTags: sortedTags(tags),
        })),
      );
    }),

    ...imageArchiveRoutes(server),

    route("POST", "/images/create", async (req, res) => {
      const from = req.string("fromImage") ?? "";
      if (from === "") return importRootFilesystem(engine, req, res, server.maxUploadBytes);
      await pullAnswer(engine, pullReference(from, req.string("tag") ?? ""), res);
    }),

    route("POST", "/images/prune", async (req, res) => {
      const filters = req.filters(["dangling", "label", "label!", "until"]);
      if (pruning) throw new DockerApiError(409, "a prune operation is already running");
      pruning = true;
      try {
        const danglingOnly = boolFilter(filters, "dangling", true);
        const until = filters.get("until") ?? [];
        if (until.length > 1) throw new DockerApiError(500, "more than one until filter specified");
        const r = await run({
          type: "image.prune",
          all: !danglingOnly,
          ...(until[0] !== undefined ? { until: dockerTimestampMs(until[0], engine.clock.now()) } : {}),
          ...(filters.has("label") ? { labels: filters.get("label") as string[] } : {}),
          ...(filters.has("label!") ? { notLabels: filters.get("label!") as string[] } : {}),
        });
        const answer = deleteAnswer(r.events, engine.state, engine.projected);
        sendJson(res, 200, {
          ImagesDeleted: answer.items.length > 0 ? answer.items : null,
          SpaceReclaimed: answer.reclaimed,
        });
      } finally {
        pruning = false;
      }
    }),

    route("POST", "/commit", async (req, res) => {
      await req.json(); // a base Config in the body is not applied (docs/docker-api.md); checked as moby does
      const ref = repoTagReference(req.string("repo") ?? "", req.string("tag") ?? "");
      const container = req.string("container") ?? "";
      if (container === "") throw new DockerApiError(400, 'invalid name or ID supplied: ""');
      const r = await run({
        type: "container.commit",
        container,
        ...(ref ? { tag: familiarString(ref) } : {}),
        comment: req.string("comment") ?? "",
        author: req.string("author") ?? "",
        pause: req.bool("pause", true),
        changes: req.strings("changes"),
      });
      // The image it made (one held already when the same content was committed before: no image.created).
      const committed = r.events.find((e) => e.type === "container.committed");
      sendJson(res, 201, { Id: committed?.type === "container.committed" ? committed.data.imageId : "" });
    }),

    route("GET", "/images/{name}/json", async (req, res) => {
      const { image } = lookupImage(await now(), req.param("name"));
      const state = engine.state;
      sendJson(res, 200, imageInspect(image, state, engine.projected, await lastTagTime(engine, image)));
    }),

    route("GET", "/images/{name}/history", async (req, res) => {
      const state = await now();
      const { image } = lookupImage(state, req.param("name"));
      sendJson(res, 200, imageHistory(image, state, engine.projected));
    }),

    route("POST", "/images/{name}/tag", async (req, res) => {
      const ref = repoTagReference(req.string("repo") ?? "", req.string("tag") ?? "");
      // moby answers an empty repo with nothing at all (an InvalidParameter of no error).
      if (ref === null) return sendEmpty(res, 200);
      if (familiarName(ref) === "sha256")
        throw new DockerApiError(400, "refusing to create an ambiguous tag using digest algorithm as name");
      let image: ImageRecord;
      try {
        image = lookupImage(await now(), req.param("name")).image;
      } catch (e) {
        // moby wraps every failure to find the source as NotFound.
        if (e instanceof StrataError || e instanceof DockerApiError) throw new DockerApiError(404, e.message);
        throw e;
      }
      await run({ type: "image.tag", image: image.id, tag: familiarString(ref) });
      sendEmpty(res, 201);
    }),

    route("POST", "/images/{name}/push", async (req) => {
      const name = req.param("name");
      const tag = req.string("tag") ?? "";
      const ref = tag === "" ? parseNormalizedNamed(name) : (repoTagReference(name, tag) as NamedReference);
      const state = await now();
      const shown = familiarString(tagNameOnly(ref));
      if (state.tags[shown] === undefined)
        throw new NotFoundError(
          "no-such-image",
          `An image does not exist locally with the tag: ${familiarName(ref)}`,
        );
      throw new DockerApiError(501, `strata has no registry to push ${shown} to: save it with docker save`);
    }),

    route("DELETE", "/images/{name}", async (req, res) => {
      const name = req.param("name");
      if (name.trim() === "") throw new InvalidParameterError("blank-name", "image name cannot be blank");
      lookupImage(await now(), name);
      const r = await run({
        type: "image.remove",
        image: name,
        force: req.bool("force"),
        noPrune: req.bool("noprune"),
      });
      sendJson(res, 200, deleteAnswer(r.events, engine.state, engine.projected).items);
    }),
  ];
}

/**
 * `fromImage` and `tag` of a pull as one reference (moby postImagesCreate), `scratch` refused. A name
 * with neither tag nor digest stays so: dockerd pulls every tag of the repository (`docker pull -a`).
 */
function pullReference(fromImage: string, tag: string): NamedReference {
  let ref = parseNormalizedNamed(fromImage.replace(/:$/, ""));
  if (tag !== "") {
    if (isDigest(tag)) ref = { ...ref, tag: null, digest: tag };
    else ref = repoTagReference(`${ref.domain}/${ref.path}`, tag) as NamedReference;
  }
  if (familiarName(ref) === "scratch") throw new DockerApiError(403, "'scratch' is a reserved name");
  return ref;
}

/**
 * A pull, without a registry, answered from what the engine holds: a tag it holds is up to date (what
 * dockerd streams for it, without the registry's `Digest:` line); a name alone is every tag it holds of
 * that repository. Anything else is what dockerd answers when the registry does not have the
 * repository: 404 before any output, `pull access denied for NAME, …` (on the graphdriver store with
 * the registry's `denied` error after it, moby distribution/errors.go; the containerd store says it
 * alone, daemon/containerd/image_pull.go). A digest is never held: the engine keeps no registry digests.
 */
async function pullAnswer(engine: DurableEngine, ref: NamedReference, res: ServerResponse): Promise<void> {
  await engine.catchUp();
  const state = engine.state;
  const classic = imageStoreOf(state) === "classic";
  const tags =
    ref.digest !== null
      ? []
      : ref.tag !== null
        ? [ref.tag].filter((t) => held(state, ref, t))
        : heldTags(state, ref);
  if (tags.length === 0)
    throw new NotFoundError(
      "no-such-image",
      `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login'${classic ? ": denied: requested access to the resource is denied" : ""}`,
    );
  res.writeHead(200, { "Content-Type": "application/json" });
  for (const tag of tags) {
    res.write(statusMessage(`Pulling from ${ref.path}`, tag));
    // The containerd store ends each tag with its status, the graphdriver store the whole pull.
    if (!classic)
      res.write(statusMessage(`Status: Image is up to date for ${familiarString({ ...ref, tag })}`));
  }
  res.end(classic ? statusMessage(`Status: Image is up to date for ${familiarString(ref)}`) : "");
}

const held = (state: EngineState, ref: NamedReference, tag: string): boolean =>
  state.tags[familiarString({ ...ref, tag, digest: null })] !== undefined;

/** The tags the engine holds in `ref`'s repository, sorted as a registry lists them. */
function heldTags(state: EngineState, ref: NamedReference): string[] {
  const name = familiarName(ref);
  const tags: string[] = [];
  for (const shown of Object.keys(state.tags)) {
    let r: NamedReference;
    try {
      r = parseNormalizedNamed(shown);
    } catch {
      continue; // a tag the engine took that is no Docker reference is in no repository a pull names
    }
    if (r.tag !== null && r.digest === null && familiarName(r) === name) tags.push(r.tag);
  }
  return tags.sort();
}

/**
 * When `docker tag` (or a commit) last tagged the image (moby's `LastTagTime`), from its events; tags
 * an image got when it was created (a load, an import) do not count, as in dockerd.
 */
async function lastTagTime(engine: DurableEngine, image: ImageRecord): Promise<number | null> {
  const events = await engine.log.readStream(image.id);
  let created: number | null = null;
  let last: number | null = null;
  for (const e of events) {
    if (e.type === "image.created") {
      created = e.recordedAt;
      last = null;
    } else if (e.type === "image.tagged" && !(image.containerId === null && e.recordedAt === created))
      last = e.recordedAt;
  }
  return last;
}
