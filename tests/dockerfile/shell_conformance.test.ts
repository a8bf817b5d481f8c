// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  checkEnvVarFile,
  checkMatchesFile,
  checkWordsFile,
} from "../../scripts/conformance/shell.ts";
import type { ConformanceTable } from "../../scripts/conformance/types.ts";

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.env.BUILDKIT_CONFORMANCE_DIR ?? join(here, "../../../shared/conformance");
const SHELL = "frontend/dockerfile/shell";

function failures(t: ConformanceTable): string[] {
  return t.failures.map((f) => `${f.name}: ${f.reason}`);
}

/** Declares one test per corpus file, or a skipped test when the file is absent. */
function corpusTest(
  file: string,
  title: string,
  body: (text: string, file: string) => void,
): void {
  const path = join(dir, SHELL, file);
  if (!existsSync(path)) {
    it(title, { skip: `conformance corpus not found at ${path}` }, () => {});
    return;
  }
  it(title, () => body(readFileSync(path, "utf8"), `${SHELL}/${file}`));
}

describe("shell conformance (BuildKit frontend/dockerfile/shell)", () => {
  corpusTest("envVarTest", "ShellLex.processWord() passes every envVarTest row", (text, file) => {
    const t = checkEnvVarFile(text, file);
    assert.deepEqual(failures(t), []);
    assert.equal(t.passed, 228);
    assert.equal(t.skipped, 2);
  });

  corpusTest(
    "envVarTest",
    "ShellLex.processWord() passes the envVarTest rows for Windows",
    (text, file) => {
      const t = checkEnvVarFile(text, file, { platform: "windows" });
      assert.deepEqual(failures(t), []);
      assert.equal(t.passed, 228);
      assert.equal(t.skipped, 2);
    },
  );

  corpusTest("wordsTest", "ShellLex.processWords() passes every wordsTest row", (text, file) => {
    const t = checkWordsFile(text, file);
    assert.deepEqual(failures(t), []);
    assert.equal(t.passed, 24);
  });

  corpusTest(
    "processWordWithMatches.json",
    "ShellLex.processWordWithMatches() passes every processWordWithMatches.json case",
    (text, file) => {
      const t = checkMatchesFile(text, file);
      assert.deepEqual(failures(t), []);
      assert.equal(t.passed, 68);
    },
  );
});

describe("shell extra rows (tests/testdata/dockerfile/shell/envvars_extra.txt)", () => {
  const path = join(here, "../testdata/dockerfile/shell/envvars_extra.txt");
  const text = readFileSync(path, "utf8");

  it("ShellLex.processWord() passes every extra row on Linux", () => {
    const t = checkEnvVarFile(text, "envvars_extra.txt");
    assert.deepEqual(failures(t), []);
    assert.ok(t.passed >= 30, `only ${t.passed} rows ran`);
    assert.equal(t.skipped, 1);
  });

  it("ShellLex.processWord() passes every extra row on Windows", () => {
    const t = checkEnvVarFile(text, "envvars_extra.txt", { platform: "windows" });
    assert.deepEqual(failures(t), []);
    assert.ok(t.passed >= 30, `only ${t.passed} rows ran`);
  });
});
