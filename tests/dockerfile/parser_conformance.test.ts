import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { run } from "../../scripts/conformance/parser.ts";

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.env.BUILDKIT_CONFORMANCE_DIR ?? resolve(here, "../../../shared/conformance");
const corpus = join(dir, "frontend/dockerfile/parser");
const skip = existsSync(corpus) ? false : `conformance corpus not found at ${corpus}`;

describe("parser conformance (BuildKit corpus)", () => {
  it("parseDockerfile() reproduces all 33 golden dumps byte for byte", { skip }, async () => {
    const t = (await run(dir)).find((t) => t.file.endsWith("parser/testfiles"))!;
    assert.deepEqual(t.failures, []);
    assert.equal(t.passed, 33);
  });

  it(
    "parseDockerfile() rejects the 4 negative files with BuildKit's messages",
    { skip },
    async () => {
      const t = (await run(dir)).find((t) => t.file.endsWith("testfiles-negative"))!;
      assert.deepEqual(t.failures, []);
      assert.equal(t.passed, 4);
    },
  );

  it("parseDockerfile() gives testfile-line's line ranges", { skip }, async () => {
    const t = (await run(dir)).find((t) => t.file.endsWith("testfile-line"))!;
    assert.deepEqual(t.failures, []);
    assert.equal(t.passed, 2);
  });

  it("parser helpers pass the JSON extracts", { skip }, async () => {
    const tables = (await run(dir)).filter((t) => t.file.endsWith(".json"));
    assert.equal(tables.length, 3);
    for (const t of tables) {
      assert.deepEqual(t.failures, [], t.file);
      assert.ok(t.passed > 0, t.file);
    }
  });
});
