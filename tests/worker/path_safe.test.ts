// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  cleanInRoot,
  inRootPath,
  resolveInRoot,
  resolveInRootSync,
} from "../../src/worker/path_safe.ts";

function tmpRoot(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "path-safe-")));
}

describe("path_safe", () => {
  it("cleanInRoot() clamps .. at the root", () => {
    assert.equal(cleanInRoot("../../a/./b/../c"), "/a/c");
    assert.equal(cleanInRoot("/.."), "/");
    assert.equal(cleanInRoot(""), "/");
  });

  it("inRootPath() tells paths below the root from the rest", () => {
    assert.equal(inRootPath("/r", "/r"), "/");
    assert.equal(inRootPath("/r", "/r/a/b"), "/a/b");
    assert.equal(inRootPath("/r", "/rx/a"), undefined);
    assert.equal(inRootPath("/r", "/"), undefined);
  });

  it("resolveInRoot() clamps .. that climbs above the root", async () => {
    const root = tmpRoot();
    assert.equal(await resolveInRoot(root, "../../../etc/passwd"), path.join(root, "etc/passwd"));
    assert.equal(await resolveInRoot(root, "/"), root);
    assert.equal(await resolveInRoot(root, "a/../../b"), path.join(root, "b"));
  });

  it("resolveInRoot() resolves an absolute symlink inside the root", async () => {
    const root = tmpRoot();
    fs.mkdirSync(path.join(root, "real/dir"), { recursive: true });
    fs.symlinkSync("/real", path.join(root, "abs"));
    fs.symlinkSync("/usr/../hostetc", path.join(root, "etc"));
    assert.equal(await resolveInRoot(root, "/abs/dir/x"), path.join(root, "real/dir/x"));
    // /etc on the host is never reached: the link restarts at the root.
    assert.equal(await resolveInRoot(root, "/etc/passwd"), path.join(root, "hostetc/passwd"));
  });

  it("resolveInRoot() clamps relative ../../.. chains in link targets", async () => {
    const root = tmpRoot();
    fs.mkdirSync(path.join(root, "a/b"), { recursive: true });
    fs.symlinkSync("../../../../../../tmp", path.join(root, "a/b/up"));
    fs.symlinkSync("up/../../../x", path.join(root, "a/b/chain"));
    assert.equal(await resolveInRoot(root, "/a/b/up/f"), path.join(root, "tmp/f"));
    assert.equal(await resolveInRoot(root, "/a/b/chain"), path.join(root, "x"));
  });

  it("resolveInRoot() reports a symlink loop as too many levels of symbolic links", async () => {
    const root = tmpRoot();
    fs.symlinkSync("b", path.join(root, "a"));
    fs.symlinkSync("a", path.join(root, "b"));
    fs.symlinkSync("self/x", path.join(root, "self"));
    await assert.rejects(resolveInRoot(root, "/a"), /too many levels of symbolic links/);
    assert.throws(() => resolveInRootSync(root, "/self/y"), /too many levels of symbolic links/);
  });

  it("resolveInRoot() keeps the final symlink with followFinal false", async () => {
    const root = tmpRoot();
    fs.mkdirSync(path.join(root, "d"));
    fs.symlinkSync("/d", path.join(root, "l"));
    assert.equal(await resolveInRoot(root, "/l", { followFinal: false }), path.join(root, "l"));
    assert.equal(await resolveInRoot(root, "/l"), path.join(root, "d"));
    // Parents are still followed.
    assert.equal(
      await resolveInRoot(root, "/l/f", { followFinal: false }),
      path.join(root, "d/f"),
    );
  });

  it("resolveInRoot() keeps missing components lexically", async () => {
    const root = tmpRoot();
    fs.symlinkSync("/nowhere/deeper", path.join(root, "dangling"));
    assert.equal(await resolveInRoot(root, "/x/y/z"), path.join(root, "x/y/z"));
    assert.equal(await resolveInRoot(root, "/dangling/f"), path.join(root, "nowhere/deeper/f"));
  });

  it("resolveInRoot() never returns a path outside the root", async () => {
    const root = tmpRoot();
    fs.mkdirSync(path.join(root, "d"));
    fs.symlinkSync("..", path.join(root, "d/parent"));
    fs.symlinkSync("/..", path.join(root, "d/rootparent"));
    fs.symlinkSync("../../../..", path.join(root, "d/far"));
    for (const p of ["/d/parent/parent", "/d/rootparent/x", "/d/far/far/x", "/d/parent/../.."]) {
      const r = await resolveInRoot(root, p);
      assert.ok(r === root || r.startsWith(root + "/"), `${p} -> ${r}`);
    }
  });
});
