/**
 * Test support: tars written byte by byte (so a test can put in them what no well-behaved tool writes:
 * names that are not UTF-8, devices, `./` names, PAX records of any key), and the three forms an image
 * comes in, built around such layers: an OCI layout directory, an OCI archive, a `docker save` archive.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { hexOf, MEDIA_TYPES, sha256 } from "@strata/oci";

export type RawType = "file" | "link" | "symlink" | "char" | "block" | "dir" | "fifo" | "other";
const TYPEFLAG: Record<RawType, string> = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
  other: "S",
};

/** One tar entry as a test wants it; names and link names may be raw bytes. */
export interface RawEntry {
  readonly name: string | Buffer;
  readonly type?: RawType;
  readonly body?: string | Buffer;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Seconds. */
  readonly mtime?: number;
  readonly linkname?: string | Buffer;
  readonly devmajor?: number;
  readonly devminor?: number;
  /** Extra PAX records (key → value bytes); keys may be raw bytes too. */
  readonly pax?: readonly (readonly [string | Buffer, string | Buffer])[];
  /** PAX records of a global header (typeflag `g`) written before the entry: they count for every entry after. */
  readonly globalPax?: readonly (readonly [string | Buffer, string | Buffer])[];
}

const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, "0")}\0`;

function header(fields: {
  name: Buffer;
  typeflag: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: Buffer;
  devmajor: number;
  devminor: number;
}): Buffer {
  const b = Buffer.alloc(512);
  fields.name.subarray(0, 100).copy(b, 0);
  b.write(octal(fields.mode, 8), 100, "latin1");
  b.write(octal(fields.uid, 8), 108, "latin1");
  b.write(octal(fields.gid, 8), 116, "latin1");
  b.write(octal(fields.size, 12), 124, "latin1");
  b.write(octal(fields.mtime, 12), 136, "latin1");
  b.write(fields.typeflag, 156, "latin1");
  fields.linkname.subarray(0, 100).copy(b, 157);
  b.write("ustar\x0000", 257, "latin1");
  b.write(octal(fields.devmajor, 8), 329, "latin1");
  b.write(octal(fields.devminor, 8), 337, "latin1");
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return b;
}

/** One ustar header block for a regular file `name` of `size` bytes (for streams built by hand). */
export function fileHeader(name: string, size: number): Buffer {
  return header({
    name: Buffer.from(name),
    typeflag: "0",
    size,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: 1_600_000_000,
    linkname: Buffer.alloc(0),
    devmajor: 0,
    devminor: 0,
  });
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
const bytes = (v: string | Buffer) => (typeof v === "string" ? Buffer.from(v) : v);

function paxRecord(key: Buffer, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(" "), key, Buffer.from("="), value, Buffer.from("\n")]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** A tar of `entries`, with a PAX header where a name is long, not ASCII, or records are asked for. */
export function rawTar(entries: readonly RawEntry[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const name = bytes(e.name);
    const linkname = bytes(e.linkname ?? "");
    const body = bytes(e.body ?? "");
    const records: Buffer[] = [];
    const ascii = (b: Buffer) => b.length <= 100 && b.every((x) => x < 0x80);
    if (!ascii(name)) records.push(paxRecord(Buffer.from("path"), name));
    if (!ascii(linkname)) records.push(paxRecord(Buffer.from("linkpath"), linkname));
    for (const [k, v] of e.pax ?? []) records.push(paxRecord(bytes(k), bytes(v)));
    const common = {
      mode: e.mode ?? (e.type === "dir" ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? 1_600_000_000,
      devmajor: e.devmajor ?? 0,
      devminor: e.devminor ?? 0,
    };
    if (e.globalPax !== undefined) {
      const data = Buffer.concat(e.globalPax.map(([k, v]) => paxRecord(bytes(k), bytes(v))));
      parts.push(
        header({
          ...common,
          name: Buffer.from("GlobalHead/x"),
          typeflag: "g",
          size: data.length,
          linkname: Buffer.alloc(0),
        }),
        data,
        pad(data.length),
      );
    }
    if (records.length > 0) {
      const data = Buffer.concat(records);
      parts.push(
        header({
          ...common,
          name: Buffer.from("PaxHeaders/x"),
          typeflag: "x",
          size: data.length,
          linkname: Buffer.alloc(0),
        }),
        data,
        pad(data.length),
      );
    }
    parts.push(
      header({
        ...common,
        name: ascii(name) ? name : Buffer.from("pax-named"),
        typeflag: TYPEFLAG[e.type ?? "file"],
        size: body.length,
        linkname: ascii(linkname) ? linkname : Buffer.from("pax-linked"),
      }),
      body,
      pad(body.length),
    );
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const file = (
  name: string | Buffer,
  body: string | Buffer = "x",
  more: Partial<RawEntry> = {},
): RawEntry => ({
  name,
  body,
  ...more,
});
export const dir = (name: string | Buffer, more: Partial<RawEntry> = {}): RawEntry => ({
  name,
  type: "dir",
  ...more,
});
export const symlink = (name: string, linkname: string): RawEntry => ({ name, type: "symlink", linkname });

/** One layer of a test image: its tar, and how it is stored. */
export interface TestLayer {
  readonly tar: Buffer;
  readonly gzip?: boolean;
  /** A blob stored instead of the tar's (its diff_id stays the tar's): a bomb, a cut blob. */
  readonly blob?: Buffer;
  readonly diffId?: string;
}

export interface TestImage {
  readonly layers: readonly TestLayer[];
  readonly refName?: string;
  /** The image's whole name, as `io.containerd.image.name` (Docker 25+ writes it beside the ref name). */
  readonly imageName?: string;
  readonly platform?: { os: string; architecture: string; variant?: string };
  readonly cmd?: readonly string[];
}

const blobOf = (l: TestLayer) => l.blob ?? (l.gzip ? gzipSync(l.tar) : l.tar);

/** Writes blobs into `out/blobs/sha256` and returns the image's manifest descriptor. */
function writeImage(out: string, image: TestImage) {
  const put = (b: Buffer) => {
    const d = sha256(b);
    writeFileSync(join(out, "blobs", "sha256", hexOf(d)), b);
    return d;
  };
  const p = image.platform ?? { os: "linux", architecture: "amd64" };
  const config = Buffer.from(
    JSON.stringify({
      architecture: p.architecture,
      os: p.os,
      ...(p.variant ? { variant: p.variant } : {}),
      config: { Cmd: image.cmd ?? ["/bin/sh"] },
      rootfs: { type: "layers", diff_ids: image.layers.map((l) => l.diffId ?? sha256(l.tar)) },
    }),
  );
  const layers = image.layers.map((l) => {
    const blob = blobOf(l);
    return {
      mediaType: l.gzip ? MEDIA_TYPES.layerTarGzip : MEDIA_TYPES.layerTar,
      digest: put(blob),
      size: blob.length,
    };
  });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: put(config), size: config.length },
      layers,
    }),
  );
  return {
    mediaType: MEDIA_TYPES.manifest,
    digest: put(manifest),
    size: manifest.length,
    configDigest: sha256(config),
    layers,
  };
}

/** An OCI layout in `out` holding `images` (one index.json entry each, or one index of platforms). */
export function writeLayout(
  out: string,
  images: readonly TestImage[],
  opts: { platformIndex?: string } = {},
) {
  mkdirSync(join(out, "blobs", "sha256"), { recursive: true });
  const descs = images.map((image) => {
    const d = writeImage(out, image);
    return { image, d };
  });
  let manifests: unknown[];
  if (opts.platformIndex !== undefined) {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: descs.map(({ image, d }) => ({
          mediaType: d.mediaType,
          digest: d.digest,
          size: d.size,
          platform: image.platform ?? { os: "linux", architecture: "amd64" },
        })),
      }),
    );
    const digest = sha256(index);
    writeFileSync(join(out, "blobs", "sha256", hexOf(digest)), index);
    manifests = [
      {
        mediaType: MEDIA_TYPES.index,
        digest,
        size: index.length,
        annotations: { "org.opencontainers.image.ref.name": opts.platformIndex },
      },
    ];
  } else {
    manifests = descs.map(({ image, d }) => ({
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      ...(image.refName || image.imageName
        ? {
            annotations: {
              ...(image.imageName ? { "io.containerd.image.name": image.imageName } : {}),
              ...(image.refName ? { "org.opencontainers.image.ref.name": image.refName } : {}),
            },
          }
        : {}),
    }));
  }
  writeFileSync(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(out, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
  return descs.map(({ d }) => d);
}

/** A `docker save` archive (the older form: `<id>/layer.tar`, `<id>.json`, `manifest.json`). */
export function dockerArchive(image: TestImage, tags: readonly string[] = ["test/image:1"]): Buffer {
  return dockerArchiveOf([{ image, tags }]);
}

/** A `docker save` archive of several images (each with its `RepoTags`), in the older form. */
export function dockerArchiveOf(images: readonly { image: TestImage; tags: readonly string[] }[]): Buffer {
  const members: RawEntry[] = [];
  const seen = new Set<string>();
  const entries = images.map(({ image, tags }, k) => {
    const p = image.platform ?? { os: "linux", architecture: "amd64" };
    const config = Buffer.from(
      JSON.stringify({
        architecture: p.architecture,
        os: p.os,
        config: { Cmd: image.cmd ?? ["/bin/sh"] },
        rootfs: { type: "layers", diff_ids: image.layers.map((l) => l.diffId ?? sha256(l.tar)) },
      }),
    );
    const configName = `${hexOf(sha256(config))}.json`;
    const layerNames = image.layers.map(
      (l, i) => `${hexOf(sha256(`image ${k} layer ${i} ${sha256(l.tar)}`))}/layer.tar`,
    );
    if (!seen.has(configName)) members.push(file(configName, config));
    seen.add(configName);
    for (const [i, l] of image.layers.entries())
      members.push(
        dir(`${(layerNames[i] as string).split("/")[0]}/`),
        file(layerNames[i] as string, blobOf(l)),
      );
    return { Config: configName, RepoTags: tags, Layers: layerNames };
  });
  return rawTar([...members, file("manifest.json", Buffer.from(JSON.stringify(entries)))]);
}

/** An OCI layout packed in a tar; `dotSlash`: every name `./`-prefixed, with a `./` entry first (GNU tar -C dir .). */
export function ociArchive(
  images: readonly TestImage[],
  opts: { dotSlash?: boolean; platformIndex?: string } = {},
  scratch: string,
): Buffer {
  writeLayout(scratch, images, opts);
  const entries: RawEntry[] = [];
  const prefix = opts.dotSlash ? "./" : "";
  if (opts.dotSlash) entries.push(dir("./"));
  const walk = (rel: string) => {
    for (const n of readdirSync(join(scratch, rel)).sort()) {
      const p = rel ? `${rel}/${n}` : n;
      if (statSync(join(scratch, p)).isDirectory()) {
        entries.push(dir(`${prefix}${p}/`));
        walk(p);
      } else entries.push(file(`${prefix}${p}`, readFileSync(join(scratch, p))));
    }
  };
  walk("");
  return rawTar(entries);
}
