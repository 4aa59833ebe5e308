#!/usr/bin/env node
// Checks the dependency graph, with nothing but Node:
//  1. the workspace package graph (package.json dependencies on @strata/*) has no cycle;
//  2. every @strata/* import in a package's src/ is declared in its package.json (so core, which
//     declares none, can never import fs);
//  3. no relative import leaves its package (no reaching into another package's src/);
//  4. the modules inside each package have no import cycle (type-only imports included).
// Prints what it found and exits 1 on any violation.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const packagesDir = join(root, "packages");
const problems = [];

const packages = readdirSync(packagesDir)
  .filter((d) => statSync(join(packagesDir, d)).isDirectory())
  .map((d) => {
    const dir = join(packagesDir, d);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.devDependencies }).filter(
      (n) => n.startsWith("@strata/"),
    );
    return { name: pkg.name, dir, deps };
  });
const byName = new Map(packages.map((p) => [p.name, p]));

function findCycle(nodes, edges) {
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, "open");
    stack.push(n);
    for (const m of edges(n)) {
      if (state.get(m) === "open") return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, "done");
    return null;
  };
  for (const n of nodes)
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  return null;
}

// 1. package graph
for (const p of packages)
  for (const d of p.deps)
    if (!byName.has(d)) problems.push(`${p.name} depends on unknown workspace package ${d}`);
const pkgCycle = findCycle(
  packages.map((p) => p.name),
  (n) => byName.get(n)?.deps.filter((d) => byName.has(d)) ?? [],
);
if (pkgCycle) problems.push(`package cycle: ${pkgCycle.join(" -> ")}`);

// 2-4. imports
const IMPORT =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
let moduleCount = 0;
for (const p of packages) {
  const src = join(p.dir, "src");
  let list = [];
  try {
    list = files(src);
  } catch {
    continue;
  }
  const graph = new Map();
  for (const file of list) {
    moduleCount++;
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const targets = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith("@strata/")) {
        const name = spec.split("/").slice(0, 2).join("/");
        if (!p.deps.includes(name))
          problems.push(`${relative(root, file)} imports ${spec}, which ${p.name} does not declare`);
      } else if (spec.startsWith(".")) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
        if (!target.startsWith(src))
          problems.push(`${relative(root, file)} imports ${spec}, outside ${relative(root, src)}`);
        else targets.push(target);
      }
    }
    graph.set(file, targets);
  }
  const cycle = findCycle([...graph.keys()], (n) => graph.get(n) ?? []);
  if (cycle) problems.push(`module cycle in ${p.name}: ${cycle.map((f) => relative(src, f)).join(" -> ")}`);
}

if (problems.length > 0) {
  console.error(`check-deps: ${problems.length} problem(s)`);
  for (const x of problems) console.error(`  - ${x}`);
  process.exit(1);
}
console.log(
  `check-deps: ${packages.length} packages (${packages.map((p) => `${p.name}${p.deps.length ? ` -> ${p.deps.join(", ")}` : ""}`).join("; ")}), ${moduleCount} modules, no cycles, no undeclared or escaping imports`,
);
