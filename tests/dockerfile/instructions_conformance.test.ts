// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { instructionCases, INSTRUCTIONS_CORPUS } from "../../scripts/conformance/instructions.ts";

const dir = process.env.BUILDKIT_CONFORMANCE_DIR ??
  join(dirname(fileURLToPath(import.meta.url)), "../../../shared/conformance");
const path = join(dir, INSTRUCTIONS_CORPUS);
const present = existsSync(path);

describe("instructions conformance (instructions_cases.json)", () => {
  if (!present) {
    it("parseInstruction() matches BuildKit's instruction cases", {
      skip: `conformance corpus not found at ${path}`,
    }, () => {});
    return;
  }
  const cases = instructionCases(JSON.parse(readFileSync(path, "utf8")));
  it("instructionCases() reads every section of the corpus", () => {
    assert.ok(cases.length >= 40, `only ${cases.length} cases`);
  });
  for (const c of cases) {
    it(`parseInstruction() conforms: ${c.name}`, () => {
      assert.equal(c.check(), undefined);
    });
  }
});
