/**
 * `strata version`: the client (strata) and the server it talks to (GET /version), laid out as docker
 * prints them; `--format` runs a template over `{Client, Server}` (`{{.Server.Version}}`, `json`).
 */
import type { CommandSpec } from "../CommandSpec.js";
import { STRATA_VERSION } from "../strataVersion.js";
import { printFormatted } from "./formatted.js";
import { templateOver } from "./templateOver.js";

interface ApiVersion {
  readonly Platform?: { readonly Name?: string };
  readonly Version?: string;
  readonly ApiVersion?: string;
  readonly MinAPIVersion?: string;
  readonly GitCommit?: string;
  readonly GoVersion?: string;
  readonly Os?: string;
  readonly Arch?: string;
  readonly KernelVersion?: string;
  readonly BuildTime?: string;
}

const GO_ARCH: Readonly<Record<string, string>> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" };

export const versionVerb: CommandSpec = {
  name: "version",
  group: "common",
  usage: "strata version [OPTIONS]",
  summary: "Show the strata version information and the server's",
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
      const client = {
        Platform: { Name: "Strata" },
        Version: STRATA_VERSION,
        ApiVersion: "1.50",
        DefaultAPIVersion: "1.50",
        Os: process.platform,
        Arch: GO_ARCH[process.arch] ?? process.arch,
        NodeVersion: process.version,
        Context: "default",
      };
      const docker = await ctx.docker();
      const server = await docker.json<ApiVersion>({ path: "/version" });
      if (format) return { stdout: templateOver(format, { Client: client, Server: server }) };
      const line = (indent: string, k: string, v: string | undefined) =>
        `${indent}${`${k}:`.padEnd(18 - indent.length + 1)}${v ?? ""}`.trimEnd();
      const out = [
        `Client: ${client.Platform.Name}`,
        line(" ", "Version", client.Version),
        line(" ", "API version", client.ApiVersion),
        line(" ", "Node version", client.NodeVersion),
        line(" ", "OS/Arch", `${client.Os}/${client.Arch}`),
        line(" ", "Context", client.Context),
        "",
        `Server:${server.Platform?.Name ? ` ${server.Platform.Name}` : ""}`,
        " Engine:",
        line("  ", "Version", server.Version),
        line(
          "  ",
          "API version",
          `${server.ApiVersion ?? ""} (minimum version ${server.MinAPIVersion ?? ""})`,
        ),
        line("  ", "Go version", server.GoVersion),
        line("  ", "Git commit", server.GitCommit),
        line("  ", "Built", server.BuildTime),
        line("  ", "OS/Arch", `${server.Os ?? ""}/${server.Arch ?? ""}`),
      ];
      return { stdout: `${out.join("\n")}\n` };
    }),
};
