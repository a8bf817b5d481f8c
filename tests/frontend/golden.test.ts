// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { dockerfileToLlb } from "../../src/frontend/convert.ts";
import type { ConvertOptions } from "../../src/frontend/options.ts";
import { AMD64, fakeResolver, summarize } from "./_fixtures.ts";

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, "..", "testdata", "frontend");
const update = process.env.UPDATE_GOLDEN === "1";

/** Per-case options (everything else: build platform linux/amd64, fake resolver). */
const CASE_OPTIONS: Record<string, Partial<ConvertOptions>> = {
  args: { buildArgs: { FROMCLI: "cli", VERSION: "2.0", NOT_DECLARED: "x" } },
  target: { target: "builder" },
  platform: {
    targetPlatforms: [{ os: "linux", architecture: "arm64" }, {
      os: "linux",
      architecture: "arm",
      variant: "v7",
    }],
  },
  copyflags: { excludePatterns: ["node_modules", "*.log"] },
};

async function render(name: string): Promise<string> {
  const dockerfile = readFileSync(join(dir, name, "Dockerfile"), "utf8");
  const res = await dockerfileToLlb({ dockerfile }, {
    buildPlatform: AMD64,
    resolver: fakeResolver(),
    ...CASE_OPTIONS[name],
  });
  const out = {
    platforms: res.platforms.map((p) => ({
      platform: p.platform,
      ops: summarize(p.definition),
      image: p.image,
    })),
    buildArgs: res.buildArgs,
    stages: res.stages,
    warnings: res.warnings,
  };
  return JSON.stringify(out, null, 2) + "\n";
}

describe("dockerfileToLlb() golden cases", () => {
  const cases = readdirSync(dir).filter((n) => existsSync(join(dir, n, "Dockerfile"))).sort();
  it("dockerfileToLlb() has golden cases to check", () => {
    assert.ok(cases.length >= 10, `expected at least 10 cases in ${dir}`);
  });
  for (const name of cases) {
    it(`dockerfileToLlb() matches tests/testdata/frontend/${name}/expected.json`, async () => {
      const got = await render(name);
      const file = join(dir, name, "expected.json");
      if (update || !existsSync(file)) {
        writeFileSync(file, got);
        if (!update) assert.fail(`wrote missing golden file ${file}; re-run to compare`);
        return;
      }
      assert.equal(got, readFileSync(file, "utf8"));
    });
  }
});
