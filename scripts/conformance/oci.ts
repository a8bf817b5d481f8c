// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Conformance for src/oci against BuildKit's exporter goldens
 * (`client/testdata/compatibility/**`): every `config.json` and
 * `manifest.json` must pass our schemas and re-serialize byte for byte.
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import {
  parseImageConfig,
  parseManifest,
  serializeImageConfig,
  serializeManifest,
} from "../../src/oci/mod.ts";
import type { ConformanceCase, ConformanceRunner, ConformanceTable } from "./types.ts";

const CORPUS = "client/testdata/compatibility";

function listGoldens(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name === "config.json" || name === "manifest.json") out.push(path);
    }
  };
  walk(root);
  return out;
}

/** Describes where two texts first differ. */
function firstDifference(want: string, got: string): string {
  let i = 0;
  while (i < want.length && i < got.length && want[i] === got[i]) i++;
  return `first difference at byte ${i}: want ${JSON.stringify(want.slice(i, i + 40))}, got ${
    JSON.stringify(got.slice(i, i + 40))
  }`;
}

/** Checks one golden file; returns the failure reason or undefined. */
export function checkGolden(path: string): string | undefined {
  const text = readFileSync(path, "utf8");
  try {
    const again = path.endsWith("config.json")
      ? serializeImageConfig(parseImageConfig(text))
      : serializeManifest(parseManifest(text));
    return again === text ? undefined : `re-serialization differs: ${firstDifference(text, again)}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Runs the OCI conformance table. */
export const run: ConformanceRunner = (dir) => {
  const root = join(dir, CORPUS);
  const table: ConformanceTable = {
    file: CORPUS,
    passed: 0,
    failed: 0,
    skipped: 0,
    failures: [],
    skips: [],
  };
  let files: string[];
  try {
    files = listGoldens(root);
  } catch {
    table.skipped = 1;
    table.skips.push({ name: CORPUS, reason: `corpus not found at ${root}` });
    return Promise.resolve([table]);
  }
  for (const path of files) {
    const name = relative(root, path);
    const reason = checkGolden(path);
    if (reason === undefined) table.passed++;
    else {
      table.failed++;
      const failure: ConformanceCase = { name, reason };
      table.failures.push(failure);
    }
  }
  return Promise.resolve([table]);
};
