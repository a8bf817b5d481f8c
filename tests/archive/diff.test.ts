// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { comparePaths, diffTrees } from "../../src/archive/diff.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** tmpfs when there is one: creating 10,000 files on some disks takes seconds. */
const FAST_TMP = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();

function tmp(base = os.tmpdir()): string {
  const d = fs.mkdtempSync(path.join(base, "diff-test-"));
  roots.push(d);
  return d;
}

/** Builds a tree: "dir/" entries are directories, "x -> t" symlinks, others files. */
function build(root: string, spec: Record<string, string>): void {
  for (const [name, content] of Object.entries(spec)) {
    if (name.endsWith("/")) {
      fs.mkdirSync(path.join(root, name), { recursive: true });
      continue;
    }
    const m = / -> /.exec(name);
    if (m) {
      const [link, target] = name.split(" -> ") as [string, string];
      fs.mkdirSync(path.dirname(path.join(root, link)), { recursive: true });
      fs.symlinkSync(target, path.join(root, link));
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
}

/** A hardlink clone of a tree, as the snapshot store makes (`cp -al` keeps dir times). */
function clone(lower: string): string {
  const upper = path.join(tmp(path.dirname(path.dirname(lower + "/x"))), "upper");
  const r = spawnSync("cp", ["-al", lower, upper]);
  assert.equal(r.status, 0, String(r.stderr));
  return upper;
}

/** Sets a path's mtime without following symlinks. */
function touch(p: string, sec: number): void {
  fs.lutimesSync(p, sec, sec);
}

function summary(lower: string | undefined, upper: string, compareContent = false): string[] {
  return diffTrees(lower, upper, { compareContent }).map((c) => `${c.kind} ${c.path}`);
}

describe("diffTrees()", () => {
  it("diffTrees() reports every entry as an add when there is no lower tree, in layer order", () => {
    const up = tmp();
    build(up, { "a/b": "1", "a-c": "2", "z/": "", "a/d/e": "3", "l -> a": "" });
    assert.deepEqual(summary(undefined, up), [
      "add a",
      "add a/b",
      "add a/d",
      "add a/d/e",
      "add a-c",
      "add l",
      "add z",
    ]);
    const l = diffTrees(undefined, up).find((c) => c.path === "l")!;
    assert.equal(l.stat.kind, "symlink");
    assert.equal(l.linkTarget, "a");
  });

  it("diffTrees() sees no change in a hardlink clone without reading files", () => {
    const low = tmp();
    build(low, { "etc/passwd": "root", "bin/sh": "elf", "usr/lib/x -> ../../bin/sh": "" });
    const up = clone(low);
    assert.deepEqual(summary(low, up), []);
    // Same inode: unchanged even when the content compares different (it cannot).
    assert.equal(
      fs.statSync(path.join(up, "etc/passwd")).ino,
      fs.statSync(path.join(low, "etc/passwd")).ino,
    );
  });

  it("diffTrees() reports adds, modifies and deletes with their parents' changes", () => {
    const low = tmp();
    build(low, { "etc/passwd": "root", "etc/group": "g", "var/log/": "", "keep": "k" });
    touch(path.join(low, "etc"), 1_000_000);
    const up = clone(low);
    // Replace a file (new inode), delete one, add one.
    fs.rmSync(path.join(up, "etc/passwd"));
    fs.writeFileSync(path.join(up, "etc/passwd"), "root2");
    fs.rmSync(path.join(up, "etc/group"));
    fs.writeFileSync(path.join(up, "var/log/new.log"), "x");
    assert.deepEqual(summary(low, up), [
      "modify etc",
      "delete etc/group",
      "modify etc/passwd",
      "modify var/log",
      "add var/log/new.log",
    ]);
    const del = diffTrees(low, up).find((c) => c.kind === "delete")!;
    assert.equal(del.stat.kind, "file", "a delete carries the lower entry's stat");
  });

  it("diffTrees() reports a directory whose mode or mtime changed", () => {
    const low = tmp();
    build(low, { "d/": "", "d/f": "x" });
    touch(path.join(low, "d"), 1_000_000);
    const up = clone(low);
    fs.chmodSync(path.join(up, "d"), 0o700);
    assert.deepEqual(summary(low, up), ["modify d"]);
    fs.chmodSync(path.join(up, "d"), 0o755);
    touch(path.join(up, "d"), 1_000_001);
    assert.deepEqual(summary(low, up), ["modify d"], "an mtime change is a modify");
    touch(path.join(up, "d"), 1_000_000);
    assert.deepEqual(summary(low, up), []);
  });

  it("diffTrees() turns a directory replaced by a file into a delete and an add", () => {
    const low = tmp();
    build(low, { "x/a": "1", "x/b/c": "2", "y": "file" });
    const up = clone(low);
    fs.rmSync(path.join(up, "x"), { recursive: true });
    fs.writeFileSync(path.join(up, "x"), "now a file");
    fs.rmSync(path.join(up, "y"));
    fs.mkdirSync(path.join(up, "y"));
    fs.writeFileSync(path.join(up, "y/inner"), "i");
    assert.deepEqual(summary(low, up), ["delete x", "add x", "delete y", "add y", "add y/inner"]);
  });

  it("diffTrees() reports a deleted directory tree as one delete", () => {
    const low = tmp();
    build(low, { "a/b/c/d/e": "1", "a/b/f": "2", "a/g": "3" });
    touch(path.join(low, "a"), 1_000_000);
    const up = clone(low);
    fs.rmSync(path.join(up, "a/b"), { recursive: true });
    touch(path.join(up, "a"), 1_000_000);
    assert.deepEqual(summary(low, up), ["delete a/b"]);
  });

  it("diffTrees() treats an equal copy as modified unless compareContent is set", () => {
    const low = tmp();
    build(low, { "f": "same bytes", "g": "abc" });
    const up = path.join(tmp(), "upper");
    assert.equal(spawnSync("cp", ["-a", low, up]).status, 0); // a copy: new inodes
    assert.deepEqual(summary(low, up), ["modify f", "modify g"]);
    assert.deepEqual(summary(low, up, true), []);
    // Same size and mtime, different bytes: only the content tells.
    const st = fs.statSync(path.join(up, "g"));
    fs.writeFileSync(path.join(up, "g"), "xyz");
    fs.utimesSync(path.join(up, "g"), st.atime, st.mtime);
    touch(path.join(up), fs.statSync(low).mtimeMs / 1000);
    assert.deepEqual(summary(low, up, true), ["modify g"]);
  });

  it("diffTrees() compares large files chunk by chunk with compareContent", () => {
    const low = tmp();
    const big = new Uint8Array(3 * 1024 * 1024 + 5).fill(7);
    fs.writeFileSync(path.join(low, "big"), big);
    const up = path.join(tmp(), "upper");
    assert.equal(spawnSync("cp", ["-a", low, up]).status, 0);
    assert.deepEqual(summary(low, up, true), []);
    big[big.length - 1] = 8;
    const st = fs.statSync(path.join(up, "big"));
    fs.writeFileSync(path.join(up, "big"), big);
    fs.utimesSync(path.join(up, "big"), st.atime, st.mtime);
    fs.utimesSync(up, fs.statSync(low).atime, fs.statSync(low).mtime);
    assert.deepEqual(summary(low, up, true), ["modify big"]);
  });

  it("diffTrees() notices a symlink whose target changed with equal metadata", () => {
    const low = tmp();
    build(low, { "l -> aaa": "" });
    touch(path.join(low, "l"), 1_000_000);
    touch(low, 1_000_000);
    const up = tmp();
    build(up, { "l -> bbb": "" });
    touch(path.join(up, "l"), 1_000_000);
    touch(up, 1_000_000);
    const c = diffTrees(low, up);
    assert.deepEqual(c.map((x) => `${x.kind} ${x.path} ${x.linkTarget}`), ["modify l bbb"]);
  });

  it("diffTrees() diffs 10,000 hardlinked files in well under a second", () => {
    const low = tmp(FAST_TMP);
    for (let d = 0; d < 100; d++) {
      fs.mkdirSync(path.join(low, `d${d}`));
      for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(low, `d${d}`, `f${f}`), "x");
    }
    const up = clone(low);
    fs.rmSync(path.join(up, "d5/f5"));
    fs.writeFileSync(path.join(up, "d5/f5"), "changed");
    const t0 = performance.now();
    const changes = diffTrees(low, up);
    const ms = performance.now() - t0;
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`), ["modify d5", "modify d5/f5"]);
    assert.ok(ms < 1000, `diff took ${ms.toFixed(0)} ms`);
  });
});

describe("comparePaths()", () => {
  it("comparePaths() puts a directory right before its children", () => {
    const paths = ["a.b", "a/b", "a", "a-c", "a/b/c", "b", "a/a"];
    assert.deepEqual(paths.sort(comparePaths), ["a", "a/a", "a/b", "a/b/c", "a-c", "a.b", "b"]);
  });

  it("comparePaths() orders non-ASCII names by UTF-8 bytes", () => {
    // U+FF21 (EF BC A1) sorts after U+1F600 (F0 ...) in UTF-16 but before it in UTF-8.
    assert.ok(comparePaths("\uff21", "\u{1f600}") < 0);
    assert.ok(comparePaths("z", "\u00e9") < 0);
  });
});
