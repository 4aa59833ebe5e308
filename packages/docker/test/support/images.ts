/**
 * Images for the image tests, made in the engine directly (the API has no registry to pull from): a
 * layer of given files, and an image of layers with tags, labels and a command.
 */
import type { ImageConfig } from "@strata/core";
import type { DurableEngine } from "@strata/engine";

const meta = { uid: 0, gid: 0, mtime: Date.UTC(2026, 0, 1) };

/**
 * The programs a seeded layer carries in `/bin` (empty files with an execute bit: no bytes, so image
 * sizes stay those of `/data`; the runtime looks a container's program up when it starts it).
 */
const PROGRAMS = ["sh", "sleep", "true", "app", "serve", "run"] as const;

/** A layer holding `files` (path → text) under `/data`, and `/bin`'s programs; returns its id. */
export async function seedLayer(engine: DurableEngine, name: string, files: Record<string, string>) {
  const layerId = `sha256:${engine.blobs.put(Buffer.from(`layer ${name}`)).slice(7)}`;
  const r = await engine.execute({
    type: "layer.create",
    layerId,
    entries: [
      { type: "dir", path: "/data", mode: 0o755, ...meta },
      { type: "dir", path: "/bin", mode: 0o755, ...meta },
      ...PROGRAMS.map((p) => ({
        type: "file" as const,
        path: `/bin/${p}`,
        mode: 0o755,
        ...meta,
        digest: engine.blobs.put(Buffer.alloc(0)),
        size: 0,
      })),
      ...Object.entries(files).map(([path, text]) => ({
        type: "file" as const,
        path: `/data/${path}`,
        mode: 0o644,
        ...meta,
        digest: engine.blobs.put(Buffer.from(text)),
        size: Buffer.byteLength(text),
      })),
    ],
  });
  if (!r.ok && r.error.reason !== "layer-exists") throw r.error;
  return layerId;
}

/** An image of `layers` (bottom first) with `tags` and config; returns its id. */
export async function seedImageOf(
  engine: DurableEngine,
  layers: readonly string[],
  tags: readonly string[],
  config: Partial<ImageConfig> = {},
): Promise<string> {
  const r = await engine.execute({
    type: "image.create",
    layers: layers.map((id, i) => ({
      id,
      parent: i === 0 ? null : (layers[i - 1] as string),
      createdBy: `step ${i}`,
    })),
    tags: [...tags],
    cmd: config.cmd ?? ["/bin/sh"],
    config,
  });
  if (!r.ok) throw r.error;
  return r.events[0]?.streamId as string;
}

/** Lets the clock move on a millisecond, so images made next have distinct creation times. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 3));
