import { defineConfig } from "vitest/config";

// Tests import the packages through their `@strata/source` export condition, so they run against
// `src/` without a build; `pnpm build` (tsc -b) type-checks the same sources.
export default defineConfig({
  resolve: { conditions: ["@strata/source"] },
  ssr: { resolve: { conditions: ["@strata/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "docs/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    // Two test files at a time, on machines of two cores too: most of the suite waits on processes it
    // spawns (the CLI, servers, PostgreSQL, umoci, the kernel harness), and vitest's default there is
    // one worker, which kept .ci/run over 20 minutes.
    maxWorkers: 2,
  },
});
