/**
 * `strata inspect NAME[@SEQ]…` (docker/cli `system/inspect.go`): each name is looked up as a container,
 * then an image (or only the `--type` given), and the daemon's JSON printed as docker prints it (an
 * indented array) or through `-f/--format`. A name found as neither is docker's `Error: No such object:
 * NAME` (exit 1, after printing what was found). `NAME@SEQ` reads the object as it was right after event
 * SEQ (Strata's time travel, the server's `/strata/at/SEQ/…` paths).
 */
import type { CommandSpec } from "../CommandSpec.js";
import { DaemonError, type DockerClient } from "../client/DockerClient.js";
import { formatInspect, type InspectTarget } from "../format/inspectFormat.js";
import { atPath, printFormatted } from "./formatted.js";
import { refAt } from "./refAt.js";

type Kind = "container" | "image";

async function fetchAs(docker: DockerClient, kind: Kind, name: string, size: boolean): Promise<string> {
  const { ref, at } = refAt(name);
  const path =
    kind === "container"
      ? `/containers/${encodeURIComponent(ref)}/json`
      : `/images/${encodeURIComponent(ref)}/json`;
  const { body } = await docker.call({
    path: atPath(at, path),
    query: { size: kind === "container" && size ? "1" : undefined },
  });
  return body.toString("utf8").replace(/\n$/, "");
}

async function target(
  docker: DockerClient,
  name: string,
  type: Kind | undefined,
  size: boolean,
): Promise<InspectTarget> {
  const kinds: Kind[] = type ? [type] : ["container", "image"];
  for (const kind of kinds) {
    try {
      return { raw: await fetchAs(docker, kind, name, size), kind };
    } catch (e) {
      if (!(e instanceof DaemonError)) throw e;
      if (type) return { error: `Error response from daemon: ${e.message}` };
      // a seq past the log's head is a 404 too, but about the seq, not the name
      if (e.status !== 404 || e.message.startsWith("No such event"))
        return { error: `Error response from daemon: ${e.message}` };
    }
  }
  return { error: `Error: No such object: ${name}` };
}

export const inspectVerb: CommandSpec = {
  name: "inspect",
  group: "common",
  usage: "strata inspect [OPTIONS] NAME|ID[@SEQ] [NAME|ID[@SEQ]...]",
  summary: "Return low-level information on containers and images (as they were at SEQ)",
  args: { min: 1 },
  readOnly: true,
  flags: {
    format: {
      type: "string",
      short: "f",
      help: "Format output using a custom template: 'json' or a Go template",
      valueName: "string",
    },
    size: { type: "boolean", short: "s", help: "Display total file sizes if the type is container" },
    type: { type: "string", values: ["container", "image"], help: "Only inspect objects of the given type" },
  },
  run: (ctx) =>
    printFormatted(ctx, async () => {
      const format = ctx.flags.get("format") as string | undefined;
      // docker checks the template before it asks the daemon
      if (format) formatInspect([], format);
      const docker = await ctx.docker();
      const type = ctx.flags.get("type") as Kind | undefined;
      const targets: InspectTarget[] = [];
      for (const name of ctx.args)
        targets.push(await target(docker, name, type, ctx.flags.get("size") === true));
      return formatInspect(targets, format || undefined);
    }),
};
