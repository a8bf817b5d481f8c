// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Sums the test results of every runner into one closing line,
 * `N passed, M failed, K skipped`, read by CI. Inputs (in the folder given):
 * `deno.xml` and `bun.xml` (JUnit reports) and `steps.txt` (`pass NAME` / `fail NAME`
 * for each check run by scripts/test.sh). A missing report counts as one failure.
 *
 * Deno's JUnit report lists a `describe` group as a test case with its steps as
 * `group > step` cases; a group is counted through its steps only.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

interface Case {
  name: string;
  failed: boolean;
  skipped: boolean;
}

function parseJunit(xml: string): Case[] {
  const cases: Case[] = [];
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const attrs = m[1] ?? "";
    const body = m[3] ?? "";
    const name = decode(/\bname="([^"]*)"/.exec(attrs)?.[1] ?? "");
    const cls = decode(/\bclassname="([^"]*)"/.exec(attrs)?.[1] ?? "");
    cases.push({
      name: `${cls} :: ${name}`,
      failed: /<(failure|error)\b/.test(body),
      skipped: /<skipped\b/.test(body),
    });
  }
  return cases;
}

function decode(s: string): string {
  return s.replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&quot;/g, '"').replace(
    /&amp;/g,
    "&",
  );
}

/** Drops Deno's group entries (`name`) that have step entries (`name > …`). */
function leavesOnly(cases: Case[]): Case[] {
  const stepParents = new Set<string>();
  for (const c of cases) {
    const bare = c.name.split(" :: ")[1] ?? c.name;
    const parts = bare.split(" > ");
    for (let i = 1; i < parts.length; i++) stepParents.add(parts.slice(0, i).join(" > "));
  }
  return cases.filter((c) => !stepParents.has(c.name.split(" :: ")[1] ?? c.name));
}

const dir = process.argv[2] ?? ".cache/test-results";
let passed = 0;
let failed = 0;
let skipped = 0;
const lines: string[] = [];
for (const runner of ["deno", "bun"]) {
  const file = join(dir, `${runner}.xml`);
  if (!existsSync(file)) {
    failed++;
    lines.push(`${runner}: no report (${file} missing): counted as 1 failure`);
    continue;
  }
  let cases = parseJunit(readFileSync(file, "utf8"));
  if (runner === "deno") cases = leavesOnly(cases);
  const f = cases.filter((c) => c.failed);
  const s = cases.filter((c) => !c.failed && c.skipped).length;
  const p = cases.length - f.length - s;
  passed += p;
  failed += f.length;
  skipped += s;
  lines.push(`${runner}: ${p} passed, ${f.length} failed, ${s} skipped`);
  for (const c of f) lines.push(`  FAILED ${c.name}`);
  if (cases.length === 0) {
    failed++;
    lines.push(`${runner}: the report holds no test: counted as 1 failure`);
  }
}
const stepsFile = join(dir, "steps.txt");
if (existsSync(stepsFile)) {
  let p = 0;
  let f = 0;
  for (const line of readFileSync(stepsFile, "utf8").split("\n")) {
    if (line.startsWith("pass ")) p++;
    else if (line.startsWith("fail ")) {
      f++;
      lines.push(`  FAILED check ${line.slice(5)}`);
    }
  }
  passed += p;
  failed += f;
  lines.push(`checks: ${p} passed, ${f} failed`);
}
console.log(lines.join("\n"));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
