/**
 * `strata demo`: a realistic scenario on the workspace's log — an nginx-like image built from two
 * layers, a container created and started, files written, changed and deleted, a commit, and an OCI
 * export — printing what happened. The log stays on disk for the other commands.
 */
import { join } from "node:path";
import type { Command, LayerEntry } from "@strata/core";
import { type DurableEngine, isPostgresUrl } from "@strata/engine";
import { exportImage } from "@strata/oci";
import type { Output } from "./output.js";

export async function runDemo(engine: DurableEngine, location: string, out: Output): Promise<number> {
  const free = (base: string) => {
    let name = base;
    for (
      let i = 2;
      engine.state.names[name] !== undefined || engine.state.tags[`${name}:1`] !== undefined;
      i++
    )
      name = `${base}-${i}`;
    return name;
  };
  const name = free("web");
  const blob = (text: string) => ({
    digest: engine.blobs.put(Buffer.from(text)),
    size: Buffer.byteLength(text),
  });
  const meta = { uid: 0, gid: 0, mtime: Date.UTC(2026, 0, 1) };
  const steps: [string, Command][] = [];
  const layer = (id: number, entries: LayerEntry[]): Command => ({
    type: "layer.create",
    layerId: `sha256:${engine.blobs.put(Buffer.from(`${name}-layer-${id}`)).slice(7)}`,
    entries,
  });
  const base = layer(1, [
    { type: "dir", path: "/etc", mode: 0o755, ...meta },
    {
      type: "file",
      path: "/etc/os-release",
      mode: 0o644,
      ...meta,
      ...blob('NAME="Strata Linux"\nVERSION_ID=1\n'),
    },
    { type: "file", path: "/etc/motd", mode: 0o644, ...meta, ...blob("Welcome!\n") },
    { type: "dir", path: "/usr/share/nginx/html", mode: 0o755, ...meta },
    {
      type: "file",
      path: "/usr/share/nginx/html/index.html",
      mode: 0o644,
      ...meta,
      ...blob("<h1>It works</h1>\n"),
    },
    { type: "symlink", path: "/usr/share/nginx/html/home.html", target: "index.html", ...meta },
  ]);
  // The program the container runs: the runtime looks it up in the image's files when it starts.
  const nginx = layer(2, [
    { type: "dir", path: "/usr/sbin", mode: 0o755, ...meta },
    {
      type: "file",
      path: "/usr/sbin/nginx",
      mode: 0o755,
      ...meta,
      ...blob("#!/bin/sh\n# nginx, modelled\n"),
    },
    { type: "dir", path: "/etc/nginx/conf.d", mode: 0o755, ...meta },
    {
      type: "file",
      path: "/etc/nginx/nginx.conf",
      mode: 0o644,
      ...meta,
      ...blob("events {}\nhttp { include conf.d/*.conf; }\n"),
    },
    {
      type: "file",
      path: "/etc/nginx/conf.d/default.conf",
      mode: 0o644,
      ...meta,
      ...blob("server { listen 80; }\n"),
    },
    { type: "whiteout", path: "/etc/motd" },
  ]);
  const baseId = (base as { layerId: string }).layerId;
  const nginxId = (nginx as { layerId: string }).layerId;
  steps.push(
    ["layer 1: a base filesystem", base],
    ["layer 2: nginx (and /etc/motd removed)", nginx],
    [
      `image create demo/${name}:1`,
      {
        type: "image.create",
        layers: [
          { id: baseId, parent: null, createdBy: "ADD rootfs.tar /" },
          { id: nginxId, parent: baseId, createdBy: "RUN apk add nginx" },
        ],
        tags: [`demo/${name}:1`],
        cmd: ["nginx", "-g", "daemon off;"],
      },
    ],
    [
      `create --name ${name}`,
      {
        type: "container.create",
        name,
        image: `demo/${name}:1`,
        handlers: { SIGTERM: { action: "exit", exitCode: 0 } },
      },
    ],
    [`start ${name}`, { type: "container.start", container: name }],
    [`exec ${name} nginx -t`, { type: "container.exec", container: name, cmd: ["nginx", "-t"], exitCode: 0 }],
    [
      "write index.html",
      {
        type: "fs.writeFile",
        container: name,
        path: "/usr/share/nginx/html/index.html",
        content: "<h1>Hello from Strata</h1>\n",
      },
    ],
    ["mkdir -p /var/log/nginx", { type: "fs.mkdir", container: name, path: "/var/log/nginx", parents: true }],
    [
      "append to access.log",
      {
        type: "fs.writeFile",
        container: name,
        path: "/var/log/nginx/access.log",
        content: "GET / 200\n",
        append: true,
      },
    ],
    ["rm default.conf", { type: "fs.remove", container: name, path: "/etc/nginx/conf.d/default.conf" }],
    [
      "write site.conf",
      {
        type: "fs.writeFile",
        container: name,
        path: "/etc/nginx/conf.d/site.conf",
        content: "server { listen 8080; }\n",
      },
    ],
    [`stop ${name}`, { type: "container.stop", container: name }],
    [
      `commit ${name} demo/${name}:2`,
      { type: "container.commit", container: name, tag: `demo/${name}:2`, comment: "site content" },
    ],
  );
  out.line(
    `Strata demo: every step is an event in ${isPostgresUrl(location) ? "the PostgreSQL log" : `${location}/events`}\n`,
  );
  for (const [label, command] of steps) {
    const r = await engine.execute(command);
    if (!r.ok) {
      out.error(`${label}: Error response from daemon: ${r.error.message}`);
      return 1;
    }
    const status = engine.state.names[name]
      ? engine.state.containers[engine.state.names[name] as string]?.status
      : undefined;
    out.line(
      `$ ${label}  → ${r.events.map((e) => `#${e.seq} ${e.type}`).join(", ")}${status ? `  [${name}: ${status}]` : ""}`,
    );
  }
  out.line("\n$ diff (what the container changed, like docker diff)");
  for (const c of engine.now().diff(name)) out.line(`  ${c.kind} ${c.path}`);
  const target = join(isPostgresUrl(location) ? "strata-demo" : location, "export", `${name}-2`);
  const exported = await exportImage(engine, `demo/${name}:2`, target);
  out.line(`\n$ oci export demo/${name}:2 → ${target}`);
  out.line(
    `  manifest ${exported.manifest.digest}, ${exported.layers.length} layers, chain id ${exported.chainId}`,
  );
  out.line(
    `\nThe log holds ${engine.seq} events. Try: strata ps -a · strata images · strata diff ${name} · strata cat ${name} /usr/share/nginx/html/index.html · strata log events`,
  );
  return 0;
}
