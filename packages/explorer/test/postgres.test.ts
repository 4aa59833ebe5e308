/**
 * The explorer over a PostgreSQL log: one host writes, another (with no blobs of its own) explores; the
 * state at a past seq, a file's contents (fetched from beside the log) and a live append all show.
 */
import { randomBytes } from "node:crypto";
import { type DurableEngine, openEngine } from "@strata/engine";
import { ExplorerServer } from "@strata/explorer";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";

const URL_ = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";
const schema = `strata_explorer_${randomBytes(5).toString("hex")}`;
const location = `${URL_}${URL_.includes("?") ? "&" : "?"}schema=${schema}`;

const why = await (async () => {
  const client = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (e) {
    return `no PostgreSQL at ${URL_} (${(e as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
})();
if (why !== null) {
  if (process.env.CI === "true") throw new Error(`the explorer's PostgreSQL test must run in CI, but ${why}`);
  console.warn(`skipping the explorer's PostgreSQL test: ${why}`);
}

afterAll(async () => {
  if (why !== null) return;
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

describe.skipIf(why !== null)("the explorer on a PostgreSQL log", () => {
  test("another host explores what one wrote: a past seq, a file's contents, a live append", {
    timeout: 60_000,
  }, async () => {
    const writer: DurableEngine = await openEngine({ location });
    const must = async (c: Parameters<DurableEngine["execute"]>[0]) => {
      const r = await writer.execute(c);
      if (!r.ok) throw r.error;
      return r.events.at(-1)?.seq ?? 0;
    };
    await must({ type: "image.create", layers: [], tags: ["base:1"], cmd: ["/bin/sh"] });
    await must({ type: "container.create", image: "base:1", name: "web" });
    const first = await must({ type: "fs.writeFile", container: "web", path: "/note", content: "first\n" });
    await must({ type: "fs.writeFile", container: "web", path: "/note", content: "second\n" });
    const reader = await openEngine({ location, readOnly: true, follow: true });
    const server = new ExplorerServer({ engine: reader, location });
    const url = await server.listen();
    const api = async <T>(path: string) => (await (await fetch(`${url}api/${path}`)).json()) as T;
    try {
      expect((await api<{ content: string }>(`file?ref=web&path=/note&seq=${first}`)).content).toBe(
        "first\n",
      );
      expect((await api<{ content: string }>("file?ref=web&path=/note")).content).toBe("second\n");
      const live = await must({ type: "fs.writeFile", container: "web", path: "/later", content: "live\n" });
      // The reader follows the log: the new event reaches the page's API without a restart.
      for (let i = 0; i < 100 && (await api<{ lastSeq: number }>("info")).lastSeq < live; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect((await api<{ content: string }>("file?ref=web&path=/later")).content).toBe("live\n");
      const tree = await api<{ entries: { name: string; from: number }[] }>("tree?ref=web&path=/");
      expect(tree.entries.map((e) => e.name)).toEqual(["later", "note"]);
    } finally {
      await server.close();
      await reader.close();
      await writer.close();
    }
  });
});
