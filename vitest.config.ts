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
  },
});
