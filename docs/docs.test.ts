/**
 * The docs match the code: generated tables are up to date (UPDATE_DOCS=1 rewrites them), every event
 * and command type is documented, and every ```ts example in docs/ runs.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS } from "@strata/cli";
import {
  CommandSchema,
  ContainerEventSchema,
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

function cliReference(): string {
  const rows = COMMANDS.map((c) => `| \`${c.usage}\` | ${c.summary} |`);
  return ["| usage | what it does |", "|---|---|", ...rows].join("\n");
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
              .split("|")
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
    test(`${ex.file} example ${ex.index} runs`, async () => {
      const dir = join(DOCS, ".examples");
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${ex.file.replace(/\.md$/, "")}-${ex.index}.ts`);
      writeFileSync(path, ex.code);
      try {
        await import(path);
      } finally {
        rmSync(path);
      }
    });
  }
});
