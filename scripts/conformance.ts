// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Runs BuildKit's conformance corpus (../shared/conformance, or
 * $BUILDKIT_CONFORMANCE_DIR) against our implementation, in place, and prints one table
 * per corpus file and the closing line `conformance: N passed, M failed, K skipped`.
 *
 * Usage: deno run -A scripts/conformance.ts [--min PERCENT] [--verbose]
 * With --min, exits 1 when passed / (passed + failed) is below PERCENT.
 * Without the corpus it says so and exits 0 (nothing to check).
 *
 * @module
 */

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ConformanceRunner, ConformanceTable } from "./conformance/types.ts";

/** Area runners, one module each under scripts/conformance/. */
const AREAS = ["parser", "shell", "instructions", "context", "oci", "exporter"];

const { values } = parseArgs({
  options: { min: { type: "string" }, verbose: { type: "boolean" } },
  strict: true,
});
const here = dirname(fileURLToPath(import.meta.url));
const dir = process.env.BUILDKIT_CONFORMANCE_DIR ?? resolve(here, "../../shared/conformance");
if (!existsSync(dir)) {
  console.log(
    `conformance corpus not found at ${dir} (set BUILDKIT_CONFORMANCE_DIR): nothing checked`,
  );
  process.exit(0);
}

const tables: ConformanceTable[] = [];
let broken = 0;
for (const area of AREAS) {
  try {
    const mod = await import(`./conformance/${area}.ts`) as { run: ConformanceRunner };
    tables.push(...await mod.run(dir));
  } catch (err) {
    broken++;
    console.log(
      `area ${area}: runner failed: ${err instanceof Error ? err.stack ?? err.message : err}`,
    );
  }
}

const width = Math.max(...tables.map((t) => t.file.length), 10);
console.log(`${"corpus file".padEnd(width)}  passed  failed  skipped`);
let passed = 0;
let failed = broken;
let skipped = 0;
for (const t of tables) {
  console.log(
    `${t.file.padEnd(width)}  ${String(t.passed).padStart(6)}  ${String(t.failed).padStart(6)}  ${
      String(t.skipped).padStart(7)
    }`,
  );
  passed += t.passed;
  failed += t.failed;
  skipped += t.skipped;
}
for (const t of tables) {
  for (const f of t.failures) console.log(`FAIL ${t.file} ${f.name}: ${f.reason}`);
  if (values.verbose) {
    for (const s of t.skips) console.log(`SKIP ${t.file} ${s.name}: ${s.reason}`);
  }
}
const rate = passed + failed === 0 ? 0 : (100 * passed) / (passed + failed);
console.log(
  `conformance: ${passed} passed, ${failed} failed, ${skipped} skipped (${
    rate.toFixed(2)
  }% of applicable)`,
);
if (values.min !== undefined && rate < Number(values.min)) {
  console.log(`below the required ${values.min}%`);
  process.exitCode = 1;
}
