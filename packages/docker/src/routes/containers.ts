/**
 * Containers: create, list, inspect, start, stop, kill, pause, unpause, restart, rename, resize, wait,
 * changes, remove, prune (moby api/server/router/container). Each runs one command through the engine
 * and answers with Docker's status and shape; the engine's errors carry Docker's words and status.
 */
import {
  type Command,
  type ContainerRecord,
  createSettings,
  type EngineState,
  findContainer,
  findImage,
  NotFoundError,
  startWait,
  type WaitCondition,
} from "@strata/core";
import type { DockerRequest } from "../DockerRequest.js";
import { sendEmpty, sendJson } from "../respond.js";
import { type Route, type RouteContext, route } from "../router.js";
import { CONTAINER_FILTERS, matchesContainerFilters } from "../shapes/containerFilters.js";
import { containerInspect, containerSummary } from "../shapes/containerShapes.js";
import { createCommand } from "../shapes/createRequest.js";
import { DockerApiError } from "../shapes/errors.js";

export function containerRoutes(server: RouteContext): Route[] {
  const engine = server.backend.engine;

  /** Runs a command; a refusal is thrown (the server answers with its status and message). */
  const run = async (command: Command) => {
    const r = await engine.execute(command);
    if (!r.ok) throw r.error;
    return r;
  };

  /** The container `ref` names now (after catching up), or Docker's 404. */
  const container = async (ref: string): Promise<{ record: ContainerRecord; state: EngineState }> => {
    await engine.catchUp();
    const state = engine.state;
    if (ref === "") throw new DockerApiError(400, 'invalid name or ID supplied: ""');
    const record = findContainer(state, ref);
    if (!record) throw new NotFoundError("no-such-container", `No such container: ${ref}`);
    return { record, state };
  };

  /**
   * Resolves when `done` holds of the state (checked now, and after every batch of events the engine
   * folds in: its own, its timers', other writers').
   */
  const until = (done: (state: EngineState) => boolean): Promise<void> =>
    new Promise((resolve) => {
      if (done(engine.state)) return resolve();
      const off = engine.onEvents(() => {
        if (!done(engine.state)) return;
        off();
        resolve();
      });
    });

  /** Whether the container `id` is gone or no longer running (stop and restart answer only then). */
  const stopped = (id: string) => (state: EngineState) => {
    const c = state.containers[id];
    return !c || (c.status !== "running" && c.status !== "paused");
  };

  /** A container verb that answers 204 (304 when the engine says nothing changed). */
  const verb = (path: string, command: (req: DockerRequest, ref: string) => Command) =>
    route("POST", `/containers/{id}/${path}`, async (req, res) => {
      await run(command(req, req.param("id")));
      sendEmpty(res, 204);
    });

  return [
    route("POST", "/containers/create", async (req, res) => {
      const body = await req.json();
      const command = createCommand(body, req.string("name"));
      // moby validates the settings first (verifyContainerSettings: healthcheck, restart policy…), then
      // finds the image, merges its config and refuses a container with nothing to run, and only then
      // reserves the name (daemon/create.go). The engine refuses bad settings and a missing image itself.
      await engine.catchUp();
      const image =
        createSettings(command).invalid === null ? findImage(engine.state, command.image)?.image : undefined;
      const cmd = command.cmd ?? image?.config?.cmd ?? image?.cmd ?? [];
      const entrypoint = command.entrypoint ?? image?.config?.entrypoint ?? [];
      if (image && cmd.length === 0 && entrypoint.length === 0)
        throw new DockerApiError(400, "no command specified");
      const r = await run(command);
      const created = r.events.find((e) => e.type === "container.created");
      sendJson(res, 201, { Id: created?.streamId ?? "", Warnings: [] });
    }),

    route("GET", "/containers/json", async (req, res) => {
      const filters = req.filters(CONTAINER_FILTERS);
      const limit = req.int("limit") ?? -1;
      const all = req.bool("all") || limit > 0 || filters.has("status");
      await engine.catchUp();
      const state = engine.state;
      const now = engine.clock.now();
      const rows = Object.values(state.containers)
        .filter((c) => all || c.status === "running" || c.status === "paused" || c.status === "restarting")
        .filter((c) => matchesContainerFilters(c, state, filters))
        .sort((a, b) => b.context.createdAt - a.context.createdAt)
        .slice(0, limit > 0 ? limit : undefined)
        .map((c) => containerSummary(c, state, now));
      sendJson(res, 200, rows);
    }),

    route("GET", "/containers/{id}/json", async (req, res) => {
      const { record } = await container(req.param("id"));
      sendJson(res, 200, containerInspect(record));
    }),

    route("POST", "/containers/{id}/start", async (req, res) => {
      const length = Number(req.raw.headers["content-length"] ?? 0);
      if (length > 7 || req.raw.headers["transfer-encoding"] === "chunked")
        throw new DockerApiError(
          400,
          "starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24",
        );
      await run({ type: "container.start", container: req.param("id") });
      sendEmpty(res, 204);
    }),

    // dockerd answers a stop once the container stopped: after the signal, or the SIGKILL at the timeout.
    route("POST", "/containers/{id}/stop", async (req, res) => {
      const ref = req.param("id");
      const r = await run({
        type: "container.stop",
        container: ref,
        ...(req.int("t") !== undefined ? { timeout: req.int("t") as number } : {}),
        ...(req.string("signal") ? { signal: req.string("signal") as string } : {}),
      });
      const id = r.events[0]?.streamId ?? (await container(ref)).record.context.id;
      await until(stopped(id));
      sendEmpty(res, 204);
    }),
    verb("kill", (req, ref) => ({
      type: "container.kill",
      container: ref,
      ...(req.string("signal") ? { signal: req.string("signal") as string } : {}),
    })),
    verb("pause", (_req, ref) => ({ type: "container.pause", container: ref })),
    verb("unpause", (_req, ref) => ({ type: "container.unpause", container: ref })),
    // A restart answers once the container runs again (or stays down: a refused start).
    route("POST", "/containers/{id}/restart", async (req, res) => {
      const ref = req.param("id");
      const r = await run({
        type: "container.restart",
        container: ref,
        ...(req.int("t") !== undefined ? { timeout: req.int("t") as number } : {}),
      });
      const id = r.events[0]?.streamId ?? (await container(ref)).record.context.id;
      await until((state) => state.containers[id]?.context.pendingStop == null);
      sendEmpty(res, 204);
    }),
    verb("rename", (req, ref) => ({
      type: "container.rename",
      container: ref,
      name: req.string("name") ?? "",
    })),

    route("POST", "/containers/{id}/resize", async (req, res) => {
      for (const dim of ["h", "w"]) {
        const v = req.string(dim);
        if (v === undefined || !/^\d+$/.test(v))
          throw new DockerApiError(400, `invalid resize ${dim === "h" ? "height" : "width"} "${v ?? ""}"`);
      }
      await container(req.param("id"));
      sendEmpty(res, 200);
    }),

    route("POST", "/containers/{id}/wait", async (req, res) => {
      const body = (await req.json().catch(() => undefined)) as { condition?: string } | undefined;
      const condition = (req.string("condition") || body?.condition || "not-running") as WaitCondition;
      const ref = req.param("id");
      // Refusals (a bad condition, no such container) before the headers; then the headers at once: the
      // docker CLI sends /start only after they arrive.
      await engine.catchUp();
      startWait(engine.state, ref, condition);
      server.holdOpen(res);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.flushHeaders();
      const result = await engine.wait(ref, condition);
      res.end(
        `${JSON.stringify(result.error ? { StatusCode: result.statusCode, Error: { Message: result.error } } : { StatusCode: result.statusCode })}\n`,
      );
    }),

    route("GET", "/containers/{id}/changes", async (req, res) => {
      await container(req.param("id"));
      const kinds = { C: 0, A: 1, D: 2 } as const;
      const changes = engine.now().diff(req.param("id"));
      sendJson(
        res,
        200,
        changes.length === 0 ? null : changes.map((c) => ({ Path: c.path, Kind: kinds[c.kind] })),
      );
    }),

    route("POST", "/containers/prune", async (req, res) => {
      const filters = req.filters(["until", "label", "label!"]);
      const until = filters.get("until")?.[0];
      const r = await run({
        type: "container.prune",
        ...(until !== undefined ? { until: dockerTimeMs(until, engine.clock.now()) } : {}),
        ...(filters.has("label") ? { labels: filters.get("label") as string[] } : {}),
        ...(filters.has("label!") ? { notLabels: filters.get("label!") as string[] } : {}),
      });
      const pruned = r.events.find((e) => e.type === "daemon.containersPruned");
      const ids = (pruned?.data as { containerIds?: string[] } | undefined)?.containerIds ?? [];
      sendJson(res, 200, { ContainersDeleted: ids.length > 0 ? ids : null, SpaceReclaimed: 0 });
    }),

    route("DELETE", "/containers/{id}", async (req, res) => {
      await run({ type: "container.remove", container: req.param("id"), force: req.bool("force") });
      sendEmpty(res, 204);
    }),
  ];
}

/** A prune filter's `until`: unix seconds, an RFC 3339 date, or a Go duration before now (`10m`, `24h`). */
function dockerTimeMs(value: string, now: number): number {
  const duration = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(value);
  if (duration) {
    const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[duration[2] as "s"];
    return now - Number(duration[1]) * unit;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new DockerApiError(400, `failed to parse value ${value} of filter until`);
  return t;
}
