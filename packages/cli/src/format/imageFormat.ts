/**
 * `docker images` output: one row per repository and tag of each image (dangling images as
 * <none>:<none>, digests per tag with --digests or when the format shows .Digest), and the
 * formatter.ImageContext templates see: Repository, Tag, Digest, ID (12 characters after "sha256:"),
 * CreatedSince, CreatedAt, Size (3 significant digits), Containers, VirtualSize, SharedSize, UniqueSize.
 * Repositories appear in the order their first tag appears (docker's order is a Go map's, i.e. random).
 * Input is GET /images/json (moby image.Summary rows); `now` (ms) is injected. Pure.
 * Rules: docker/cli cli/command/formatter/image.go, cli/command/image/list.go (v28.2.2).
 */
import type { FormattedOutput } from "./containerFormat.js";
import { type DockerReference, familiarName, parseNormalizedNamed } from "./dockerReference.js";
import { truncateId } from "./ellipsis.js";
import { defineContext, goText } from "./formatterContext.js";
import { writeFormatted } from "./formatWrite.js";
import { type GoValue, T } from "./GoType.js";
import { fromGoString, toGoString } from "./goString.js";
import { timeString, utcTime } from "./goTime.js";
import { humanDuration, humanSize, humanSizeWithPrecision } from "./goUnits.js";
import { decodeApiValue, moby } from "./mobyModel.js";

/** A row of GET /images/json (moby image.Summary). */
export interface ApiImage {
  readonly Id?: string;
  readonly ParentId?: string;
  readonly RepoTags?: readonly string[] | null;
  readonly RepoDigests?: readonly string[] | null;
  readonly Created?: number;
  readonly Size?: number;
  readonly SharedSize?: number;
  readonly VirtualSize?: number;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly Containers?: number;
  readonly [key: string]: unknown;
}

interface Row {
  readonly i: ApiImage;
  readonly trunc: boolean;
  readonly now: number;
  readonly repo: string;
  readonly tag: string;
  readonly digest: string;
}

const HEADER = {
  ID: "IMAGE ID",
  Repository: "REPOSITORY",
  Tag: "TAG",
  Digest: "DIGEST",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  Size: "SIZE",
  Containers: "CONTAINERS",
  VirtualSize: "SIZE",
  SharedSize: "SHARED SIZE",
  UniqueSize: "UNIQUE SIZE",
};

const DEFAULT_TABLE =
  "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
const DIGEST_TABLE =
  "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";

const IMAGE = defineContext<Row>(
  "formatter.imageContext",
  [
    { name: "trunc", type: T.bool },
    { name: "i", type: moby.named("image.Summary") },
    { name: "repo", type: T.string },
    { name: "tag", type: T.string },
    { name: "digest", type: T.string },
  ],
  [
    {
      name: "Containers",
      result: T.string,
      call: ({ i }) => goText((i.Containers ?? 0) === -1 ? "N/A" : String(i.Containers ?? 0)),
    },
    {
      name: "CreatedAt",
      result: T.string,
      call: ({ i }) => goText(timeString(utcTime(BigInt(i.Created ?? 0) * 1_000_000_000n))),
    },
    {
      name: "CreatedSince",
      result: T.string,
      call: ({ i, now }) => goText(`${humanDuration(now - (i.Created ?? 0) * 1000)} ago`),
    },
    { name: "Digest", result: T.string, call: ({ digest }) => goText(digest) },
    {
      name: "ID",
      result: T.string,
      call: ({ i, trunc }) => ({
        t: T.string,
        v: trunc ? truncateId(toGoString(i.Id ?? "")) : toGoString(i.Id ?? ""),
      }),
    },
    { name: "Repository", result: T.string, call: ({ repo }) => goText(repo) },
    {
      name: "SharedSize",
      result: T.string,
      call: ({ i }) => goText((i.SharedSize ?? 0) === -1 ? "N/A" : humanSize(i.SharedSize ?? 0)),
    },
    { name: "Size", result: T.string, call: ({ i }) => goText(humanSizeWithPrecision(i.Size ?? 0, 3)) },
    { name: "Tag", result: T.string, call: ({ tag }) => goText(tag) },
    {
      name: "UniqueSize",
      result: T.string,
      call: ({ i }) => {
        const size = i.Size ?? 0;
        const shared = i.SharedSize ?? 0;
        return goText(size === -1 || shared === -1 ? "N/A" : humanSize(size - shared));
      },
    },
    { name: "VirtualSize", result: T.string, call: ({ i }) => goText(humanSize(i.Size ?? 0)) },
  ],
);

/** formatter.NewImageFormat(source, quiet, digest). */
export function newImageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === "table") {
    if (quiet) return "{{.ID}}";
    return digest ? DIGEST_TABLE : DEFAULT_TABLE;
  }
  if (source === "raw") {
    if (quiet) return "image_id: {{.ID}}";
    if (digest) {
      return "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";
    }
    return "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";
  }
  if (source.startsWith("table") && digest && !source.includes("{{.Digest}}"))
    return `${source}\t{{.Digest}}`;
  return source;
}

function isDangling(img: ApiImage): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return (
    tags.length === 1 && tags[0] === "<none>:<none>" && digests.length === 1 && digests[0] === "<none>@<none>"
  );
}

function parseOrNull(s: string): DockerReference | null {
  try {
    return parseNormalizedNamed(s);
  } catch {
    return null;
  }
}

/** The (repository, tag, digest) rows of one image, as docker's imageFormatTaggedAndDigest makes them. */
function rowsOf(img: ApiImage, showDigests: boolean, needDigest: boolean): [string, string, string][] {
  if (isDangling(img)) return [["<none>", "<none>", "<none>"]];
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const s of img.RepoTags ?? []) {
    const ref = parseOrNull(s);
    if (ref && ref.tag !== "") {
      const name = familiarName(ref);
      repoTags.set(name, [...(repoTags.get(name) ?? []), ref.tag]);
    }
  }
  for (const s of img.RepoDigests ?? []) {
    const ref = parseOrNull(s);
    if (ref && ref.digest !== "") {
      const name = familiarName(ref);
      repoDigests.set(name, [...(repoDigests.get(name) ?? []), ref.digest]);
    }
  }
  const rows: [string, string, string][] = [];
  for (const [repo, tags] of repoTags) {
    let digests = repoDigests.get(repo) ?? [];
    repoDigests.delete(repo);
    if (!needDigest) digests = [];
    for (const tag of tags) {
      if (digests.length === 0) rows.push([repo, tag, "<none>"]);
      else for (const d of digests) rows.push([repo, tag, d]);
    }
  }
  for (const [repo, digests] of repoDigests) {
    if (showDigests) for (const d of digests) rows.push([repo, "<none>", d]);
    else rows.push([repo, "<none>", ""]);
  }
  return rows;
}

/** Options of `docker images` that shape its output. */
export interface ImageListOptions {
  /** --format (empty or absent: the table). */
  readonly format?: string;
  readonly quiet?: boolean;
  readonly noTrunc?: boolean;
  /** --digests */
  readonly digests?: boolean;
  /** The time CREATED is measured from (ms since the epoch). */
  readonly now: number;
}

/**
 * `docker images` output for the rows of GET /images/json.
 * @throws FormatError as docker reports a bad format
 */
export function formatImageList(images: readonly ApiImage[], options: ImageListOptions): FormattedOutput {
  const source = options.format ? options.format : "table";
  const format = newImageFormat(source, options.quiet ?? false, options.digests ?? false);
  const needDigest = (options.digests ?? false) || format.includes("{{.Digest}}");
  const trunc = !options.noTrunc;
  const values: GoValue[] = [];
  for (const img of images) {
    const summary = decodeApiValue(img, "image.Summary");
    for (const [repo, tag, digest] of rowsOf(img, options.digests ?? false, needDigest)) {
      values.push(
        IMAGE.row({ i: img, trunc, now: options.now, repo, tag, digest }, [
          { t: T.bool, v: trunc },
          summary,
          goText(repo),
          goText(tag),
          goText(digest),
        ]),
      );
    }
  }
  return { stdout: fromGoString(writeFormatted(format, values, IMAGE.header(HEADER))), stderr: "" };
}
