/**
 * The docs match the code: generated tables are up to date (UPDATE_DOCS=1 rewrites them), every event
 * and command type is documented, and every ```ts example in docs/ runs.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMANDS, helpText } from "@strata/cli";
import {
  CommandSchema,
  ContainerEventSchema,
  DaemonEventSchema,
  FsEventSchema,
  ImageEventSchema,
  LayerEventSchema,
} from "@strata/core";
import { describe, expect, test } from "vitest";
import { lifecycleTable } from "../packages/core/test/support/probe.js";
import { fieldsText } from "./schemaText.js";

const DOCS = new URL(".", import.meta.url).pathname;
const read = (name: string) => readFileSync(join(DOCS, name), "utf8");

const eventSchemas = [
  ...ContainerEventSchema.options,
  ...FsEventSchema.options,
  ...ImageEventSchema.options,
  ...LayerEventSchema.options,
  ...DaemonEventSchema.options,
] as unknown as {
  entries: { type: { literal: string }; data: Parameters<typeof fieldsText>[0] };
}[];
const commandSchemas = CommandSchema.options as unknown as {
  entries: Record<string, Parameters<typeof fieldsText>[0]> & { type: { literal: string } };
}[];

function eventsTable(): string {
  const rows = eventSchemas.map(
    (s) => `| \`${s.entries.type.literal}\` | 1 | ${fieldsText(s.entries.data)} |`,
  );
  return ["| type | version | data fields |", "|---|---|---|", ...rows].join("\n");
}

function commandsTable(): string {
  const rows = commandSchemas.map((s) => {
    const { type, ...rest } = s.entries;
    return `| \`${type.literal}\` | ${fieldsText({ type: "object", entries: rest } as Parameters<typeof fieldsText>[0])} |`;
  });
  return ["| type | fields |", "|---|---|", ...rows].join("\n");
}

/**
 * The reference table, from what `strata COMMAND --help` prints (the usage line, the summary) and the
 * flags each command declares (what the parser accepts: every one is listed, with its short form).
 */
function cliReference(): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const rows = COMMANDS.map((c) => {
    // `--help`: a blank line, the usage (one line or more, `cp` has two), a blank line, the summary.
    const lines = helpText(c.name).split("\n");
    const blank = lines.indexOf("", 1);
    const usages = lines.slice(1, blank).map((l) => l.replace(/^Usage: +/, "").trim());
    const summary = lines.slice(blank + 1).find((l) => l !== "");
    const flags = Object.entries(c.flags ?? {})
      .filter(([, f]) => !f.hidden)
      .map(([name, f]) => `\`${f.short ? `-${f.short}, ` : ""}--${name}\``)
      .join(" ");
    const usage = usages.map((u) => `\`${cell(u)}\``).join("<br>");
    return `| ${usage} | ${cell((summary ?? "").replace(/\.$/, ""))} | ${flags} |`;
  });
  return ["| usage | what it does | flags |", "|---|---|---|", ...rows].join("\n");
}

const GENERATED: Record<string, [string, () => string]> = {
  "cli-reference": ["cli.md", cliReference],
  "lifecycle-table": ["lifecycle.md", lifecycleTable],
  "events-table": ["events.md", eventsTable],
  "commands-table": ["commands.md", commandsTable],
};

describe("generated tables", () => {
  for (const [name, [file, generate]] of Object.entries(GENERATED)) {
    test(`${file}: ${name} matches the code`, () => {
      const text = read(file);
      const begin = `<!-- BEGIN GENERATED: ${name} -->`;
      const end = `<!-- END GENERATED: ${name} -->`;
      const start = text.indexOf(begin);
      const stop = text.indexOf(end);
      expect(start, `${file} has the ${name} markers`).toBeGreaterThanOrEqual(0);
      // Compare cell by cell: the formatter may pad the table.
      const normalise = (table: string) =>
        table
          .trim()
          .split("\n")
          .map((line) =>
            line
              .split(/(?<!\\)\|/)
              .map((c) => c.trim().replace(/^:?-{3,}:?$/, "---"))
              .join("|"),
          )
          .join("\n");
      const current = normalise(text.slice(start + begin.length, stop));
      const fresh = normalise(generate());
      if (process.env.UPDATE_DOCS && current !== fresh) {
        writeFileSync(
          join(DOCS, file),
          `${text.slice(0, start + begin.length)}\n${fresh}\n${text.slice(stop)}`,
        );
        return;
      }
      expect(current, `${file} is stale: run UPDATE_DOCS=1 pnpm vitest run docs`).toBe(fresh);
    });
  }
});

describe("catalogues", () => {
  test("every event type has a section in events.md", () => {
    const text = read("events.md");
    for (const s of eventSchemas) expect(text).toContain(`### \`${s.entries.type.literal}\``);
  });
});

const PG_URL = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";
const pgUnreachable = await (async () => {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (e) {
    if (process.env.CI === "true")
      throw new Error(`the PostgreSQL examples must run in CI, but: ${(e as Error).message}`);
    return `PostgreSQL is not reachable: ${(e as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
})();

describe("examples", () => {
  const files = readdirSync(DOCS).filter((f) => f.endsWith(".md"));
  const examples = files.flatMap((file) =>
    [...read(file).matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => ({
      file,
      index: i + 1,
      code: m[1] ?? "",
    })),
  );
  test("there are examples to run", () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  for (const ex of examples) {
    // An example that needs PostgreSQL runs where a server is reachable, and always under CI.
    const skip = ex.code.includes("postgres://") && pgUnreachable !== null;
    test.skipIf(skip)(
      `${ex.file} example ${ex.index} runs${skip ? ` (skipped: ${pgUnreachable})` : ""}`,
      async () => {
        const dir = join(DOCS, ".examples");
        mkdirSync(dir, { recursive: true });
        const path = join(dir, `${ex.file.replace(/\.md$/, "")}-${ex.index}.ts`);
        writeFileSync(path, ex.code);
        try {
          await import(path);
        } finally {
          rmSync(path);
        }
      },
    );
  }
});

describe("getting started", () => {
  test("every sh block of getting-started.md runs, in order, against the built strata", () => {
    const blocks = [...read("getting-started.md").matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    expect(blocks.length).toBeGreaterThan(3);
    // The Docker verbs, not JSON scripts.
    expect(blocks.join("\n")).not.toMatch(/strata apply/);
    const bin = new URL("../node_modules/.bin", import.meta.url).pathname;
    expect(existsSync(join(bin, "strata")), "the strata binary is installed (pnpm install, pnpm build)").toBe(
      true,
    );
    const dir = mkdtempSync(join(tmpdir(), "strata-getting-started-"));
    try {
      const r = spawnSync("bash", ["-euo", "pipefail", "-c", blocks.join("\n")], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, STRATA_LOG: "" },
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain("hello, world");
      expect(r.stdout).toContain("A /etc/hello/greeting");
      expect(existsSync(join(dir, "hello.tar"))).toBe(true);
      expect(existsSync(join(dir, "hello-layout", "index.json"))).toBe(true);
      expect(readFileSync(join(dir, "hello.svg"), "utf8")).toMatch(/^<svg/);
      expect(existsSync(join(dir, "tutorial-log", "events", "segments"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("docker-api.md's getting started: strata serve and the real docker client, in order", () => {
    const section = read("docker-api.md").split("## Getting started")[1]?.split("\n## ")[0] ?? "";
    const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const bin = new URL("../node_modules/.bin", import.meta.url).pathname;
    const dir = mkdtempSync(join(tmpdir(), "strata-docker-getting-started-"));
    try {
      // The server started in the background is stopped when the script ends, however it ends.
      const script = `trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n${blocks.join("\n")}`;
      const r = spawnSync("bash", ["-euo", "pipefail", "-c", script], {
        cwd: dir,
        encoding: "utf8",
        timeout: 90_000,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DOCKER_CONFIG: join(dir, ".docker") },
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const lines = r.stdout.split("\n");
      expect(lines.filter((l) => /^sha256:[0-9a-f]{64}$/.test(l))).toHaveLength(2); // import, commit
      expect(lines).toContain("A /index.html");
      expect(lines).toContain("container commit web");
      expect(r.stdout).toMatch(/\bweb\n/);
      expect(existsSync(join(dir, "docker-log", "events", "segments"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
