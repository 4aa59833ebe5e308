/**
 * Image references as dockerd parses them (distribution/reference, vendored by moby 28.2): the grammar,
 * Docker Hub's normalization (`alpine` = `library/alpine` = `docker.io/library/alpine`), the familiar
 * form every answer shows (`RepoTags`, `Untagged`, errors), `ParseAnyReference` (an id, a digest or a
 * name), `RepoTagReference` (the `repo` and `tag` of tag, commit and import) and the `path.Match` glob of
 * `docker images --filter reference=`. Every refusal is a 400 in the words dockerd uses.
 */
import { DockerApiError } from "./errors.js";

/** A named reference: domain, path, and an optional tag and digest. */
export interface NamedReference {
  readonly kind: "named";
  /** `docker.io`, `localhost:5000`, `ghcr.io`. */
  readonly domain: string;
  /** `library/alpine`, `me/app`. */
  readonly path: string;
  readonly tag: string | null;
  readonly digest: string | null;
}

/** A bare digest (`sha256:<hex>`), what a full image id parses to. */
export interface DigestReference {
  readonly kind: "digest";
  readonly digest: string;
}

export type ImageReference = NamedReference | DigestReference;

const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
const NAME_MAX = 255;

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const HOST = `(?:${DOMAIN_NAME}|\\[(?:[a-fA-F0-9:]+)\\])`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const NAME = `(?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME}`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const ANCHORED_TAG = new RegExp(`^${TAG}$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;

const invalid = (message: string) => new DockerApiError(400, message);

/** go-digest `Parse`: `algorithm:encoded`, with the lengths the algorithms have; null if not one. */
function parseDigest(s: string): { digest: string } | { error: string } {
  const at = s.indexOf(":");
  if (at <= 0 || at + 1 === s.length) return { error: "invalid checksum digest format" };
  const algorithm = s.slice(0, at);
  const encoded = s.slice(at + 1);
  const size = { sha256: 64, sha384: 96, sha512: 128 }[algorithm];
  if (size === undefined) return { error: "unsupported digest algorithm" };
  if (encoded.length !== size) return { error: "invalid checksum digest length" };
  if (!/^[a-f0-9]+$/.test(encoded)) return { error: "invalid checksum digest format" };
  return { digest: s };
}

/** Whether `s` is a digest go-digest accepts (`sha256:<64 hex>`…). */
export const isDigest = (s: string): boolean => "digest" in parseDigest(s);

/** reference `Parse`: a complete reference (a domain is kept as written, never added). */
function parse(s: string): NamedReference {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === "") throw invalid("repository name must have at least one component");
    if (REFERENCE.test(s.toLowerCase())) throw invalid("repository name must be lowercase");
    throw invalid("invalid reference format");
  }
  const name = m[1] as string;
  if (name.length > NAME_MAX) throw invalid(`repository name must not be more than ${NAME_MAX} characters`);
  const parts = ANCHORED_NAME.exec(name);
  let digest: string | null = null;
  if (m[3] !== undefined) {
    const d = parseDigest(m[3]);
    if ("error" in d) throw invalid(d.error);
    digest = d.digest;
  }
  return { kind: "named", domain: parts?.[1] ?? "", path: parts?.[2] ?? name, tag: m[2] ?? null, digest };
}

/** splitDockerDomain: the domain Docker assumes (Docker Hub) and the path with `library/` added. */
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf("/");
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === "localhost") [domain, remainder] = [maybeDomain, rest];
  else if (maybeDomain === LEGACY_DOMAIN) [domain, remainder] = [DEFAULT_DOMAIN, rest];
  else if (/[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain)
    [domain, remainder] = [maybeDomain, rest];
  else [domain, remainder] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/**
 * `ParseNormalizedNamed`: a name as a user types it, with Docker Hub's defaults filled in.
 *
 * @example
 * parseNormalizedNamed("alpine:3").path // "library/alpine"
 */
export function parseNormalizedNamed(s: string): NamedReference {
  if (IDENTIFIER.test(s))
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(":");
  const remote = colon < 0 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote)
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  return parse(`${domain}/${remainder}`);
}

/**
 * `ParseAnyReference`: a full image id (64 hex, or a digest) or a name.
 *
 * @example
 * parseAnyReference("sha256:" + "a".repeat(64)).kind // "digest"
 */
export function parseAnyReference(s: string): ImageReference {
  if (IDENTIFIER.test(s)) return { kind: "digest", digest: `sha256:${s}` };
  const d = parseDigest(s);
  if ("digest" in d) return { kind: "digest", digest: d.digest };
  return parseNormalizedNamed(s);
}

/** The name without Docker Hub's domain and `library/` (`FamiliarName`). */
export function familiarName(ref: NamedReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  const rest = ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : null;
  return rest !== null && !rest.includes("/") ? rest : ref.path;
}

/** The reference as Docker shows it (`FamiliarString`): `alpine:latest`, `me/app@sha256:…`. */
export function familiarString(ref: ImageReference): string {
  if (ref.kind === "digest") return ref.digest;
  return `${familiarName(ref)}${ref.tag !== null ? `:${ref.tag}` : ""}${ref.digest !== null ? `@${ref.digest}` : ""}`;
}

/** The fully-qualified form (`docker.io/library/alpine:latest`), what dockerd sorts references by. */
export function fullString(ref: NamedReference): string {
  return `${ref.domain}/${ref.path}${ref.tag !== null ? `:${ref.tag}` : ""}${ref.digest !== null ? `@${ref.digest}` : ""}`;
}

/** `TagNameOnly`: a name with neither tag nor digest gets `:latest`. */
export function tagNameOnly(ref: NamedReference): NamedReference {
  return ref.tag === null && ref.digest === null ? { ...ref, tag: "latest" } : ref;
}

/**
 * `RepoTagReference`: the `repo` and `tag` query values of tag and commit as one tagged reference
 * (null when `repo` is empty: no tag). The docker CLI sends `repo` fully qualified.
 *
 * @example
 * familiarString(repoTagReference("docker.io/library/web", "1") as NamedReference) // "web:1"
 */
export function repoTagReference(repo: string, tag: string): NamedReference | null {
  if (repo === "") return null;
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== null) throw invalid("cannot import digest reference");
  if (tag === "") return tagNameOnly(ref);
  if (!ANCHORED_TAG.test(tag)) throw invalid("invalid tag format");
  return { ...ref, tag };
}

/**
 * `FamiliarMatch`: `pattern` (a `path.Match` glob) against the familiar string, then the familiar name.
 * A malformed pattern is 400 `syntax error in pattern`, as dockerd answers.
 */
export function familiarMatch(pattern: string, ref: NamedReference): boolean {
  const re = globRegExp(pattern);
  return re.test(familiarString(ref)) || re.test(familiarName(ref));
}

/** Go's `path.Match` as a regular expression: `*` and `?` stop at `/`; classes `[a-z]`, `[^…]`, escapes. */
export function globRegExp(pattern: string): RegExp {
  const bad = () => invalid("syntax error in pattern");
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "\\") {
      if (i + 1 >= pattern.length) throw bad();
      out += escapeChar(pattern[++i] as string);
    } else if (c === "[") {
      let j = i + 1;
      let cls = "";
      if (pattern[j] === "^") {
        cls += "^";
        j++;
      }
      let items = 0;
      for (; j < pattern.length && (pattern[j] !== "]" || items === 0); j++) {
        let lo = pattern[j] as string;
        if (lo === "\\") {
          j++;
          if (j >= pattern.length) throw bad();
          lo = pattern[j] as string;
        } else if (lo === "]" || lo === "-") throw bad();
        let item = escapeChar(lo);
        if (pattern[j + 1] === "-" && pattern[j + 2] !== undefined && pattern[j + 2] !== "]") {
          let hi = pattern[j + 2] as string;
          j += 2;
          if (hi === "\\") {
            j++;
            if (j >= pattern.length) throw bad();
            hi = pattern[j] as string;
          }
          if (hi < lo) throw bad();
          item += `-${escapeChar(hi)}`;
        }
        cls += item;
        items++;
      }
      if (j >= pattern.length || items === 0) throw bad();
      out += `[${cls}]`;
      i = j;
    } else out += escapeChar(c);
  }
  return new RegExp(`^${out}$`, "s");
}

const escapeChar = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
