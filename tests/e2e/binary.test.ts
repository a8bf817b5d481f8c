// End-to-end tests of the single-file binary (`bun build --compile`). scripts/test.sh
// compiles dist/buildkit first and sets BUILDKIT_BIN; run alone, this file compiles its own.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
let bin = process.env.BUILDKIT_BIN ?? "";

function runBin(args: string[], input?: string) {
  const r = spawnSync(bin, args, { cwd: ROOT, encoding: "utf8", input, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("compiled binary", () => {
  before(() => {
    if (bin && existsSync(bin)) return;
    const out = join(mkdtempSync(join(tmpdir(), "bk-bin-")), "buildkit");
    const r = spawnSync(join(ROOT, "node_modules/.bin/bun"), [
      "build",
      "--compile",
      join(ROOT, "cli.ts"),
      "--outfile",
      out,
    ], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, `bun build --compile failed: ${r.stderr}`);
    bin = out;
  });

  it("binary answers --version", () => {
    const r = runBin(["--version"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^buildkit \d+\.\d+\.\d+ \(bun /);
  });

  it("binary prints the example's build graph (debug llb) from another directory", () => {
    const r = spawnSync(bin, ["debug", "llb", join(ROOT, "examples/hello")], {
      cwd: tmpdir(),
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const graph = JSON.parse(r.stdout);
    assert.ok(graph.ops.length > 3);
  });

  it("binary reads a Dockerfile from stdin for dump-ast", () => {
    const r = runBin(["debug", "dump-ast", "-"], "FROM busybox AS b\nRUN echo hi\n");
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '(from "busybox" "AS" "b")\n(run "echo hi")\n');
  });

  it("binary exits non-zero with a code frame on a bad Dockerfile", () => {
    const r = runBin(["debug", "dump-ast", "-"], 'FROM a\nCMD ["x", 1]\n');
    assert.equal(r.code, 1);
    assert.match(r.err, /arrays must be comprised of strings only/);
    assert.match(r.err, /Dockerfile:2/);
  });
});
