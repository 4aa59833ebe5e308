/**
 * `GET /events`: the log as Docker's event stream. (Being written: see issue 12.)
 */
import type { Route, RouteContext } from "../router.js";

export function eventRoutes(_server: RouteContext): Route[] {
  return [];
}
