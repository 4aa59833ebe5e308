/**
 * Exec (create, start, inspect, resize), attach and logs. (Being written: see issue 12.)
 */
import type { Route, RouteContext } from "../router.js";

export function execRoutes(_server: RouteContext): Route[] {
  return [];
}
