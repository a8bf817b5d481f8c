// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { run } from "../../scripts/conformance/context.ts";

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.env.BUILDKIT_CONFORMANCE_DIR ?? resolve(here, "../../../shared/conformance");

const files = [
  "patternmatcher/matches.json",
  "patternmatcher/ignorefile_readall.json",
  "fsutil/walk_filter_cases.json",
  "frontend/dockerfile/dfgitutil/git_ref_cases.json",
  "frontend/dockerfile/dockerfile2llb/expose_cases.json",
];

describe("context conformance (BuildKit corpus)", () => {
  for (const file of files) {
    const path = join(dir, file);
    const skip = existsSync(path) ? false : `conformance corpus not found at ${path}`;
    it(`context runner passes every case of ${file}`, { skip }, async () => {
      const table = (await run(dir)).find((t) => t.file === file);
      assert.ok(table, file);
      assert.deepEqual(table.failures, []);
      assert.ok(table.passed > 0);
      assert.equal(table.skipped, 0);
    });
  }
});
