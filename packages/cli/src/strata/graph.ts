/**
 * `strata graph REF[@SEQ]`: the layers of an image or container as a graph (SVG or Mermaid).
 */
import type { CommandSpec } from "../CommandSpec.js";
import { refAt } from "../verbs/refAt.js";
import { momentOf } from "./momentOf.js";

export const graphCommand: CommandSpec = {
  name: "graph",
  args: { min: 1, max: 1 },
  group: "log",
  readOnly: true,
  usage: "strata graph REF[@SEQ] [-o FILE] [--format svg|mermaid]",
  flags: {
    output: { type: "string", short: "o", help: "Write to this file" },
    format: { type: "string", values: ["svg", "mermaid"], help: '"svg" (default) or "mermaid"' },
  },
  summary:
    "Draw the layer stack (whiteouts and opaque directories marked) and, for a container, its lifecycle state",
  run: async (ctx) => {
    const [target] = ctx.args;
    const { ref, at } = refAt(target as string);
    const states = await momentOf(ctx, at);
    const { findContainer, findImage } = await import("@strata/core");
    const { stackOf, toMermaid, toSvg } = await import("../graph.js");
    const container = findContainer(states.core, ref);
    const image = container ? undefined : findImage(states.core, ref);
    if (!container && !image) {
      ctx.out.error(`Error response from daemon: No such container or image: ${ref}`);
      return 1;
    }
    const { layers, status } = stackOf(
      states.core,
      states.projection,
      container
        ? { imageId: container.context.imageId, containerId: container.context.id }
        : { imageId: image?.image.id as string },
    );
    const title = container
      ? `container ${container.context.name}${at === undefined ? "" : ` @${at}`}`
      : `image ${ref}${at === undefined ? "" : ` @${at}`}`;
    const format = ctx.flags.get("format") === "mermaid" ? "mermaid" : "svg";
    const text = format === "mermaid" ? toMermaid(title, layers, status) : toSvg(title, layers, status);
    const file = ctx.flags.get("output");
    if (typeof file === "string") {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(file, text);
      ctx.out.line(file);
    } else process.stdout.write(text);
    return 0;
  },
};
