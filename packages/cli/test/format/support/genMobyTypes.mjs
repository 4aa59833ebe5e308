#!/usr/bin/env node
// Regenerates packages/cli/src/format/mobyTypes.ts from the Go sources of the API types the docker CLI
// 28.2.2 was built with (docker/cli v28.2.2's vendor/ tree): struct fields in declaration order with
// their json tags, named types, aliases. Usage:
//   node genMobyTypes.mjs <git dir of docker/cli> > packages/cli/src/format/mobyTypes.ts
// (the git dir needs the tag v28.2.2). The output is committed; this script is how it was made.
import { execFileSync } from "node:child_process";

const gitDir = process.argv[2];
if (!gitDir) throw new Error("usage: genMobyTypes.mjs <docker/cli git dir>");
const show = (path) =>
  execFileSync("git", ["--git-dir", gitDir, "show", `v28.2.2:${path}`], { encoding: "utf8" });

const V = "vendor/github.com/docker/docker/api/types";
const SOURCES = {
  container: [
    "container/container.go",
    "container/config.go",
    "container/hostconfig.go",
    "container/health.go",
    "container/network_settings.go",
    "container/state.go",
    "container/port.go",
  ].map((f) => `${V}/${f}`),
  network: ["network/endpoint.go", "network/network.go"].map((f) => `${V}/${f}`),
  mount: [`${V}/mount/mount.go`],
  storage: [`${V}/storage/driver_data.go`],
  strslice: [`${V}/strslice/strslice.go`],
  blkiodev: [`${V}/blkiodev/blkio.go`],
  events: [`${V}/events/events.go`],
  image: [
    "image/image_inspect.go",
    "image/summary.go",
    "image/image_history.go",
    "image/image.go",
    "image/manifest.go",
  ].map((f) => `${V}/${f}`),
  nat: ["vendor/github.com/docker/go-connections/nat/nat.go"],
  ocispec: [
    "vendor/github.com/opencontainers/image-spec/specs-go/v1/descriptor.go",
    "vendor/github.com/opencontainers/image-spec/specs-go/v1/config.go",
  ],
  dockerspec: ["vendor/github.com/moby/docker-image-spec/specs-go/v1/image.go"],
  units: ["vendor/github.com/docker/go-units/ulimit.go"],
};
// Packages as the Go files import them, per package of the files.
const IMPORT_ALIASES = { v1: "ocispec" };

function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"`])\/\/.*$/gm, "$1");
}

// Splits "Type `tag`" into [type, tag].
function splitTag(rest) {
  const m = /^(.*?)\s*`([^`]*)`\s*$/.exec(rest);
  if (!m) return [rest.trim(), null];
  const json = /json:"([^"]*)"/.exec(m[2]);
  return [m[1].trim(), { raw: m[2], json: json ? json[1] : null }];
}

function qualify(pkg, type) {
  // Adds the package to unqualified named types inside a type expression.
  return type
    .replace(/(^|[\]*[\s])([A-Za-z_][A-Za-z0-9_]*)(?=$|[\]\s])/g, (all, pre, name) => {
      if (
        [
          "string",
          "bool",
          "int",
          "int8",
          "int16",
          "int32",
          "int64",
          "uint",
          "uint8",
          "uint16",
          "uint32",
          "uint64",
          "float32",
          "float64",
          "byte",
          "any",
          "error",
          "uintptr",
          "rune",
        ].includes(name)
      )
        return all;
      return `${pre}${pkg}.${name}`;
    })
    .replace(/\b(v1)\./g, (_a, p) => `${IMPORT_ALIASES[p]}.`);
}

// Parses a struct body (lines between braces) into fields; nested anonymous structs recurse.
function parseStructBody(pkg, lines) {
  const fields = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const nested = /^(\w+)\s+struct\s*\{\s*$/.exec(line);
    if (nested) {
      let depth = 1;
      const body = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j];
        if (/\{\s*$/.test(l)) depth++;
        if (/^\s*\}/.test(l)) {
          depth--;
          if (depth === 0) break;
        }
        body.push(l);
      }
      const closing = lines[j].trim(); // "} `json:...`"
      const [, tag] = splitTag(`x ${closing.slice(1)}`);
      fields.push({ name: nested[1], type: { struct: parseStructBody(pkg, body) }, tag });
      i = j;
      continue;
    }
    const m = /^([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_]\w*)*)\s+(.+)$/.exec(line);
    if (
      m &&
      !/^\*/.test(line) &&
      !/^[\w.]+$/.test(`${line.split(/\s+/)[0]}`) === false &&
      m[2] &&
      !m[2].startsWith("`")
    ) {
      const [type, tag] = splitTag(m[2]);
      for (const name of m[1].split(/\s*,\s*/)) fields.push({ name, type: qualify(pkg, type), tag });
      continue;
    }
    // Embedded: "*T", "T", "pkg.T" with optional tag.
    const [type, tag] = splitTag(line);
    fields.push({ name: "", type: qualify(pkg, type), tag });
  }
  return fields;
}

const defs = new Map();
for (const [pkg, files] of Object.entries(SOURCES)) {
  for (const file of files) {
    const src = stripComments(show(file));
    const lines = src.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      let m = /^type\s+(\w+)\s+struct\s*\{\s*$/.exec(line);
      if (m) {
        const body = [];
        let depth = 1;
        let j = i + 1;
        for (; j < lines.length; j++) {
          if (/\{\s*$/.test(lines[j])) depth++;
          if (/^\s*\}/.test(lines[j])) {
            depth--;
            if (depth === 0) break;
          }
          body.push(lines[j]);
        }
        defs.set(`${pkg}.${m[1]}`, { struct: parseStructBody(pkg, body) });
        i = j;
        continue;
      }
      m = /^type\s+(\w+)\s+struct\s*\{\s*\}\s*$/.exec(line);
      if (m) {
        defs.set(`${pkg}.${m[1]}`, { struct: [] });
        continue;
      }
      m = /^type\s+(\w+)\s*=\s*([\w.*[\]]+)\s*$/.exec(line);
      if (m) {
        defs.set(`${pkg}.${m[1]}`, { alias: qualify(pkg, m[2]) });
        continue;
      }
      m = /^type\s+(\w+)\s+([\w.*[\]{}]+(?:\s*struct\{\})?)\s*$/.exec(line);
      if (m && !/interface/.test(m[2])) defs.set(`${pkg}.${m[1]}`, { type: qualify(pkg, m[2]) });
    }
  }
}

const ROOTS = [
  "container.InspectResponse",
  "container.Summary",
  "events.Message",
  "image.InspectResponse",
  "image.Summary",
  "image.HistoryResponseItem",
];
const BUILTIN = new Set([
  "time.Time",
  "time.Duration",
  "os.FileMode",
  "digest.Digest",
  "string",
  "bool",
  "int",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "float32",
  "float64",
  "byte",
  "any",
]);
const used = new Map();
function refs(type, out) {
  if (typeof type === "object") {
    for (const f of type.struct) refs(f.type, out);
    return;
  }
  for (const m of type.matchAll(/[A-Za-z_]\w*\.[A-Za-z_]\w*/g)) out.add(m[0]);
}
const queue = [...ROOTS];
const missing = new Set();
while (queue.length) {
  const name = queue.shift();
  if (used.has(name) || BUILTIN.has(name)) continue;
  const def = defs.get(name);
  if (!def) {
    missing.add(name);
    continue;
  }
  used.set(name, def);
  const out = new Set();
  refs(def.struct ? { struct: def.struct } : (def.alias ?? def.type), out);
  for (const r of out) queue.push(r);
}
if (missing.size) process.stderr.write(`unresolved: ${[...missing].join(", ")}\n`);

const fieldText = (f) => {
  const tag = f.tag ? `, ${JSON.stringify(f.tag.json)}, ${JSON.stringify(f.tag.raw)}` : "";
  const type =
    typeof f.type === "object"
      ? `{ struct: [${f.type.struct.map(fieldText).join(", ")}] }`
      : JSON.stringify(f.type);
  return `[${JSON.stringify(f.name)}, ${type}${tag}]`;
};
const out = [];
out.push(`/**
 * The Go types of the Engine API (moby api/types as vendored by docker/cli v28.2.2, with
 * go-connections/nat, opencontainers/image-spec and moby/docker-image-spec): field order, json tags,
 * embedded structs, named types and aliases, so that \`inspect -f\`, \`{{json .}}\` and \`{{.}}\` see the values
 * the docker CLI sees after decoding the daemon's JSON. Generated by
 * packages/cli/test/format/support/genMobyTypes.mjs; do not edit by hand.
 */
import type { GoTypeDef } from "./goTypeDefs.js";

/** Type definitions by qualified name (\`container.State\`). */
export const MOBY_TYPE_DEFS: Readonly<Record<string, GoTypeDef>> = {`);
for (const [name, def] of [...used].sort(([a], [b]) => (a < b ? -1 : 1))) {
  if (def.struct)
    out.push(`  ${JSON.stringify(name)}: { struct: [${def.struct.map(fieldText).join(", ")}] },`);
  else if (def.alias) out.push(`  ${JSON.stringify(name)}: { alias: ${JSON.stringify(def.alias)} },`);
  else out.push(`  ${JSON.stringify(name)}: { type: ${JSON.stringify(def.type)} },`);
}
out.push("};");
process.stdout.write(`${out.join("\n")}\n`);
