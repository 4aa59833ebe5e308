/**
 * Images: list, inspect, history, tag, remove, prune, commit, save (`GET /images/get`), load, and the
 * pull that a daemon without a registry refuses. (Being written: see issue 12.)
 */
import type { Route, RouteContext } from "../router.js";

export function imageRoutes(_server: RouteContext): Route[] {
  return [];
}
