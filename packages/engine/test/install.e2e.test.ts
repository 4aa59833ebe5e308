/**
 * The packages as a stranger gets them: `pnpm pack` tarballs of @strata/*, installed into an application
 * outside the monorepo — with npm, and with pnpm — type-checked against the packed declarations, and run
 * against a file log (write, close, reopen, read back); each tarball has its README and LICENSE and no
 * build cache. Needs the npm registry for the third-party dependencies (xstate, immer, valibot, pg,
 * tar-stream, @types/node).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-install-");
const ROOT = new URL("../../../", import.meta.url).pathname;
const TSC = join(ROOT, "node_modules", ".bin", "tsc");
const PACKAGES = ["core", "fs", "store", "oci", "engine", "docker", "explorer", "cli"];

const PROGRAM = `import { openEngine } from "@strata/engine";
import type { ExecuteResult } from "@strata/engine";

const location = process.argv[2] as string;
const engine = await openEngine({ location, timers: false });
const steps: ExecuteResult[] = [
  await engine.execute({ type: "image.create", layers: [], tags: ["base:1"] }),
  await engine.execute({ type: "container.create", image: "base:1", name: "web" }),
  await engine.execute({ type: "fs.writeFile", container: "web", path: "/hello", content: "hello from a stranger\\n" }),
];
for (const s of steps) if (!s.ok) throw new Error(s.error.message);
await engine.close();
const again = await openEngine({ location, timers: false });
process.stdout.write(Buffer.from(await again.readFile("web", "/hello")).toString());
await again.close();
`;

/** Packs every package into `out`; returns the tarballs. */
function pack(out: string): string[] {
  for (const p of PACKAGES)
    execFileSync("pnpm", ["pack", "--pack-destination", out], {
      cwd: join(ROOT, "packages", p),
      stdio: "ignore",
    });
  return readdirSync(out).map((f) => join(out, f));
}

function app(tarballs: readonly string[]): string {
  const dir = tmp();
  const dependencies: Record<string, string> = { "@types/node": "^20" };
  for (const t of tarballs) {
    // The file's name, not its path: the pack directory is `strata-packed-XXXXXX`, and a random suffix
    // that starts with a digit matched as a package called "packed" (every dependency one name).
    const name = /^strata-([a-z]+)-\d/.exec(basename(t))?.[1];
    if (name === undefined) throw new Error(`not a packed @strata package: ${t}`);
    dependencies[`@strata/${name}`] = `file:${t}`;
  }
  expect(Object.keys(dependencies).sort()).toEqual(
    ["@types/node", ...PACKAGES.map((p) => `@strata/${p}`)].sort(),
  );
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module", dependencies }, null, 2),
  );
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        outDir: "dist",
        types: ["node"],
        skipLibCheck: false,
      },
      include: ["index.ts"],
    }),
  );
  writeFileSync(join(dir, "index.ts"), PROGRAM);
  return dir;
}

function typeCheckAndRun(dir: string): string {
  try {
    execFileSync(TSC, ["-p", "tsconfig.json"], { cwd: dir, stdio: "pipe" });
  } catch (e) {
    throw new Error(`the application does not type-check: ${(e as { stdout?: Buffer }).stdout?.toString()}`);
  }
  const log = join(dir, "data");
  mkdirSync(log);
  return execFileSync(process.execPath, [join(dir, "dist", "index.js"), log], { cwd: dir, encoding: "utf8" });
}

describe("the packed packages in an application outside the monorepo", () => {
  let tarballs: string[] = [];
  let packed = "";
  beforeAll(() => {
    packed = mkdtempSync(join(tmpdir(), "strata-packed-"));
    tarballs = pack(packed);
  });
  afterAll(() => rmSync(packed, { recursive: true, force: true }));

  test("every tarball holds its README, LICENSE and built code, and no build cache (.tsbuildinfo)", () => {
    expect(tarballs).toHaveLength(PACKAGES.length);
    for (const tarball of tarballs) {
      const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
      for (const needed of [
        "package/README.md",
        "package/LICENSE",
        "package/package.json",
        "package/dist/index.js",
      ])
        expect(files, `${tarball} lacks ${needed}`).toContain(needed);
      expect(
        files.filter((f) => f.endsWith(".tsbuildinfo")),
        tarball,
      ).toEqual([]);
    }
  });

  test("installed with npm: type-checks and runs against a file log", () => {
    const dir = app(tarballs);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
      stdio: "pipe",
    });
    expect(typeCheckAndRun(dir)).toBe("hello from a stranger\n");
  }, 240_000);

  test("installed with pnpm: type-checks and runs against a file log", () => {
    const dir = app(tarballs);
    try {
      // Outside any workspace: without the variables the test runner's own pnpm set for it.
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !/^(npm_|PNPM_|pnpm_)/i.test(k)),
      );
      execFileSync("pnpm", ["install", "--reporter=append-only"], { cwd: dir, stdio: "pipe", env });
    } catch (e) {
      throw new Error(
        `pnpm install failed: ${(e as { stdout?: Buffer }).stdout?.toString()}${(e as { stderr?: Buffer }).stderr?.toString()}`,
      );
    }
    expect(typeCheckAndRun(dir)).toBe("hello from a stranger\n");
  }, 240_000);
});
