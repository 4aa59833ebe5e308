/**
 * Regression (issue 18 audit): one layer entry 1,500 levels deep (a 3,001-byte path, under PATH_MAX)
 * overflowed the call stack (`strata: internal error: Maximum call stack size exceeded`, exit 70; a
 * plain RangeError from the API): the layer stack was merged by a recursion per path component. No
 * command or import recurses per component now. Checked at 2,046 levels (a 4,094-byte path), through
 * every import path, container commands, diff, commit, export and import back, and the CLI; and again
 * in a child process whose stack is a sixth of the default, where a walk that recursed per component
 * (even a light one) would overflow.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, decodeFsState, encodeFsState, type FsEngine } from "@strata/fs";
import { exportImage, importImage, importImageArchive } from "@strata/oci";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { dockerArchiveOf, file, ociArchive, rawTar, writeLayout } from "./support/images.js";

const tmp = tempDirs("strata-oci-deep-");
const DEPTH = 2046;
/** `a/a/…/a/f`: DEPTH directories, then a file: 4,093 bytes as a tar name, 4,094 as a path. */
const deepName = `${"a/".repeat(DEPTH)}f`;
const deepPath = `/${deepName}`;

const fresh = () => createFsEngine({ clock: simulatedClock(1_700_000_000_000), ids: sequentialIds("d") });
const must = async (engine: FsEngine, c: Command) => {
  const r = await engine.execute(c);
  if (!r.ok) throw r.error;
};
const image = { layers: [{ tar: rawTar([file(deepName, "deep")]), gzip: true }], refName: "t" };

/** The deep image through `way`, into a fresh engine tagged `t:1`. */
async function imported(way: "layout" | "oci-archive" | "docker-archive"): Promise<FsEngine> {
  const engine = fresh();
  const work = tmp();
  if (way === "layout") {
    writeLayout(join(work, "l"), [image]);
    await importImage(engine, join(work, "l"), { tag: "t:1" });
  } else {
    const path = join(work, "i.tar");
    writeFileSync(
      path,
      way === "oci-archive"
        ? ociArchive([image], {}, join(work, "s"))
        : dockerArchiveOf([{ image, tags: ["t:1"] }]),
    );
    await importImageArchive(engine, path, { tag: "t:1" });
  }
  return engine;
}

describe("regression: paths 2,046 levels deep overflow no stack", () => {
  test("imported on every path; container commands, diff, commit, export and import back", async () => {
    expect(Buffer.byteLength(deepPath)).toBe(4094);
    for (const way of ["layout", "oci-archive", "docker-archive"] as const) {
      const engine = await imported(way);
      expect(Buffer.from(engine.view("t:1").readFile(deepPath)).toString(), way).toBe("deep");
    }
    const engine = await imported("layout");
    await must(engine, { type: "container.create", image: "t:1", name: "box" });
    const dir = deepPath.slice(0, -2);
    for (const c of [
      { type: "fs.writeFile", container: "box", path: `${dir}/g`, content: "g" },
      { type: "fs.chmod", container: "box", path: deepPath, mode: 0o600 },
      { type: "fs.mkdir", container: "box", path: `/n${dir.slice(0, -2)}`, parents: true },
      { type: "fs.rename", container: "box", from: "/n", to: "/m" },
      { type: "fs.symlink", container: "box", path: `${dir}/s`, target: "/m" },
      { type: "fs.link", container: "box", path: `${dir}/h`, target: `${dir}/g` },
    ] as Command[])
      await must(engine, c);
    // A move of the lower tree copies it whole (a directory with a lower part cannot be renamed).
    await must(engine, { type: "fs.move", container: "box", from: "/a", to: "/b" });
    const diff = engine.diff("box");
    expect(diff.filter((c) => c.kind === "A").length).toBeGreaterThan(2 * DEPTH);
    expect(diff).toContainEqual({ kind: "D", path: "/a" });
    await must(engine, { type: "container.commit", container: "box", tag: "t:2" });
    const view = [...engine.view("t:2").walk()];
    expect(view.length).toBeGreaterThan(2 * DEPTH);
    // The fs state's snapshot codec walks it too.
    const decoded = decodeFsState(JSON.parse(JSON.stringify(encodeFsState(engine.projected))));
    expect(decoded.images.size).toBe(engine.projected.images.size);
    for (const ref of ["box"]) {
      const out = join(tmp(), "x");
      await exportImage(engine, ref, out);
      const back = fresh();
      await importImage(back, out, { tag: "back:1" });
      const strip = (w: Iterable<{ path: string; type: string }>) => [...w].map((e) => `${e.type} ${e.path}`);
      expect(strip(back.view("back:1").walk()), ref).toEqual(strip(engine.view(ref).walk()));
    }
    await must(engine, { type: "fs.remove", container: "box", path: "/b", recursive: true });
    await must(engine, { type: "fs.remove", container: "box", path: "/m", recursive: true });
    await must(engine, { type: "container.commit", container: "box", tag: "t:3" });
    expect([...engine.view("t:3").walk()].map((w) => w.path)).toEqual(["/"]);
  });

  const dist = (pkg: string, file = "index.js") =>
    join(import.meta.dirname, "..", "..", pkg, "dist", file).replaceAll("\\", "/");
  const built = existsSync(dist("cli", "main.js"));

  test.runIf(built)(
    "in a child whose stack is 150 KiB (the default is 984): the CLI's import, commands, diff, commit, tree, export",
    () => {
      const work = tmp();
      writeLayout(join(work, "l"), [image]);
      const log = join(work, "log");
      const deepDir = deepPath.slice(0, -2);
      writeFileSync(
        join(work, "cmds.jsonl"),
        `${[
          { type: "fs.writeFile", container: "box", path: `${deepDir}/h`, content: "h" },
          { type: "fs.move", container: "box", from: "/a", to: "/c" },
        ]
          .map((c) => JSON.stringify(c))
          .join("\n")}\n`,
      );
      const script = `
      const { main } = await import(${JSON.stringify(dist("cli", "main.js"))});
      const steps = [];
      const io = { out: () => {}, err: (s) => process.stderr.write(s), tty: false, errTty: false, now: () => 0 };
      const cli = async (...args) => {
        const code = await main(["--log", ${JSON.stringify(log)}, ...args], io);
        if (code !== 0) throw new Error(args.join(" ") + ": exit " + code);
        steps.push(args.slice(0, args[0] === "oci" ? 2 : 1).join(" "));
      };
      await cli("oci", "import", ${JSON.stringify(join(work, "l"))}, "--tag", "t:1");
      await cli("create", "--name", "box", "t:1", "sh");
      await cli("apply", ${JSON.stringify(join(work, "cmds.jsonl"))});
      await cli("diff", "box");
      await cli("commit", "box", "t:3");
      await cli("tree", "t:3");
      await cli("images");
      await cli("oci", "export", "t:3", ${JSON.stringify(join(work, "again.tar"))});
      process.stdout.write(JSON.stringify(steps));`;
      const r = spawnSync(process.execPath, ["--stack-size=150", "--input-type=module", "-e", script], {
        encoding: "utf8",
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([
        "oci import",
        "create",
        "apply",
        "diff",
        "commit",
        "tree",
        "images",
        "oci export",
      ]);
    },
  );
});
