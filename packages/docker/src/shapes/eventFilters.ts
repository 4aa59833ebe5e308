/**
 * `GET /events?filters=…` as dockerd applies them (moby daemon/events/filter.go on api/types/filters
 * `Args`): keys combine with AND, the values of one key with OR (label values with AND).
 *
 * - `type`, `scope`: exact;
 * - `event` (the action): exact, or, when one of the values is `exec_create`, `exec_start` or
 *   `health_status`, every value is also a prefix (`exec_create` matches `exec_create: ls -l`);
 * - `container`, `daemon`, `network`, `volume`, `plugin`, `node`, `service`, `secret`, `config`: the
 *   value is a prefix of Actor.ID or of the `name` attribute. As in dockerd, this is checked on every
 *   event, whatever its type: `--filter container=web` keeps only events whose actor's id or name
 *   starts with `web` (an image's events have the image's id and name);
 * - `image`: exact on Actor.ID or on the image (`image` attribute for containers, `name` for images),
 *   each also with its tag stripped (`alpine:latest` → `alpine`);
 * - `label`: `k` or `k=v` against the attributes (which hold a container's labels, and its name and
 *   image).
 *
 * dockerd does not check the keys: one it does not know filters nothing. Both JSON forms are read
 * (`{"type":{"container":true}}` and `{"type":["container"]}`); anything else is 400 `invalid filter`.
 */
import type { DockerEventMessage } from "./dockerEvents.js";
import { DockerApiError } from "./errors.js";

/** Keys whose values are prefixes of the actor's id or name. */
const NAME_KEYS = [
  "daemon",
  "container",
  "plugin",
  "volume",
  "network",
  "node",
  "service",
  "secret",
  "config",
] as const;

const FUZZY_EVENTS = new Set(["health_status", "exec_create", "exec_start"]);

type Fields = ReadonlyMap<string, ReadonlyMap<string, boolean>>;

/** Parses `filters` as moby's `filters.FromJSON`. */
export function parseEventFilters(text: string | undefined): EventFilter {
  const fields = new Map<string, Map<string, boolean>>();
  if (text === undefined || text === "") return new EventFilter(fields);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DockerApiError(400, "invalid filter");
  }
  if (parsed === null) return new EventFilter(fields);
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new DockerApiError(400, "invalid filter");
  const entries = Object.entries(parsed as Record<string, unknown>);
  const isBoolMap = (v: unknown) =>
    v === null ||
    (typeof v === "object" && !Array.isArray(v) && Object.values(v).every((b) => typeof b === "boolean"));
  const isList = (v: unknown) => v === null || (Array.isArray(v) && v.every((s) => typeof s === "string"));
  if (entries.every(([, v]) => isBoolMap(v))) {
    for (const [k, v] of entries)
      fields.set(k, new Map(Object.entries((v ?? {}) as Record<string, boolean>)));
  } else if (entries.every(([, v]) => isList(v))) {
    for (const [k, v] of entries) fields.set(k, new Map(((v ?? []) as string[]).map((s) => [s, true])));
  } else throw new DockerApiError(400, "invalid filter");
  return new EventFilter(fields);
}

/**
 * A reference's name without its tag or digest, familiar (`docker.io/library/alpine:3` → `alpine`), as
 * moby's `stripTag` gets it; a string that is not a reference (an uppercase name, a bare 64-hex id)
 * stays as it is. Like moby, `sha256:<hex>` reads as the name `sha256` with a tag.
 */
export function stripTag(image: string): string {
  if (/^[a-f0-9]{64}$/.test(image)) return image;
  let name = image;
  const at = name.indexOf("@");
  if (at >= 0) {
    if (!/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(name.slice(at + 1)))
      return image;
    name = name.slice(0, at);
  }
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    if (!/^[\w][\w.-]{0,127}$/.test(name.slice(colon + 1))) return image;
    name = name.slice(0, colon);
  }
  const slash = name.indexOf("/");
  let domain = "";
  let path = name;
  if (slash >= 0) {
    const first = name.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first) {
      domain = first;
      path = name.slice(slash + 1);
    }
  }
  const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
  if (!new RegExp(`^${component}(?:/${component})*$`).test(path)) return image;
  if (domain === "" || domain === "docker.io" || domain === "index.docker.io")
    return path.startsWith("library/") && path.split("/").length === 2 ? path.slice(8) : path;
  if (
    !/^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/.test(
      domain,
    )
  )
    return image;
  return `${domain}/${path}`;
}

/** A parsed `filters` for events: `includes(message)` says whether dockerd would send it. */
export class EventFilter {
  readonly #fields: Fields;

  constructor(fields: Fields) {
    this.#fields = fields;
  }

  /** Whether any filter is set (none: every event passes). */
  get empty(): boolean {
    return this.#fields.size === 0;
  }

  /** `Args.ExactMatch`: no values for `key`, or `source` is one of them (with `true`). */
  #exact(key: string, source: string): boolean {
    const values = this.#fields.get(key);
    if (!values || values.size === 0) return true;
    return values.get(source) === true;
  }

  /** `Args.FuzzyMatch`: exact, or one of the values is a prefix of `source`. */
  #fuzzy(key: string, source: string): boolean {
    if (this.#exact(key, source)) return true;
    for (const prefix of this.#fields.get(key)?.keys() ?? []) if (source.startsWith(prefix)) return true;
    return false;
  }

  #event(action: string): boolean {
    const values = this.#fields.get("event");
    if (values && [...values.keys()].some((v) => FUZZY_EVENTS.has(v))) return this.#fuzzy("event", action);
    return this.#exact("event", action);
  }

  #image(m: DockerEventMessage): boolean {
    const id = m.Actor.ID;
    const name = m.Actor.Attributes[m.Type === "image" ? "name" : "image"] ?? "";
    return (
      this.#exact("image", id) ||
      this.#exact("image", name) ||
      this.#exact("image", stripTag(id)) ||
      this.#exact("image", stripTag(name))
    );
  }

  /** `Args.MatchKVList`: every `k` / `k=v` holds in the attributes. */
  #labels(attrs: Readonly<Record<string, string>>): boolean {
    const values = this.#fields.get("label");
    if (!values || values.size === 0) return true;
    if (Object.keys(attrs).length === 0) return false;
    for (const value of values.keys()) {
      const eq = value.indexOf("=");
      const key = eq < 0 ? value : value.slice(0, eq);
      if (!Object.hasOwn(attrs, key)) return false;
      if (eq >= 0 && attrs[key] !== value.slice(eq + 1)) return false;
    }
    return true;
  }

  includes(m: DockerEventMessage): boolean {
    const name = m.Actor.Attributes.name ?? "";
    return (
      this.#event(m.Action) &&
      this.#exact("type", m.Type) &&
      (!this.#fields.has("scope") || this.#exact("scope", m.scope)) &&
      NAME_KEYS.every((key) => this.#fuzzy(key, m.Actor.ID) || this.#fuzzy(key, name)) &&
      this.#image(m) &&
      this.#labels(m.Actor.Attributes)
    );
  }
}
