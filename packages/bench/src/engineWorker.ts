/**
 * One engine of measure 13, in its own process (forked by `sharedPostgres.ts`): opens an engine on the
 * PostgreSQL log at argv[2], tells its parent it is ready, waits for "go", writes `argv[4]` files into
 * each of the containers named in argv[3] (comma-separated), one awaited `execute` at a time, and
 * reports how long that took and how many attempts the commands needed.
 */
import { openEngine } from "@strata/engine";

const [location = "", names = "", perContainer = "0"] = process.argv.slice(2);
const containers = names.split(",");
const writes = Number(perContainer);
const engine = await openEngine({ location, timers: false, snapshotEvery: 0 });
const send = (m: unknown) => process.send?.(m);
process.once("message", async () => {
  try {
    let attempts = 0;
    const start = performance.now();
    for (let i = 0; i < writes; i++)
      for (const container of containers) {
        const r = await engine.execute({
          type: "fs.writeFile",
          container,
          path: `/w${i}`,
          content: `${container} ${i}\n`,
        });
        if (!r.ok) throw r.error;
        attempts += r.attempts;
      }
    const took = performance.now() - start;
    await engine.close();
    send({ took, attempts });
  } catch (e) {
    send({ error: (e as Error).stack ?? String(e) });
  }
  process.disconnect?.();
});
send({ ready: true });
