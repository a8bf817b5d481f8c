// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Runs every ```ts example in the JSDoc of src/llb/*.ts (and of the util files
 * this folder relies on): each is written to a temporary file whose relative
 * imports point at the real sources, then imported. `console.assert` throws
 * while an example runs, so a false assertion fails the test.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const sources: string[] = [
  ...readdirSync(join(repo, "src/llb")).filter((f) => f.endsWith(".ts")).map((f) =>
    join(repo, "src/llb", f)
  ),
  ...["hex.ts", "sha256.ts", "canonical_json.ts"].map((f) => join(repo, "src/util", f)),
];

interface Example {
  file: string;
  line: number;
  code: string;
}

function extractExamples(file: string): Example[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const out: Example[] = [];
  let inDoc = false;
  let fence: string[] | undefined;
  let start = 0;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith("/**")) inDoc = true;
    if (!inDoc) return;
    const text = line.replace(/^\/?\*+\/?\s?/, "");
    if (fence === undefined && /^```ts\b/.test(text)) {
      fence = [];
      start = i + 1;
    } else if (fence !== undefined && text.startsWith("```")) {
      out.push({ file, line: start, code: fence.join("\n") });
      fence = undefined;
    } else if (fence !== undefined) {
      fence.push(raw.replace(/^\s*\* ?/, ""));
    }
    if (line.endsWith("*/")) inDoc = false;
  });
  return out;
}

const examples = sources.flatMap(extractExamples);
const tmp = mkdtempSync(join(tmpdir(), "llb-doc-examples-"));

describe("JSDoc examples", () => {
  it("JSDoc examples exist for the public API of src/llb/mod.ts", () => {
    assert.ok(examples.length >= 30, `found only ${examples.length} examples`);
  });

  examples.forEach((ex, n) => {
    const rel = `${ex.file.slice(repo.length + 1)}:${ex.line}`;
    it(`JSDoc example at ${rel} runs`, async () => {
      const dir = dirname(ex.file);
      const code = ex.code.replace(
        /from "(\.\.?\/[^"]+\.ts)"/g,
        (_m, spec: string) => `from ${JSON.stringify(pathToFileURL(resolve(dir, spec)).href)}`,
      );
      const path = join(tmp, `example_${n}.ts`);
      writeFileSync(path, code);
      const original = console.assert;
      console.assert = (condition?: boolean, ...data: unknown[]) => {
        if (!condition) throw new Error(`Assertion failed in ${rel}: ${data.join(" ")}`);
      };
      try {
        await import(pathToFileURL(path).href);
      } finally {
        console.assert = original;
      }
    });
  });
});
