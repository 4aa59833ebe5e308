/**
 * `strata info`: the server's GET /info, the lines docker prints first (containers by state, images,
 * server version, storage driver, OS, name, ID…); `--format` runs a template over the whole document
 * (`{{.Containers}}`, `{{json .}}`).
 */
import type { CommandSpec } from "../CommandSpec.js";
import { printFormatted } from "./formatted.js";
import { templateOver } from "./templateOver.js";

type Info = Readonly<Record<string, unknown>>;

export const infoVerb: CommandSpec = {
  name: "info",
  aliases: ["system info"],
  group: "common",
  usage: "strata info [OPTIONS]",
  summary: "Display system-wide information",
  args: { max: 0 },
  readOnly: true,
  flags: {
    format: {
      type: "string",
      short: "f",
      help: "Format output using a custom template: 'json' or a Go template",
      valueName: "string",
    },
  },
  run: (ctx) =>
    printFormatted(ctx, async () => {
      const format = ctx.flags.get("format") as string | undefined;
      const docker = await ctx.docker();
      const info = await docker.json<Info>({ path: "/info" });
      if (format) return { stdout: templateOver(format, info) };
      const v = (k: string) => (info[k] === undefined || info[k] === null ? "" : String(info[k]));
      const lines = [
        "Server:",
        ` Containers: ${v("Containers")}`,
        `  Running: ${v("ContainersRunning")}`,
        `  Paused: ${v("ContainersPaused")}`,
        `  Stopped: ${v("ContainersStopped")}`,
        ` Images: ${v("Images")}`,
        ` Server Version: ${v("ServerVersion")}`,
        ` Storage Driver: ${v("Driver")}`,
        ` Logging Driver: ${v("LoggingDriver")}`,
        ` Cgroup Driver: ${v("CgroupDriver")}`,
        ` Kernel Version: ${v("KernelVersion")}`,
        ` Operating System: ${v("OperatingSystem")}`,
        ` OSType: ${v("OSType")}`,
        ` Architecture: ${v("Architecture")}`,
        ` CPUs: ${v("NCPU")}`,
        ` Name: ${v("Name")}`,
        ` ID: ${v("ID")}`,
        ` Docker Root Dir: ${v("DockerRootDir")}`,
      ];
      return { stdout: `${lines.join("\n")}\n` };
    }),
};
