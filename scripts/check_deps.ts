// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Checks the import rules of docs/ARCHITECTURE.md mechanically:
 * - a folder of src/ imports only folders at its level or below (see LEVEL) and never
 *   forms a cycle with another folder;
 * - across folders, only through the other folder's mod.ts;
 * - pure folders import no `node:*`, no src/runtime and use no `Deno.`/`Bun.` globals;
 * - outside src/runtime, no `Deno.`/`Bun.` globals and no `node:*` imports.
 * Prints every violation and exits 1 if there is one.
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");

/** Dependency order: a folder may import folders of a lower or equal level. */
const LEVEL: Record<string, number> = {
  util: 0,
  dockerfile: 1,
  llb: 1,
  oci: 1,
  progress: 1,
  frontend: 2,
  solver: 2,
  runtime: 2,
  archive: 3,
  store: 3,
  worker: 4,
  registry: 4,
  exporter: 5,
  cache: 5,
  build: 6,
  cli: 7,
};
const PURE = new Set(["util", "dockerfile", "llb", "oci", "frontend", "solver", "progress"]);

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

const problems: string[] = [];
const edges = new Map<string, Set<string>>();
for (const file of walk(SRC)) {
  const rel = relative(SRC, file);
  const folder = rel.split("/")[0]!;
  const text = readFileSync(file, "utf8");
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
  if (!(folder in LEVEL)) {
    problems.push(`src/${rel}: folder "${folder}" has no level in scripts/check_deps.ts`);
  }
  if (folder !== "runtime" && /\b(Deno|Bun)\.[A-Za-z]/.test(code)) {
    problems.push(`src/${rel}: uses a Deno./Bun. global outside src/runtime`);
  }
  for (
    const m of code.matchAll(
      /(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
    )
  ) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith("node:")) {
      if (folder !== "runtime") problems.push(`src/${rel}: imports ${spec} outside src/runtime`);
      continue;
    }
    if (!spec.startsWith(".")) continue; // npm packages (zod, fflate)
    const target = relative(SRC, resolve(dirname(file), spec));
    if (target.startsWith("..")) {
      problems.push(`src/${rel}: imports ${spec} outside src/`);
      continue;
    }
    const tFolder = target.split("/")[0]!;
    if (tFolder === folder) continue;
    if (target !== `${tFolder}/mod.ts`) {
      problems.push(`src/${rel}: imports ${target}; use src/${tFolder}/mod.ts`);
    }
    if (PURE.has(folder) && tFolder === "runtime") {
      problems.push(`src/${rel}: pure folder imports src/runtime`);
    }
    if ((LEVEL[tFolder] ?? 99) > (LEVEL[folder] ?? -1)) {
      problems.push(
        `src/${rel}: upward import of src/${tFolder} (level ${LEVEL[tFolder]} > ${LEVEL[folder]})`,
      );
    }
    if (!edges.has(folder)) edges.set(folder, new Set());
    edges.get(folder)!.add(tFolder);
  }
}

// Folder cycles (same-level folders may import each other, but not both ways).
const state = new Map<string, number>();
function visit(n: string, stack: string[]): void {
  state.set(n, 1);
  for (const m of edges.get(n) ?? []) {
    if (state.get(m) === 1) {
      problems.push(`import cycle between folders: ${[...stack, n, m].join(" → ")}`);
    } else if (!state.has(m)) visit(m, [...stack, n]);
  }
  state.set(n, 2);
}
for (const n of edges.keys()) if (!state.has(n)) visit(n, []);

if (problems.length > 0) {
  console.log(problems.join("\n"));
  console.log(`check_deps: ${problems.length} problem(s)`);
  process.exitCode = 1;
} else {
  console.log(`check_deps: ok (${edges.size} folders with cross-folder imports)`);
}
