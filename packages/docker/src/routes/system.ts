/**
 * `/_ping` (with the headers the client negotiates from), `/version`, `/info`.
 */
import { sendJson } from "../respond.js";
import { type Route, type RouteContext, route } from "../router.js";
import { API_VERSION, infoBody, versionBody } from "../shapes/system.js";

const PING_HEADERS = {
  "Api-Version": API_VERSION,
  Ostype: "linux",
  "Docker-Experimental": "false",
  "Builder-Version": "1",
  Swarm: "inactive",
  "Cache-Control": "no-cache, no-store, must-revalidate",
  Pragma: "no-cache",
  "Content-Type": "text/plain; charset=utf-8",
};

export function systemRoutes(server: RouteContext): Route[] {
  const { backend } = server;
  return [
    route("HEAD", "/_ping", (_req, res) => {
      res.writeHead(200, { ...PING_HEADERS, "Content-Length": 0 });
      res.end();
    }),
    route("GET", "/_ping", (_req, res) => {
      res.writeHead(200, { ...PING_HEADERS, "Content-Length": 2 });
      res.end("OK");
    }),
    route("GET", "/version", (_req, res) => sendJson(res, 200, versionBody())),
    route("GET", "/info", async (_req, res) => {
      await backend.engine.catchUp();
      sendJson(
        res,
        200,
        infoBody(backend.engine.state, {
          id: backend.id,
          name: backend.name,
          location: backend.location,
          now: backend.engine.clock.now(),
        }),
      );
    }),
  ];
}
