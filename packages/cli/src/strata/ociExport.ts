/**
 * `strata oci export`: images out as an OCI layout or archive.
 */
import { exportImages, exportImagesArchive, type Progress } from "@strata/oci";
import type { CommandSpec } from "../CommandSpec.js";

export const ociExportCommand: CommandSpec = {
  name: "oci export",
  args: { min: 2 },
  group: "strata",
  readOnly: true,
  usage:
    "strata oci export REF [REF...] DIR|FILE.tar [--compression gzip|none] [--format oci|docker] [--platforms REF,...]",
  flags: {
    compression: { type: "string", values: ["gzip", "none"] },
    format: { type: "string", values: ["oci", "docker"] },
    platforms: { type: "string" },
  },
  summary:
    "Write images (or a container, as if committed) as an OCI layout directory or archive (docker: as docker save writes it)",
  run: async (ctx) => {
    const args = [...ctx.args];
    const target = args.pop() as string;
    const engine = await ctx.engine();
    const compression = ctx.flags.get("compression");
    const platforms = ctx.flags.get("platforms");
    const options = {
      ...(compression === "none" || compression === "gzip"
        ? { compression: compression as "none" | "gzip" }
        : {}),
      format: ctx.flags.get("format") === "docker" ? "docker" : "oci",
      ...(typeof platforms === "string" ? { platforms: platforms.split(",").filter(Boolean) } : {}),
      onProgress: (p: Progress) =>
        ctx.progress.update(`exporting ${args.join(" ")}`, p.done, p.total, p.unit),
    } as const;
    const results = target.endsWith(".tar")
      ? await exportImagesArchive(engine, args, target, options)
      : await exportImages(engine, args, target, options);
    ctx.progress.done();
    if (ctx.out.json) ctx.out.data(results.length === 1 ? results[0] : results);
    else
      for (const result of results)
        ctx.out.line(`${result.manifest.digest} (${result.layers.length} layers) -> ${target}`);
    return 0;
  },
};
