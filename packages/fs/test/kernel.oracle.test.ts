/**
 * The kernel as oracle: random lower layers are materialised for a real overlayfs mount (whiteouts as
 * 0/0 character devices, opaque directories as trusted.overlay.opaque=y), the same random operations
 * run through the kernel (inside a chroot of the merged dir) and through the model, and the two must
 * agree on every operation's outcome (success or errno), on the merged view entry by entry (path,
 * type, mode, uid, gid, size, content hash, link target) and on the upper directory (the same, plus
 * whiteouts and opaque flags).
 *
 * Under CI=true the suite fails if it cannot mount; elsewhere it is skipped with the reason printed.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { genScenario } from "./support/generators.js";
import { KernelOracle, kernelUnavailable } from "./support/kernel.js";
import { buildModel, listMerged, listUpper, runOps } from "./support/model.js";

const RUNS = Number(process.env.STRATA_KERNEL_RUNS ?? 300);
const stats = new Map<string, number>();
const why = kernelUnavailable();
if (why !== null) {
  if (process.env.CI === "true") throw new Error(`the kernel overlay oracle must run in CI, but: ${why}`);
  console.warn(`skipping the kernel overlay oracle: ${why}`);
}

describe.runIf(why === null)("kernel overlayfs oracle", () => {
  let oracle: KernelOracle;
  beforeAll(() => {
    oracle = new KernelOracle();
  });
  afterAll(() => {
    oracle?.close();
    if (process.env.STRATA_KERNEL_STATS) console.log(Object.fromEntries([...stats].sort()));
  });

  test(`model and kernel agree on ${RUNS} random layer stacks and operation sequences`, async () => {
    await fc.assert(
      fc.asyncProperty(genScenario, async ([layers, ops]) => {
        const kernel = await oracle.run(layers, ops);
        expect(kernel.crash, "harness crash").toBeUndefined();
        const model = buildModel(layers);
        const results = runOps(model, ops);
        for (const [i, r] of results.entries()) {
          const key = `${ops[i]?.op}:${r ?? "ok"}`;
          stats.set(key, (stats.get(key) ?? 0) + 1);
        }
        expect(results, "outcome of each operation (null = success, else errno)").toEqual(kernel.results);
        expect(listMerged(model), "merged view").toEqual(kernel.merged);
        expect(listUpper(model), "upper directory").toEqual(kernel.upper);
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});
