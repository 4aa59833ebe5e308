/**
 * The oracle for the formatters: the real docker CLI (28.2, on PATH, no daemon) is pointed at a stub
 * daemon serving random Engine API JSON, and for random data, flags and format strings our formatter's
 * stdout, stderr and exit status equal docker's byte for byte (ps, images, history, inspect, events).
 *
 * Relative times ("5 minutes ago") are measured by docker from its own clock: the data's times are
 * chosen relative to the `now` this test reads just before the run, far enough from a wording boundary
 * that the few seconds a run takes cannot change it (support/apiArbitraries.ts `stableAge`).
 * Only Go pointer addresses in `{{.}}` (0xc000…), which depend on docker's heap, are masked.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiContainer, formatContainerList } from "../../src/format/containerFormat.js";
import { eventFormatter } from "../../src/format/eventFormat.js";
import { FormatError } from "../../src/format/FormatError.js";
import { formatImageHistory } from "../../src/format/historyFormat.js";
import { formatImageList } from "../../src/format/imageFormat.js";
import { formatInspect } from "../../src/format/inspectFormat.js";
import {
  apiContainer,
  apiHistoryItem,
  apiImage,
  containerInspect,
  eventLine,
  imageInspect,
} from "./support/apiArbitraries.js";
import { type StubDaemon, startStubDaemon } from "./support/stubDaemon.js";

/** Runs per command: each run is one docker process (~0.2 s); the five commands run side by side. */
const RUNS = Number(process.env.ORACLE_RUNS ?? 40);

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const mask = (s: string) => s.replace(/0xc[0-9a-f]{6,}/g, "0xADDR");

function ours(f: () => { stdout: string; stderr?: string; exitCode?: number }): Outcome {
  try {
    const r = f();
    return { code: r.exitCode ?? 0, stdout: r.stdout, stderr: r.stderr ?? "" };
  } catch (e) {
    if (e instanceof FormatError) return { code: e.exitCode, stdout: "", stderr: e.stderr };
    throw e;
  }
}

async function compare(
  d: StubDaemon,
  args: readonly string[],
  mine: (now: number) => Outcome,
  now: number,
  unordered = false,
): Promise<void> {
  const run = await d.docker(args);
  const theirs = { code: run.code, stdout: mask(run.out), stderr: run.err };
  const got = mine(now);
  if (unordered) {
    // docker groups an image's rows by repository in a Go map, whose order is random; we keep one order
    const lines = (s: string) => s.split("\n").sort();
    expect({ ...got, stdout: lines(mask(got.stdout)) }, JSON.stringify(args)).toEqual({
      ...theirs,
      stdout: lines(theirs.stdout),
    });
    return;
  }
  expect({ ...got, stdout: mask(got.stdout) }, JSON.stringify(args)).toEqual(theirs);
}

/** A template of random fields of a context, as users write them (table or not, tabs, json, funcs). */
function composed(fields: readonly string[]): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...fields).map((f) => `{{.${f}}}`) },
    { weight: 1, arbitrary: fc.constantFrom(...fields).map((f) => `{{json .${f}}}`) },
    { weight: 1, arbitrary: fc.constantFrom(...fields).map((f) => `{{upper .${f}}}`) },
    { weight: 1, arbitrary: fc.constantFrom(...fields).map((f) => `{{printf "%q" .${f}}}`) },
  );
  return fc
    .tuple(fc.boolean(), fc.array(piece, { minLength: 1, maxLength: 4 }), fc.constantFrom("\\t", " ", "|"))
    .map(([table, ps, sep]) => `${table ? "table " : ""}${ps.join(sep)}`);
}

/** How many repositories an image summary names, through its tags (`repo:tag`) and digests (`repo@digest`). */
function repositories(r: Record<string, unknown>): number {
  const tags = ((r.RepoTags ?? []) as string[]).map((t) => t.slice(0, t.lastIndexOf(":")));
  const digests = ((r.RepoDigests ?? []) as string[]).map((d) => d.slice(0, d.indexOf("@")));
  return new Set([...tags, ...digests]).size;
}

const nowSec = () => Math.floor(Date.now() / 1000);

/** Rows generated around time 0 moved to `now` (0, the epoch, stays). */
function atNow(rows: readonly Record<string, unknown>[], now: number): Record<string, unknown>[] {
  return rows.map((r) => (r.Created === 0 ? r : { ...r, Created: (r.Created as number) + now }));
}

describe.concurrent("docker 28.2 formats the stub daemon's answers as we do", { timeout: 300_000 }, () => {
  let daemons: StubDaemon[] = [];
  beforeAll(async () => {
    daemons = await Promise.all([0, 1, 2, 3, 4, 5].map(() => startStubDaemon()));
  });
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.close()));
  });

  const CONTAINER_FIELDS = [
    "ID",
    "Names",
    "Image",
    "Command",
    "CreatedAt",
    "RunningFor",
    "Ports",
    "State",
    "Status",
    "Size",
    "Labels",
    "Mounts",
    "LocalVolumes",
    "Networks",
    "Platform",
  ];
  test("ps", async () => {
    const d = daemons[0] as StubDaemon;
    const format = fc.oneof(
      fc.constantFrom(
        "",
        "table",
        "json",
        "raw",
        "{{.ID}}\\t{{.Names}}",
        "{{json .}}",
        "{{.Status}}",
        "{{upper .Names}}",
        '{{.Label "x"}}',
        '{{.Label "com.example.x"}}',
        "{{.Size}}",
        "{{.}}",
        "{{.Foo}}",
        "{{.ID",
        "table {{.Names}}\\t{{.Size}}",
      ),
      composed(CONTAINER_FIELDS),
    );
    const flags = fc.subarray(["-q", "--no-trunc", "-s", "-a"]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(apiContainer(0), { maxLength: 4 }),
        format,
        flags,
        async (relative, fmt, fl) => {
          const now = nowSec();
          const rows = atNow(relative, now) as ApiContainer[];
          d.set("/containers/json", rows);
          const args = ["ps", ...fl, ...(fmt ? ["--format", fmt] : [])];
          await compare(
            d,
            args,
            (n) =>
              ours(() =>
                formatContainerList(rows, {
                  format: fmt,
                  quiet: fl.includes("-q"),
                  noTrunc: fl.includes("--no-trunc"),
                  size: fl.includes("-s") ? true : undefined,
                  now: n,
                }),
              ),
            now * 1000 + 1000,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  const IMAGE_FIELDS = [
    "ID",
    "Repository",
    "Tag",
    "Digest",
    "CreatedSince",
    "CreatedAt",
    "Size",
    "SharedSize",
    "UniqueSize",
    "VirtualSize",
    "Containers",
  ];
  test("images", async () => {
    const d = daemons[1] as StubDaemon;
    const format = fc.oneof(
      fc.constantFrom(
        "",
        "table",
        "json",
        "{{.ID}}",
        "{{json .}}",
        "table {{.Repository}}:{{.Tag}}",
        "{{.Repository}}:{{.Tag}} {{.Digest}}",
        "{{.Size}}",
        "{{.}}",
        "{{.Nope}}",
      ),
      composed(IMAGE_FIELDS),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(apiImage(0), { maxLength: 4 }),
        format,
        fc.subarray(["-q", "--no-trunc", "--digests", "-a"]),
        async (relative, fmt, fl) => {
          const now = nowSec();
          const rows = atNow(relative, now);
          d.set("/images/json", rows);
          await compare(
            d,
            ["images", ...fl, ...(fmt ? ["--format", fmt] : [])],
            (n) =>
              ours(() =>
                formatImageList(rows, {
                  format: fmt,
                  quiet: fl.includes("-q"),
                  noTrunc: fl.includes("--no-trunc"),
                  digests: fl.includes("--digests"),
                  now: n,
                }),
              ),
            now * 1000 + 1000,
            // An image named in several repositories (by tag or by digest) is listed in Go's map order
            // of its repositories.
            fl.includes("--digests") || fmt.includes(".Digest") || rows.some((r) => repositories(r) > 1),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("history", async () => {
    const d = daemons[2] as StubDaemon;
    const format = fc.oneof(
      fc.constantFrom("", "table", "json", "{{.ID}}", "{{json .}}", "{{.CreatedBy}}", "{{.Size}}", "{{.}}"),
      composed(["ID", "CreatedSince", "CreatedAt", "CreatedBy", "Size", "Comment"]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(apiHistoryItem(0), { maxLength: 4 }),
        format,
        fc.subarray(["-q", "--no-trunc", "-H=false"]),
        async (relative, fmt, fl) => {
          const now = nowSec();
          const rows = atNow(relative, now);
          d.set("/images/img/history", rows);
          await compare(
            d,
            ["history", ...fl, ...(fmt ? ["--format", fmt] : []), "img"],
            (n) =>
              ours(() =>
                formatImageHistory(rows, {
                  format: fmt,
                  quiet: fl.includes("-q"),
                  noTrunc: fl.includes("--no-trunc"),
                  human: !fl.includes("-H=false"),
                  now: n,
                }),
              ),
            now * 1000 + 1000,
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("inspect", async () => {
    const d = daemons[3] as StubDaemon;
    const format = fc.constantFrom(
      "",
      "json",
      "{{.Id}}",
      "{{.Name}}",
      "{{json .}}",
      "{{.State}}",
      "{{.State.Running}} {{.State.Pid}}",
      "{{json .Config}}",
      "{{.Config.Labels}}",
      '{{index .Config.Labels "x"}}',
      "{{range .Config.Env}}{{.}};{{end}}",
      "{{.HostConfig.PortBindings}}",
      "{{.RootFS.Layers}}",
      "{{.Strata}}",
      "{{.Missing.Deeper}}",
      "{{.Size}}",
      "{{.Config.Cmd}}",
      "{{.ID",
      "{{range $p, $b := .HostConfig.PortBindings}}{{$p}}->{{(index $b 0).HostPort}} {{end}}",
      "{{slice .Name 1}}",
      "{{len .Config.Env}}",
      "{{index .Args 5}}",
      "{{eq .State.Pid 0}}",
      "{{.State.StartedAt}} {{.Created}}",
      "{{.Config.StopTimeout}}",
      "{{.Name.Foo}}",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          containerInspect.map((doc) => ({ kind: "container" as const, doc })),
          imageInspect.map((doc) => ({ kind: "image" as const, doc })),
        ),
        format,
        fc.boolean(),
        async ({ kind, doc }, fmt, typed) => {
          d.set("/containers/obj/json", kind === "container" ? doc : undefined);
          d.set("/images/obj/json", kind === "image" ? doc : undefined);
          const raw = JSON.stringify(doc);
          const args = ["inspect", ...(typed ? ["--type", kind] : []), ...(fmt ? ["-f", fmt] : []), "obj"];
          await compare(d, args, () => ours(() => formatInspect([{ raw, kind }], fmt || undefined)), 0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("events", async () => {
    const d = daemons[4] as StubDaemon;
    const format = fc.oneof(
      fc.constantFrom(
        "",
        "json",
        "{{json .}}",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
        "{{.}}",
        "{{.Foo}}",
        "{{.Time",
        "{{json .Actor}}",
        '{{index .Actor.Attributes "name"}}',
        "{{.TimeNano}} {{.Time}} {{.Scope}} {{.Status}} {{.ID}} {{.From}}",
      ),
      composed(["Type", "Action", "Actor", "Actor.ID", "Actor.Attributes", "Scope", "Time", "TimeNano"]),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(eventLine, { maxLength: 4 }), format, async (events, fmt) => {
        d.set("/events", events);
        await compare(
          d,
          ["events", "--until", "0", ...(fmt ? ["--format", fmt] : [])],
          () =>
            ours(() => {
              const f = eventFormatter(fmt);
              let stdout = "";
              for (const e of events) {
                const r = f.format(e);
                stdout += r.stdout;
                if (r.error) return { stdout, stderr: r.stderr, exitCode: 1 };
              }
              return { stdout };
            }),
          0,
        );
      }),
      { numRuns: RUNS },
    );
  });

  test("random templates: the same output or the same parse and execution errors", async () => {
    const d = daemons[5] as StubDaemon;
    const piece = fc.constantFrom(
      "{{",
      "}}",
      "{{-",
      "-}}",
      ".",
      ".Name",
      ".Config",
      ".Labels",
      ".Args",
      " ",
      "|",
      "(",
      ")",
      "$x",
      ":=",
      "$",
      '"',
      "`",
      "'a'",
      "if",
      "else",
      "end",
      "range",
      "with",
      "1",
      "-1.5e3",
      "0x1F",
      "json",
      "nil",
      "true",
      "\n",
      "/*",
      "*/",
      "index",
      "len",
      "printf",
      '"%v"',
      "eq",
      "upper",
      "split",
      "join",
      "pad",
      "truncate",
      "title",
      "println",
      "and",
      "or",
      "not",
      "break",
      "continue",
      "$.Name",
      "slice",
    );
    const doc = {
      Name: "/web",
      Labels: { b: "2", a: "1" },
      Args: ["sh", "-c", "x y"],
      Config: { Env: ["A=1"], Labels: null, N: 3 },
    };
    d.set("/containers/obj/json", doc);
    const raw = JSON.stringify(doc);
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 10 }), async (pieces) => {
        const fmt = pieces.join("");
        await compare(
          d,
          ["inspect", "--type", "container", "-f", fmt, "obj"],
          () => ours(() => formatInspect([{ raw, kind: "other" }], fmt)),
          0,
        );
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
