// End-to-end tests of the single-file binary (`bun build --compile`). scripts/test.sh
// compiles dist/buildkit first and sets BUILDKIT_BIN; run alone, this file compiles its own.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CORPUS = process.env.BUILDKIT_CONFORMANCE_DIR ?? resolve(ROOT, "../shared/conformance");
const PARSER = join(CORPUS, "frontend/dockerfile/parser");
const noCorpus = existsSync(PARSER) ? false : `conformance corpus not found at ${CORPUS}`;
let bin = process.env.BUILDKIT_BIN ?? "";
// Never touch the user's cache directory from tests.
const env = {
  ...process.env,
  BUILDKIT_CACHE_DIR: join(mkdtempSync(join(tmpdir(), "bk-bin-store-")), "store"),
};

function runBin(args: string[], input?: string) {
  const r = spawnSync(bin, args, { cwd: ROOT, encoding: "utf8", input, timeout: 60_000, env });
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
      env,
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

  it("binary dump-ast reproduces BuildKit's 33 parser golden files byte for byte", {
    skip: noCorpus,
  }, () => {
    const cases = readdirSync(join(PARSER, "testfiles")).sort();
    assert.equal(cases.length, 33);
    const mismatched: string[] = [];
    for (const c of cases) {
      const r = runBin([
        "debug",
        "dump-ast",
        "--format=buildkit",
        join(PARSER, "testfiles", c, "Dockerfile"),
      ]);
      const want = readFileSync(join(PARSER, "testfiles", c, "result"), "utf8");
      if (r.code !== 0 || r.out !== want) {
        mismatched.push(`${c} (exit ${r.code}) ${r.err.slice(0, 200)}`);
      }
    }
    assert.deepEqual(mismatched, []);
  });

  it(
    "binary dump-ast rejects BuildKit's 4 negative files with its messages",
    { skip: noCorpus },
    () => {
      const expected: Record<string, RegExp> = {
        empty_dockerfile: /file with no instructions/,
        only_comments: /file with no instructions/,
        env_no_value: /ENV must have two arguments/,
        "shykes-nested-json": /arrays must be comprised of strings only/,
      };
      for (const c of readdirSync(join(PARSER, "testfiles-negative")).sort()) {
        const r = runBin([
          "debug",
          "dump-ast",
          join(PARSER, "testfiles-negative", c, "Dockerfile"),
        ]);
        assert.equal(r.code, 1, c);
        assert.match(r.err, expected[c] ?? /^$/, c);
      }
    },
  );
});
