import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.ts";
import { VERSION } from "../../src/cli/version.ts";
import { createRuntime } from "../../src/runtime/mod.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// Never touch the user's cache directory from tests.
process.env.BUILDKIT_CACHE_DIR = join(mkdtempSync(join(tmpdir(), "bk-cli-store-")), "store");

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const rt = {
    ...createRuntime(),
    writeStdout: (t: string) => void (out += t),
    writeStderr: (t: string) => void (err += t),
  };
  const code = await main(args, rt);
  return { code, out, err };
}

describe("buildkit CLI", () => {
  it("main() prints the version from deno.json", async () => {
    const r = await run(["--version"]);
    assert.equal(r.code, 0);
    const denoJson = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    assert.equal(VERSION, denoJson.version);
    assert.match(r.out, new RegExp(`^buildkit ${VERSION.replace(/\./g, "\\.")} \\(`));
  });

  it("main() suggests a command for a typo and exits 2", async () => {
    const r = await run(["biuld"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command: biuld \(did you mean build\?\)/);
  });

  it("main() prints the example's build graph with digests (debug llb)", async () => {
    const r = await run([
      "debug",
      "llb",
      "--cache-dir",
      join(mkdtempSync(join(tmpdir(), "bk-cli-")), "s"),
      join(ROOT, "examples/hello"),
    ]);
    assert.equal(r.code, 0, r.err);
    const graph = JSON.parse(r.out);
    assert.ok(Array.isArray(graph.ops) && graph.ops.length > 3);
    for (const op of graph.ops) assert.match(op.digest, /^sha256:[0-9a-f]{64}$/);
    // The same input gives the same graph, byte for byte.
    const again = await run([
      "debug",
      "llb",
      "--cache-dir",
      join(mkdtempSync(join(tmpdir(), "bk-cli-")), "s"),
      join(ROOT, "examples/hello"),
    ]);
    assert.equal(again.out, r.out);
  });

  it("main() builds the example into an OCI tarball and a rebuild is fully cached", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bk-cli-"));
    const args = [
      "build",
      "--cache-dir",
      join(dir, "store"),
      "--progress=rawjson",
      "-t",
      "hello:1",
    ];
    const r = await run([
      ...args,
      "-o",
      `type=oci,dest=${join(dir, "a.tar")}`,
      join(ROOT, "examples/hello"),
    ]);
    assert.equal(r.code, 0, r.err);
    const again = await run([
      ...args,
      "-o",
      `type=oci,dest=${join(dir, "b.tar")}`,
      join(ROOT, "examples/hello"),
    ]);
    assert.equal(again.code, 0, again.err);
    const vertices = again.err.split("\n").filter((l) => l.startsWith("{")).flatMap((l) =>
      JSON.parse(l).vertexes ?? []
    )
      .filter((v: { name: string; completed?: string }) =>
        v.completed && !v.name.startsWith("[internal] load build def") &&
        !v.name.startsWith("exporting")
      );
    assert.ok(vertices.length >= 5);
    for (const v of vertices) assert.equal(v.cached, true, `${v.name} should be cached`);
    assert.deepEqual(readFileSync(join(dir, "a.tar")), readFileSync(join(dir, "b.tar")));
  });

  it("main() reports a Dockerfile error with file, line and a code frame", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bk-cli-"));
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\nCOPY a /a\nFRM busybox\n");
    const r = await run(["debug", "llb", dir]);
    assert.equal(r.code, 1);
    assert.match(r.err, /Dockerfile:3/);
    assert.match(r.err, />>>.*FRM busybox/);
    assert.match(r.err, /unknown instruction: FRM \(did you mean FROM\?\)/);
  });

  it("main() dumps the AST in BuildKit's golden format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bk-cli-"));
    writeFileSync(join(dir, "Dockerfile"), 'FROM ubuntu\nCOPY --from=build ["a", "/b"]\n');
    const r = await run(["debug", "dump-ast", join(dir, "Dockerfile")]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '(from "ubuntu")\n(copy ["--from=build"] "a" "/b")\n');
    const j = await run(["debug", "dump-ast", "--format=json", join(dir, "Dockerfile")]);
    assert.equal(j.code, 0, j.err);
    assert.ok(JSON.stringify(JSON.parse(j.out)).includes("ubuntu"));
  });

  it("main() rejects a missing context and a missing Dockerfile with exit 2", async () => {
    const r = await run(["debug", "llb", "/nonexistent-context"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /not found/);
    const dir = mkdtempSync(join(tmpdir(), "bk-cli-"));
    const r2 = await run(["debug", "llb", dir]);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /failed to read Dockerfile/);
  });
});
