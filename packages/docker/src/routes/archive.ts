/**
 * `docker cp` both ways: `HEAD`/`GET`/`PUT /containers/{id}/archive` over the container's union view.
 * (Being written: see issue 12.)
 */
import type { Route, RouteContext } from "../router.js";

export function archiveRoutes(_server: RouteContext): Route[] {
  return [];
}
