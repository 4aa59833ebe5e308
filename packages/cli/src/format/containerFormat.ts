/**
 * `docker ps` output: the formatter.ContainerContext templates see (ID cut to 12, Image without a
 * digest, Command quoted and cut to 20, CreatedAt, RunningFor "5 minutes ago", Ports, State, Status,
 * Size, Names without "/", Labels "a=b,c=d", Label, Mounts, LocalVolumes, Networks, Platform), docker's
 * default formats (table, raw, `-q`, `--format json`), and the check docker makes of a format before it
 * lists anything (is it valid on an empty container, does it use .Size).
 * Input is the API's JSON (GET /containers/json rows); `now` (ms) is injected for relative times.
 * Pure. Rules: docker/cli cli/command/formatter/container.go, cli/command/container/list.go (v28.2.2).
 */
import { type ApiPort, displayablePorts } from "./displayablePorts.js";
import { familiarString, parseNormalizedNamed } from "./dockerReference.js";
import { ellipsis, truncateId } from "./ellipsis.js";
import { FormatError } from "./FormatError.js";
import { defineContext, goText } from "./formatterContext.js";
import { parseDockerTemplate, writeFormatted } from "./formatWrite.js";
import { TemplateExecError } from "./GoTemplate.js";
import { addMethods, type GoValue, mapOf, namedType, ptrTo, setFields, structType, T } from "./GoType.js";
import { goStruct, zeroValue } from "./GoValue.js";
import { goJsonUnmarshal } from "./goJsonDecode.js";
import { goQuote } from "./goQuote.js";
import { fromGoString, toGoString } from "./goString.js";
import { timeString, utcTime } from "./goTime.js";
import { humanDuration, humanSizeWithPrecision } from "./goUnits.js";
import { decodeApiValue, moby } from "./mobyModel.js";
import { parseRawJson } from "./rawJson.js";

/** A row of GET /containers/json, as parsed JSON (moby container.Summary). */
export interface ApiContainer {
  readonly Id?: string;
  readonly Names?: readonly string[] | null;
  readonly Image?: string;
  readonly ImageID?: string;
  readonly ImageManifestDescriptor?: { readonly platform?: Record<string, unknown> | null } | null;
  readonly Command?: string;
  readonly Created?: number;
  readonly Ports?: readonly ApiPort[] | null;
  readonly SizeRw?: number;
  readonly SizeRootFs?: number;
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly State?: string;
  readonly Status?: string;
  readonly Mounts?:
    | readonly { readonly Name?: string; readonly Source?: string; readonly Driver?: string }[]
    | null;
  readonly NetworkSettings?: { readonly Networks?: Readonly<Record<string, unknown>> | null } | null;
  readonly [key: string]: unknown;
}

interface Row {
  readonly c: ApiContainer;
  readonly trunc: boolean;
  readonly now: number;
}

const DEFAULT_TABLE =
  "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}";

const HEADER = {
  ID: "CONTAINER ID",
  Names: "NAMES",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Labels: "LABELS",
  Mounts: "MOUNTS",
  LocalVolumes: "LOCAL VOLUMES",
  Networks: "NETWORKS",
  Platform: "PLATFORM",
};

/** formatter.Platform: an ocispec.Platform whose String() is containerd's FormatAll ("linux/amd64"). */
const PLATFORM = namedType("formatter.Platform", structType([]));
setFields(PLATFORM, [{ name: "", type: moby.named("ocispec.Platform"), json: null, embedded: true }]);
addMethods(PLATFORM, [
  {
    name: "String",
    ptrRecv: false,
    params: [],
    result: T.string,
    call: (recv) => {
      const target = recv.t.kind === "ptr" ? (recv.v as { target: GoValue } | null)?.target : recv;
      if (!target) throw new Error("runtime error: invalid memory address or nil pointer dereference");
      const p = (target.v as GoValue[])[0] as GoValue;
      const [arch, os, osVersion, , variant] = (p.v as GoValue[]).map((f) => f.v);
      if (os === "") return { t: T.string, v: "unknown" };
      let s = [os, arch, variant].filter((x) => x !== "").join("/");
      if (osVersion !== "") s += `(${osVersion})`;
      return { t: T.string, v: s };
    },
  },
]);

const s = (v: string | undefined) => toGoString(v ?? "");
const str = (bytes: string): GoValue => ({ t: T.string, v: bytes });

const CONTAINER = defineContext<Row>(
  "formatter.ContainerContext",
  [
    { name: "trunc", type: T.bool },
    { name: "c", type: moby.named("container.Summary") },
    { name: "FieldsUsed", type: mapOf(T.string, T.any) },
  ],
  [
    {
      name: "Command",
      result: T.string,
      call: ({ c, trunc }) => str(goQuote(trunc ? ellipsis(s(c.Command), 20) : s(c.Command))),
    },
    {
      name: "CreatedAt",
      result: T.string,
      call: ({ c }) => goText(timeString(utcTime(BigInt(c.Created ?? 0) * 1_000_000_000n))),
    },
    { name: "ID", result: T.string, call: ({ c, trunc }) => str(trunc ? truncateId(s(c.Id)) : s(c.Id)) },
    { name: "Image", result: T.string, call: ({ c, trunc }) => goText(imageOf(c, trunc)) },
    {
      name: "Label",
      params: [T.string],
      result: T.string,
      call: ({ c }, args) => {
        const key = fromGoString((args[0]?.v as string) ?? "");
        return goText(c.Labels && Object.hasOwn(c.Labels, key) ? (c.Labels[key] ?? "") : "");
      },
    },
    {
      name: "Labels",
      result: T.string,
      call: ({ c }) => {
        if (!c.Labels) return str("");
        const pairs = Object.entries(c.Labels).map(([k, v]) => s(`${k}=${v}`));
        pairs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return str(pairs.join(","));
      },
    },
    {
      name: "LocalVolumes",
      result: T.string,
      call: ({ c }) => str(String((c.Mounts ?? []).filter((m) => m.Driver === "local").length)),
    },
    {
      name: "Mounts",
      result: T.string,
      call: ({ c, trunc }) =>
        str(
          (c.Mounts ?? [])
            .map((m) => {
              const name = s(m.Name ? m.Name : m.Source);
              return trunc ? ellipsis(name, 15) : name;
            })
            .join(","),
        ),
    },
    {
      name: "Names",
      result: T.string,
      call: ({ c, trunc }) => {
        let names = (c.Names ?? []).map((n) => s(n).slice(1));
        if (trunc) {
          const plain = names.find((n) => n.split("/").length === 1);
          if (plain !== undefined) names = [plain];
        }
        return str(names.join(","));
      },
    },
    {
      name: "Networks",
      result: T.string,
      call: ({ c }) => {
        const nets = c.NetworkSettings?.Networks;
        if (!c.NetworkSettings) return str("");
        return str(
          Object.keys(nets ?? {})
            .map(s)
            .sort()
            .join(","),
        );
      },
    },
    {
      name: "Platform",
      result: ptrTo(PLATFORM),
      call: ({ c }) => {
        const p = c.ImageManifestDescriptor?.platform;
        if (!p) return zeroValue(ptrTo(PLATFORM));
        const platform = goJsonUnmarshal(
          parseRawJson(toGoString(JSON.stringify(p))),
          moby.named("ocispec.Platform"),
        );
        return { t: ptrTo(PLATFORM), v: { target: { t: PLATFORM, v: [platform], addr: true } } };
      },
    },
    { name: "Ports", result: T.string, call: ({ c }) => goText(displayablePorts(c.Ports ?? [])) },
    {
      name: "RunningFor",
      result: T.string,
      call: ({ c, now }) => goText(`${humanDuration(now - (c.Created ?? 0) * 1000)} ago`),
    },
    {
      name: "Size",
      result: T.string,
      call: ({ c }, _args, fields) => {
        const used = fields[3] as GoValue;
        const map = (used.v as Map<string, GoValue> | null) ?? new Map<string, GoValue>();
        map.set("Size", { t: T.any, v: goStruct(structType([]), []) });
        fields[3] = { t: used.t, v: map, addr: true };
        const srw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
        const sv = humanSizeWithPrecision(c.SizeRootFs ?? 0, 3);
        return goText((c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${sv})` : srw);
      },
    },
    { name: "State", result: T.string, call: ({ c }) => goText(c.State ?? "") },
    { name: "Status", result: T.string, call: ({ c }) => goText(c.Status ?? "") },
  ],
);

/** ContainerContext.Image: with trunc, the id when the image is the id, else the reference without its digest. */
function imageOf(c: ApiContainer, trunc: boolean): string {
  const image = c.Image ?? "";
  if (image === "") return "<no image>";
  if (trunc) {
    const t = truncateId(toGoString(c.ImageID ?? ""));
    if (t === truncateId(toGoString(image))) return fromGoString(t);
    try {
      const ref = parseNormalizedNamed(image);
      return familiarString({ ...ref, digest: "" });
    } catch {
      return image;
    }
  }
  return image;
}

function containerValue(c: ApiContainer, trunc: boolean, now: number): GoValue {
  const summary = decodeApiValue(c, "container.Summary");
  return CONTAINER.row({ c, trunc, now }, [
    { t: T.bool, v: trunc },
    summary,
    zeroValue(mapOf(T.string, T.any)),
  ]);
}

/** formatter.NewContainerFormat(source, quiet, size). */
export function newContainerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === "table" || source === "") {
    if (quiet) return "{{.ID}}";
    return size ? `${DEFAULT_TABLE}\\t{{.Size}}` : DEFAULT_TABLE;
  }
  if (source === "raw") {
    if (quiet) return "container_id: {{.ID}}";
    let f =
      "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n";
    if (size) f += "size: {{.Size}}\\n";
    return f;
  }
  return quiet ? "{{.ID}}" : source;
}

/**
 * What `docker ps --format F` checks before listing: F parses and runs on an empty container (else the
 * error docker prints, exit 1), and whether F uses .Size (then docker asks the daemon for sizes).
 */
export function checkContainerFormat(format: string): { readonly usesSize: boolean } {
  if (format === "") return { usesSize: false };
  const tmpl = parseDockerTemplate(format, "failed to parse template", 1);
  const empty = containerValue({}, false, 0);
  try {
    tmpl.executeBytes(empty);
  } catch (e) {
    if (e instanceof TemplateExecError)
      throw new FormatError("FORMAT_TEMPLATE_EXEC", `failed to execute template: ${e.message}`, 1);
    throw e;
  }
  const used = ((empty.v as { target: GoValue }).target.v as GoValue[])[3] as GoValue;
  return { usesSize: ((used.v as Map<string, unknown> | null) ?? new Map()).has("Size") };
}

/** Options of `docker ps` that shape its output. */
export interface ContainerListOptions {
  /** --format (empty or absent: the default table). */
  readonly format?: string;
  readonly quiet?: boolean;
  readonly noTrunc?: boolean;
  /** --size; absent means docker's default (sizes when the format uses .Size), false is --size=false. */
  readonly size?: boolean;
  /** The time relative columns are measured from (ms since the epoch). */
  readonly now: number;
}

/** What docker writes: stdout, and stderr's warnings. */
export interface FormattedOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `docker ps` output for the rows of GET /containers/json.
 * @throws FormatError as docker reports a bad format
 * @example formatContainerList(rows, { now: Date.UTC(2026, 0, 1) }).stdout
 */
export function formatContainerList(
  containers: readonly ApiContainer[],
  options: ContainerListOptions,
): FormattedOutput {
  const format = options.format ?? "";
  const stderr =
    format !== "" && options.quiet
      ? "WARNING: Ignoring custom format, because both --format and --quiet are set.\n"
      : "";
  try {
    const { usesSize } = checkContainerFormat(format);
    const size = (options.size ?? false) || (usesSize && !options.quiet);
    const trunc = !options.noTrunc;
    const rows = containers.map((c) => containerValue(c, trunc, options.now));
    const out = writeFormatted(
      newContainerFormat(format, options.quiet ?? false, size),
      rows,
      CONTAINER.header(HEADER),
    );
    return { stdout: fromGoString(out), stderr };
  } catch (e) {
    // docker prints the --quiet warning before it checks the format
    if (e instanceof FormatError && stderr !== "")
      throw new FormatError(e.code, e.message, e.exitCode, stderr);
    throw e;
  }
}
