/**
 * OCI export: spec vectors, determinism, and real tools as judges — every layout we write is
 * accepted by `skopeo inspect` and `umoci unpack`, and the rootfs umoci unpacks equals our union view
 * entry by entry (type, mode, uid, gid, size, content, link target), for random images.
 *
 * umoci and skopeo come from Debian's packages (.ci/run installs them). Under CI=true their absence is
 * a failure; elsewhere those tests are skipped with the reason printed.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { emptyTree, IMPLIED_DIR } from "@strata/fs";
import { chainIds, exportImage, layerTarStream, sha256 } from "@strata/oci";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { genScenario } from "../../fs/test/support/generators.js";
import {
  buildModel,
  byteOrder,
  type Listed,
  listMerged,
  runOps,
  withoutTimesAndLinks,
} from "../../fs/test/support/model.js";

const tmp = tempDirs("strata-oci-");

function toolMissing(): string | null {
  for (const tool of ["umoci", "skopeo"]) {
    try {
      execFileSync(tool, ["--version"], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (apt-get install -y umoci skopeo)`;
    }
  }
  if (process.getuid?.() !== 0) return "umoci unpack keeps ownership only as root";
  return null;
}
const why = toolMissing();
if (why !== null) {
  if (process.env.CI === "true") throw new Error(`the OCI tool tests must run in CI, but ${why}`);
  console.warn(`skipping the umoci/skopeo tests: ${why}`);
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("spec vectors", () => {
  test("ChainID follows the spec (the reference's worked example)", () => {
    const l0 = "sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1";
    const l1 = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
    expect(chainIds([l0, l1])).toEqual([
      l0,
      "sha256:c3191d32a37d7159b2e30830937d2e30268ad6c375a773a8994911a3aba9b93f",
    ]);
    expect(chainIds([l0, l1, l1]).at(-1)).toBe(
      "sha256:b3f2677e2ce27278b9d7cab94db2e384b4bc04278000f97c62830f0707f3a865",
    );
    expect(chainIds(["sha256:a", "sha256:b"])[1]).toBe(
      `sha256:${"970a948bffa8de94d6e22d747ba8c95030e6e546909f98f54e99a13005e173a8"}`,
    );
  });

  test("an empty layer is 1,024 zero bytes, whose DiffID is moby's empty-tar digest", async () => {
    const bytes = await collect(
      layerTarStream(emptyTree(IMPLIED_DIR), { get: () => undefined, put: () => "", has: () => false }),
    );
    expect(bytes.length).toBe(1024);
    expect(bytes.every((b) => b === 0)).toBe(true);
    expect(sha256(bytes)).toBe("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
  });
});

/** Every file under `dir`, relative path → sha256. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = join(rel, name);
      if (lstatSync(join(dir, p)).isDirectory()) walk(p);
      else
        out[p] = createHash("sha256")
          .update(readFileSync(join(dir, p)))
          .digest("hex");
    }
  };
  walk("");
  return out;
}

/** The rootfs umoci unpacked, listed like our views (root left out: its metadata is not part of layers). */
function listRootfs(root: string): Listed[] {
  const out: Listed[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort(byteOrder)) {
      const path = `${rel}/${name}`;
      const full = join(root, path);
      const st = lstatSync(full);
      if (st.isDirectory()) {
        out.push({ path, type: "dir", mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
        walk(path);
      } else if (st.isSymbolicLink()) {
        out.push({ path, type: "symlink", uid: st.uid, gid: st.gid, target: readlinkSync(full) });
      } else {
        const bytes = readFileSync(full);
        out.push({
          path,
          type: "file",
          mode: st.mode & 0o7777,
          uid: st.uid,
          gid: st.gid,
          size: bytes.length,
          sha256: sha256(bytes),
        });
      }
    }
  };
  walk("");
  return out;
}

const RUNS = Number(process.env.STRATA_OCI_RUNS ?? 40);

describe("export", () => {
  test("exporting the same image twice gives byte-identical blobs", async () => {
    await fc.assert(
      fc.asyncProperty(genScenario, async ([layers, ops]) => {
        const engine = buildModel(layers);
        runOps(engine, ops);
        engine.execute({ type: "container.commit", container: "box", tag: "oracle:2" });
        const a = tmp();
        const b = tmp();
        const ra = await exportImage(engine, "oracle:2", a);
        const rb = await exportImage(engine, "oracle:2", b);
        expect(rb).toEqual(ra);
        expect(fingerprint(b)).toEqual(fingerprint(a));
      }),
      { numRuns: 20 },
    );
  });

  test.runIf(why === null)(
    "a container exports as if committed: umoci unpacks exactly its view",
    async () => {
      await fc.assert(
        fc.asyncProperty(genScenario, async ([layers, ops]) => {
          const engine = buildModel(layers);
          runOps(engine, ops);
          const layout = tmp();
          await exportImage(engine, "box", layout, { tags: ["box:now"] });
          const bundle = join(tmp(), "bundle");
          execFileSync("umoci", ["unpack", "--image", `${layout}:now`, bundle], { stdio: "pipe" });
          expect(listRootfs(join(bundle, "rootfs"))).toEqual(
            withoutTimesAndLinks(listMerged(engine, "box")).slice(1),
          );
        }),
        { numRuns: 15 },
      );
    },
    120_000,
  );

  test.runIf(why === null)(
    `skopeo inspects and umoci unpacks what we export, and the rootfs equals our union view (${RUNS} random images)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(genScenario, fc.boolean(), async ([layers, ops], gzip) => {
          const engine = buildModel(layers);
          runOps(engine, ops);
          const c = engine.execute({ type: "container.commit", container: "box", tag: "oracle:2" });
          expect(c.ok).toBe(true);
          const layout = tmp();
          const result = await exportImage(engine, "oracle:2", layout, {
            compression: gzip ? "gzip" : "none",
          });
          const inspect = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${layout}:2`]).toString());
          expect(inspect.Layers).toEqual(result.layers.map((l) => l.digest));
          const bundle = join(tmp(), "bundle");
          execFileSync("umoci", ["unpack", "--image", `${layout}:2`, bundle], { stdio: "pipe" });
          expect(listRootfs(join(bundle, "rootfs"))).toEqual(
            withoutTimesAndLinks(listMerged(engine, "oracle:2")).slice(1),
          );
        }),
        { numRuns: RUNS },
      );
    },
    300_000,
  );
});
