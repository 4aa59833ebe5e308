/**
 * `docker save` (`GET /images/get`, `GET /images/{name}/get`) and `docker load` (`POST /images/load`).
 */
import type { Route, RouteContext } from "../router.js";

export function imageArchiveRoutes(_server: RouteContext): Route[] {
  return [];
}
