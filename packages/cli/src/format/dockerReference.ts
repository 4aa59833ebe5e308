/**
 * Image references as the docker CLI reads them (distribution/reference v0.6.0): ParseNormalizedNamed
 * ("alpine" is docker.io/library/alpine), the familiar form ("alpine:3", "localhost:5000/x@sha256:…"),
 * used by `docker ps` to drop a digest from IMAGE and by `docker images` to group tags by repository.
 * Pure. Rules: distribution/reference normalize.go, regexp.go, reference.go; go-digest's validation.
 */

const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const optionalPort = "(?::[0-9]+)?";
const tag = "[\\w][\\w.-]{0,127}";
const digestPat = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";
const ipv6address = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;
const anchoredName = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const referenceRe = new RegExp(`^(${namePat})(?::(${tag}))?(?:@(${digestPat}))?$`);
const anchoredIdentifier = /^([a-f0-9]{64})$/;

/** A parsed reference: domain, path, and an optional tag and digest. */
export interface DockerReference {
  readonly domain: string;
  readonly path: string;
  readonly tag: string;
  readonly digest: string;
}

/** A reference that does not parse (the message is distribution/reference's). */
export class BadReferenceError extends Error {
  readonly code = "FORMAT_BAD_REFERENCE";
}

function validateDigest(d: string): void {
  const i = d.indexOf(":");
  if (i <= 0 || i + 1 === d.length) throw new BadReferenceError("invalid checksum digest format");
  const algorithm = d.slice(0, i);
  const encoded = d.slice(i + 1);
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  const len = lengths[algorithm];
  if (len === undefined) throw new BadReferenceError("unsupported digest algorithm");
  if (encoded.length !== len || !/^[a-f0-9]+$/.test(encoded))
    throw new BadReferenceError("invalid checksum digest format");
}

/** reference.Parse. */
function parse(s: string): DockerReference {
  const m = referenceRe.exec(s);
  if (!m) {
    if (s === "") throw new BadReferenceError("repository name must have at least one component");
    if (referenceRe.test(s.toLowerCase())) throw new BadReferenceError("repository name must be lowercase");
    throw new BadReferenceError("invalid reference format");
  }
  const name = m[1] as string;
  const nm = anchoredName.exec(name);
  const domain = nm ? (nm[1] ?? "") : "";
  const path = nm ? (nm[2] as string) : name;
  if (path.length > 255) throw new BadReferenceError("repository name must not be more than 255 characters");
  const digest = m[3] ?? "";
  if (digest !== "") validateDigest(digest);
  return { domain, path, tag: m[2] ?? "", digest };
}

function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf("/");
  if (slash < 0) return ["docker.io", `library/${name}`];
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === "localhost") [domain, remote] = [maybeDomain, maybeRemote];
  else if (maybeDomain === "index.docker.io") [domain, remote] = ["docker.io", maybeRemote];
  else if (/[.:]/.test(maybeDomain)) [domain, remote] = [maybeDomain, maybeRemote];
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remote] = [maybeDomain, maybeRemote];
  else [domain, remote] = ["docker.io", name];
  if (domain === "docker.io" && !remote.includes("/")) remote = `library/${remote}`;
  return [domain, remote];
}

/** reference.ParseNormalizedNamed. */
export function parseNormalizedNamed(s: string): DockerReference {
  if (anchoredIdentifier.test(s)) {
    throw new BadReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(":");
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new BadReferenceError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parse(`${domain}/${remainder}`);
}

/** reference.FamiliarName: the name without docker.io/ and library/. */
export function familiarName(ref: DockerReference): string {
  let domain = ref.domain;
  let path = ref.path;
  if (domain === "docker.io") {
    domain = "";
    if (path.startsWith("library/") && !path.slice("library/".length).includes("/"))
      path = path.slice("library/".length);
  }
  return domain === "" ? path : `${domain}/${path}`;
}

/** reference.FamiliarString: the familiar name with its tag and digest. */
export function familiarString(ref: DockerReference): string {
  let s = familiarName(ref);
  if (ref.tag !== "") s += `:${ref.tag}`;
  if (ref.digest !== "") s += `@${ref.digest}`;
  return s;
}

/** reference.ParseAnyReference: an id (64 hex digits), a digest (`sha256:…`), or a normalized name. */
export function parseAnyReference(s: string): DockerReference {
  if (anchoredIdentifier.test(s)) return { domain: "", path: "", tag: "", digest: `sha256:${s}` };
  try {
    validateDigest(s);
    return { domain: "", path: "", tag: "", digest: s };
  } catch {
    return parseNormalizedNamed(s);
  }
}
