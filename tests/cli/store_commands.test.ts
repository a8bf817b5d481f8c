import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.ts";
import { createRuntime } from "../../src/runtime/mod.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

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

describe("store commands", () => {
  it("images, rmi, du and prune manage what builds leave in the store", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "bk-store-cmd-")), "store");
    const c = ["--cache-dir", dir];
    const b = await run(["build", ...c, "-q", "-t", "demo/app:1", join(ROOT, "examples/hello")]);
    assert.equal(b.code, 0, b.err);
    assert.match(b.out, /^sha256:[0-9a-f]{64}\n$/, "-q prints the image id only");
    const images = await run(["images", ...c]);
    assert.match(images.out, /^demo\/app +1 +[0-9a-f]{12} /m);
    const du = await run(["du", ...c]);
    const total = Number(/Total: +([\d.]+)kB/.exec(du.out)?.[1]);
    assert.ok(total > 0, du.out);
    // Tagged image blobs survive a plain prune; cache records go with --all.
    assert.equal((await run(["rmi", ...c, "demo/app:1"])).code, 0);
    assert.equal(
      (await run(["rmi", ...c, "demo/app:1"])).code,
      1,
      "a second rmi says no such image",
    );
    const p = await run(["prune", ...c, "--all"]);
    assert.match(p.out, /reclaimed/);
    const after = await run(["du", ...c]);
    assert.match(after.out, /Total: +0B/);
  });

  it("du counts the Git/HTTP source caches and prune --all removes them", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "bk-store-cmd-")), "store");
    await run(["du", "--cache-dir", dir]); // creates the store
    mkdirSync(join(dir, "cache/git/repo1"), { recursive: true });
    writeFileSync(join(dir, "cache/git/repo1/pack"), "x".repeat(5000));
    const du = await run(["du", "--cache-dir", dir]);
    assert.match(du.out, /Git\/HTTP source caches: +5\.00kB/);
    await run(["prune", "--all", "--cache-dir", dir]);
    assert.ok(!existsSync(join(dir, "cache/git")));
  });

  it("prune rejects a bad filter and a bad size with exit 2", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "bk-store-cmd-")), "store");
    assert.equal((await run(["prune", "--cache-dir", dir, "--filter", "label=x"])).code, 2);
    assert.equal((await run(["prune", "--cache-dir", dir, "--keep-storage", "lots"])).code, 2);
  });
});
