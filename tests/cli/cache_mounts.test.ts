import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { createRuntime } from "../../src/runtime/mod.ts";
import { makeBusyboxLayout } from "../_fixtures/busybox_image.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const rt = {
    ...createRuntime(),
    writeStdout: (t: string) => void (out += t),
    writeStderr: (t: string) => void (err += t),
  };
  return { code: await main(args, rt), out, err };
}

describe("cache-mounts", () => {
  it("export on one store and import on a fresh one carries RUN --mount=type=cache contents", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bk-cm-"));
    const layout = join(dir, "busybox");
    await makeBusyboxLayout(layout);
    writeFileSync(
      join(dir, "Dockerfile"),
      "FROM busybox\nRUN --mount=type=cache,id=pkgs,target=/c echo x >> /c/n && wc -l < /c/n > /count\n",
    );
    const build = (store: string, out: string) =>
      run([
        "build",
        "--cache-dir",
        store,
        "--progress=quiet",
        "--build-context",
        `busybox=oci-layout://${layout}:busybox`,
        "-o",
        `type=local,dest=${out}`,
        dir,
      ]);
    const a = await build(join(dir, "store-a"), join(dir, "out-a"));
    assert.equal(a.code, 0, a.err);
    assert.equal(readFileSync(join(dir, "out-a/count"), "utf8").trim(), "1");
    const ls = await run(["cache-mounts", "ls", "--cache-dir", join(dir, "store-a")]);
    assert.match(ls.out, /^\/pkgs +\d+B$/m);
    const ex = await run([
      "cache-mounts",
      "export",
      "--cache-dir",
      join(dir, "store-a"),
      join(dir, "cm.tar"),
    ]);
    assert.equal(ex.code, 0, ex.err);
    const im = await run([
      "cache-mounts",
      "import",
      "--cache-dir",
      join(dir, "store-b"),
      join(dir, "cm.tar"),
    ]);
    assert.equal(im.code, 0, im.err);
    // A fresh store runs the step (no cache record) on the imported cache contents.
    const b = await build(join(dir, "store-b"), join(dir, "out-b"));
    assert.equal(b.code, 0, b.err);
    assert.equal(readFileSync(join(dir, "out-b/count"), "utf8").trim(), "2");
    const pr = await run(["prune", "--all", "--cache-dir", join(dir, "store-b")]);
    assert.equal(pr.code, 0);
    const after = await run(["cache-mounts", "ls", "--cache-dir", join(dir, "store-b")]);
    assert.doesNotMatch(after.out, /pkgs/, "prune --all empties cache mounts");
  });
});
