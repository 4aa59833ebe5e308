/**
 * Strata's own paths (`/strata/…`): time travel over the log, never changing a standard endpoint.
 * (Being written: see issue 12.)
 */
import type { Route, RouteContext } from "../router.js";

export function strataRoutes(_server: RouteContext): Route[] {
  return [];
}
