/**
 * `GET /events`: the log as Docker's event stream (moby api/server/router/system `getEvents`).
 *
 * The headers go first (the client waits for them), then one JSON message per line, each written as
 * soon as its Strata event is in the log. With `since` or `until` the stream starts at the beginning of
 * the log and sends what falls in the range, which dockerd can only do for its last 256 events; with
 * neither it starts now. An `until` before now ends the answer once the log as it was is read; a later
 * one ends it at that time. Messages are read from the log a batch at a time and the next batch waits
 * until the client has taken the last one, so a slow client holds the server to one batch, never more.
 */
import type { ServerResponse } from "node:http";
import { type EngineState, initialState, parseEvent } from "@strata/core";
import type { StoredEvent, Subscription } from "@strata/store";
import { type Route, type RouteContext, route } from "../router.js";
import { DockerEventMapper, encodeDockerEvent } from "../shapes/dockerEvents.js";
import { dockerTimestamp } from "../shapes/dockerTimestamp.js";
import { DockerApiError } from "../shapes/errors.js";
import { parseEventFilters } from "../shapes/eventFilters.js";
import { API_VERSION } from "../shapes/system.js";

/** The API version a request was made with (its `/v1.xx` prefix; a bare path speaks the newest). */
function requestVersion(url: string | undefined): number[] {
  const m = /^\/v(\d+)\.(\d+)\//.exec(url ?? "");
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : API_VERSION.split(".").map(Number);
  return [major ?? 1, minor ?? 0];
}

/** Resolves when `res` can take more (or is gone). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export function eventRoutes(server: RouteContext): Route[] {
  const engine = server.backend.engine;
  return [
    route("GET", "/events", async (req, res) => {
      const nowMs = engine.clock.now();
      const sinceText = req.string("since") ?? "";
      const untilText = req.string("until") ?? "";
      const since = dockerTimestamp(sinceText, nowMs);
      const until = dockerTimestamp(untilText, nowMs);
      if (until !== null && since !== null && until < since)
        throw new DockerApiError(
          400,
          `\`since\` time (${sinceText}) cannot be after \`until\` time (${untilText})`,
        );
      const filter = parseEventFilters(req.string("filters"));
      // Image `create` events exist from API 1.46 on; older clients do not get them.
      const [major, minor] = requestVersion(req.raw.url);
      const withImageCreate = (major as number) > 1 || (minor as number) >= 46;

      await engine.catchUp();
      const replay = since !== null || until !== null;
      const start: EngineState = replay ? initialState() : engine.state;
      const head = engine.seq;
      const nowNs = BigInt(nowMs) * 1_000_000n;
      const onlyPast = until !== null && until < nowNs;
      const from = since ?? (until !== null ? 0n : null);

      server.holdOpen(res);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.flushHeaders();

      const mapper = new DockerEventMapper(start);
      let subscription: Subscription | null = null;
      let timer: ReturnType<typeof setTimeout> | null = null;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        if (timer) clearTimeout(timer);
        if (!res.writableEnded && !res.destroyed) res.end();
        // Not awaited: this may run inside the subscription's own handler.
        subscription?.close().catch(() => {});
      };
      res.once("close", finish);

      const handle = async (batch: readonly StoredEvent[]): Promise<void> => {
        if (finished) return;
        let chunk = "";
        let reachedHead = false;
        try {
          for (const stored of batch) {
            if (onlyPast && stored.seq > head) {
              reachedHead = true;
              break;
            }
            for (const m of mapper.next(parseEvent(stored, `seq ${stored.seq}`))) {
              if (from !== null && m.timeNano < from) continue;
              if (until !== null && m.timeNano > until) continue;
              if (!withImageCreate && m.Type === "image" && m.Action === "create") continue;
              if (!filter.includes(m)) continue;
              chunk += encodeDockerEvent(m);
            }
            if (onlyPast && stored.seq >= head) reachedHead = true;
          }
        } catch {
          // A log this build cannot read past: end the answer (the headers are gone, so no error status).
          finish();
          return;
        }
        if (chunk !== "" && !res.writableEnded && !res.destroyed && !res.write(chunk)) await drained(res);
        if (reachedHead) finish();
      };

      if (onlyPast && head === start.seq) return finish();
      subscription = engine.log.subscribe(start.seq + 1, handle);
      if (finished) subscription.close().catch(() => {});
      if (until !== null && !onlyPast) {
        const untilMs = Number(until / 1_000_000n);
        const arm = () => {
          const left = untilMs - engine.clock.now();
          if (left < 0) return finish();
          timer = setTimeout(arm, Math.min(left + 1, 2 ** 31 - 1));
        };
        arm();
      }
    }),
  ];
}
