/**
 * `docker ps --filter` as moby applies it (daemon/list.go): keys combine with AND, values of one key
 * with OR (label values with AND). Strata has no networks, volumes or published ports: filters on them
 * match no container.
 */
import { type ContainerRecord, type EngineState, findContainer, findImage } from "@strata/core";
import { DockerApiError } from "./errors.js";

export const CONTAINER_FILTERS = [
  "ancestor",
  "before",
  "since",
  "exited",
  "id",
  "isolation",
  "label",
  "name",
  "status",
  "health",
  "volume",
  "network",
  "is-task",
  "publish",
  "expose",
] as const;

const STATES = ["created", "running", "paused", "restarting", "removing", "exited", "dead"];

/** Whether `value` matches `text` as moby's name/id filters do: a regular expression, or literally. */
function regexOrExact(value: string, text: string): boolean {
  try {
    return new RegExp(value).test(text);
  } catch {
    return text === value;
  }
}

/** Whether a label filter (`k` or `k=v`) holds for `labels`. */
export function labelMatches(filter: string, labels: Readonly<Record<string, string>>): boolean {
  const eq = filter.indexOf("=");
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

export function matchesContainerFilters(
  record: ContainerRecord,
  state: EngineState,
  filters: ReadonlyMap<string, readonly string[]>,
): boolean {
  const c = record.context;
  const any = (key: string, test: (v: string) => boolean) => {
    const values = filters.get(key);
    return values === undefined || values.some(test);
  };
  for (const v of filters.get("status") ?? [])
    if (!STATES.includes(v))
      throw new DockerApiError(
        400,
        `invalid filter 'status=${v}': invalid value for state (${v}): must be one of created, running, paused, restarting, removing, exited, dead`,
      );
  if (!any("status", (v) => v === record.status)) return false;
  if (!any("id", (v) => c.id.startsWith(v) || regexOrExact(v, c.id))) return false;
  if (!any("name", (v) => regexOrExact(v, c.name) || regexOrExact(v, `/${c.name}`))) return false;
  const labels = c.config.labels ?? {};
  for (const l of filters.get("label") ?? []) if (!labelMatches(l, labels)) return false;
  if (
    !any("exited", (v) => {
      if (!/^-?\d+$/.test(v)) throw new DockerApiError(400, `invalid filter 'exited=${v}'`);
      return record.status === "exited" && c.exitCode === Number(v);
    })
  )
    return false;
  if (
    !any("ancestor", (v) => {
      const image = findImage(state, v)?.image.id;
      return image !== undefined && (c.imageId === image || isDescendant(state, c.imageId, image));
    })
  )
    return false;
  if (!any("health", (v) => (c.health?.status ?? "none") === v)) return false;
  if (!any("is-task", (v) => v === "false")) return false;
  for (const key of ["volume", "network", "publish", "expose"]) if (filters.has(key)) return false;
  if (!any("isolation", (v) => v === "default" || v === "")) return false;
  for (const key of ["before", "since"] as const) {
    for (const v of filters.get(key) ?? []) {
      const other = findContainer(state, v);
      if (!other) throw new DockerApiError(404, `No such container: ${v}`);
      if (key === "before" && !(c.createdAt < other.context.createdAt)) return false;
      if (key === "since" && !(c.createdAt > other.context.createdAt)) return false;
    }
  }
  return true;
}

/** Whether image `id` descends from image `ancestor` (its parent chain, through commits). */
function isDescendant(state: EngineState, id: string, ancestor: string): boolean {
  for (let cur = state.images[id]?.parentId ?? null; cur !== null; cur = state.images[cur]?.parentId ?? null)
    if (cur === ancestor) return true;
  return false;
}
