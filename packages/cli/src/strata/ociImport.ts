/**
 * `strata oci import`: an OCI layout or archive in, on the hostile-safe path.
 */
import { statSync } from "node:fs";
import { importImage, importImageArchive, type Progress } from "@strata/oci";
import type { CommandSpec } from "../CommandSpec.js";

export const ociImportCommand: CommandSpec = {
  name: "oci import",
  args: { min: 1, max: 1 },
  group: "strata",
  usage: "strata oci import DIR|FILE [--tag REPOSITORY:TAG] [--ref NAME] [--platform OS/ARCH[/VARIANT]]",
  flags: {
    format: { type: "string", values: ["json"], help: 'Print JSON ("json")' },
    tag: { type: "string" },
    ref: { type: "string" },
    platform: { type: "string" },
  },
  summary:
    "Import the images of an OCI layout (directory or tar) or a docker save archive (of several platforms: the host's, or --platform)",
  run: async (ctx) => {
    const [source] = ctx.args;
    const engine = await ctx.engine();
    const tag = ctx.flags.get("tag");
    const ref = ctx.flags.get("ref");
    const platform = ctx.flags.get("platform");
    const options = {
      ...(typeof tag === "string" ? { tag } : {}),
      ...(typeof ref === "string" ? { ref } : {}),
      ...(typeof platform === "string" ? { platform } : {}),
      onProgress: (p: Progress) => ctx.progress.update(`importing ${source}`, p.done, p.total, p.unit),
    };
    // A directory is a layout; anything else an archive, whatever its name (`save.tar.gz` too).
    const isDirectory = statSync(source as string, { throwIfNoEntry: false })?.isDirectory() === true;
    const result = isDirectory
      ? await importImage(engine, source as string, options)
      : await importImageArchive(engine, source as string, options);
    ctx.progress.done();
    if (ctx.out.json) ctx.out.data(result);
    else for (const image of result.images) ctx.out.line(image.imageId);
    return 0;
  },
};
