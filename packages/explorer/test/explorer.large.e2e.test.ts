/**
 * The explorer on a log of 100,000 events (`STRATA_EXPLORER_EVENTS` to change it): the page holds only
 * the timeline rows in sight, however long the log; scrubbing to the middle shows what the engine has
 * there (the state comes from the server's checkpoints, not from the log sent to the browser).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sequentialIds, simulatedClock } from "@strata/core";
import { type DurableEngine, openEngine } from "@strata/engine";
import { ExplorerServer } from "@strata/explorer";
import { createFsEngine, DiskBlobStore } from "@strata/fs";
import { FileEventLog } from "@strata/store";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { chromiumMissing, chromiumPath } from "./support/chromium.js";

const EVENTS = Number(process.env.STRATA_EXPLORER_EVENTS ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "strata-explorer-large-"));
let engine: DurableEngine;
let server: ExplorerServer;
let browser: Browser;
let url: string;

beforeAll(async () => {
  if (chromiumMissing) return;
  // Made in memory (fast), then written to a file log in large batches, contents to its blob store.
  const made = createFsEngine({
    clock: simulatedClock(),
    ids: sequentialIds("big"),
    blobs: new DiskBlobStore(join(dir, "blobs")),
  });
  let events = 0;
  const run = (c: Parameters<typeof made.execute>[0]) => {
    const r = made.execute(c);
    if (!r.ok) throw new Error(`${c.type}: ${r.error.message}`);
    events += r.events.length;
  };
  run({ type: "image.create", layers: [], tags: ["base:1"], cmd: ["/bin/sh"] });
  run({ type: "container.create", image: "base:1", name: "web" });
  run({ type: "fs.mkdir", container: "web", path: "/d", mode: 0o755 });
  // Contents repeat (50 of them), so the blob store holds 50 files, not 100,000.
  for (let i = 0; events < EVENTS; i++)
    run({ type: "fs.writeFile", container: "web", path: `/d/f${i % 500}`, content: `version ${i % 50}\n` });
  await made.blobs.sync?.();
  const log = await FileEventLog.open(join(dir, "events"));
  const all = made.log.read(1);
  for (let i = 0; i < all.length; i += 5_000)
    await log.append(all.slice(i, i + 5_000).map(({ seq: _seq, ...e }) => e));
  await log.close();
  engine = await openEngine({ location: dir, readOnly: true, follow: true });
  server = new ExplorerServer({ engine, location: dir });
  url = await server.listen();
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

test.skipIf(chromiumMissing)(
  `a log of ${EVENTS} events: only the rows in sight are in the page; the middle shows the engine's state there`,
  {
    timeout: 300_000,
  },
  async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const last = engine.seq;
    expect(last).toBeGreaterThanOrEqual(EVENTS);
    await page.goto(`${url}#ref=web`);
    await page.locator(`[data-testid=timeline][data-total="${last}"]`).waitFor();
    const rows = await page.locator("[data-testid=event-row]").count();
    expect(rows).toBeGreaterThan(10);
    expect(rows).toBeLessThan(200);
    const middle = Math.floor(last / 2);
    await page.locator("[data-testid=scrubber]").fill(String(middle));
    await page.locator(`[data-testid=seq][data-seq="${middle}"]`).waitFor();
    // The timeline scrolled to the selected event, still with few rows in the page.
    await page.locator(`[data-testid=event-row][data-seq="${middle}"]`).waitFor();
    expect(await page.locator("[data-testid=event-row]").count()).toBeLessThan(200);
    await page.goto(`${url}#seq=${middle}&ref=web&path=/d/f7`);
    const moment = await engine.at(middle);
    const list = page.locator(`ul.dir[data-path="/d"][data-seq="${middle}"]`);
    await list.waitFor();
    const shown = await list
      .locator(":scope > li > [data-testid=tree-entry]")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-path")));
    expect(shown).toEqual(
      moment
        .view("web")
        .readdir("/d")
        .sort()
        .map((n) => `/d/${n}`),
    );
    await page.locator(`[data-testid=file-view][data-seq="${middle}"] [data-testid=file-content]`).waitFor();
    expect(await page.locator("[data-testid=file-content]").textContent()).toBe(
      Buffer.from(moment.view("web").readFile("/d/f7")).toString(),
    );
    await page.close();
  },
);
