// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { cloneTree, treeSize } from "../../src/store/mod.ts";
import { tempDir, tempStore } from "./_helpers.ts";

/** A parent snapshot with a file, a nested dir, a symlink, a hard link and a fifo. */
async function parentSnapshot() {
  const store = tempStore();
  const m = await store.snapshots.create();
  fs.mkdirSync(path.join(m.dir, "etc/conf.d"), { recursive: true });
  fs.writeFileSync(path.join(m.dir, "etc/hostname"), "parent\n");
  fs.writeFileSync(path.join(m.dir, "etc/conf.d/a"), "aaaa");
  fs.linkSync(path.join(m.dir, "etc/conf.d/a"), path.join(m.dir, "etc/conf.d/a-link"));
  fs.symlinkSync("hostname", path.join(m.dir, "etc/name"));
  fs.chmodSync(path.join(m.dir, "etc/conf.d"), 0o750);
  const fifo = spawnSync("mkfifo", [path.join(m.dir, "pipe")]);
  assert.equal(fifo.status, 0, "mkfifo is needed by this test");
  const t = new Date("2020-01-02T03:04:05Z");
  fs.utimesSync(path.join(m.dir, "etc/conf.d"), t, t);
  const id = await store.snapshots.commit(m, { description: "parent" });
  return { store, id };
}

describe("SnapshotStore", () => {
  it("commit() moves the working dir into snapshots/<id> with its metadata", async () => {
    const { store, id } = await parentSnapshot();
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(store.snapshots.dir(id), path.join(store.root, "snapshots", id, "fs"));
    assert.equal(store.snapshots.exists(id), true);
    assert.deepEqual(fs.readdirSync(store.snapshots.workBase), []);
    const meta = store.snapshots.meta(id)!;
    assert.equal(meta.description, "parent");
    assert.equal(meta.parent, undefined);
    assert.ok(!Number.isNaN(Date.parse(meta.createdAt)));
  });

  it("create(parent) shares regular files by hard link and recreates the rest", async () => {
    const { store, id } = await parentSnapshot();
    const child = await store.snapshots.create(id);
    const p = store.snapshots.dir(id);
    const c = child.dir;
    assert.deepEqual(child.cloneErrors, []);
    assert.equal(
      fs.statSync(path.join(c, "etc/hostname")).ino,
      fs.statSync(path.join(p, "etc/hostname")).ino,
    );
    assert.equal(
      fs.statSync(path.join(c, "etc/conf.d/a")).ino,
      fs.statSync(path.join(c, "etc/conf.d/a-link")).ino,
    );
    assert.notEqual(fs.statSync(path.join(c, "etc")).ino, fs.statSync(path.join(p, "etc")).ino);
    const dirStat = fs.statSync(path.join(c, "etc/conf.d"));
    assert.equal(dirStat.mode & 0o7777, 0o750);
    assert.equal(dirStat.mtime.toISOString(), "2020-01-02T03:04:05.000Z");
    assert.equal(fs.readlinkSync(path.join(c, "etc/name")), "hostname");
    assert.ok(fs.lstatSync(path.join(c, "pipe")).isFIFO());
    const childId = await store.snapshots.commit(child);
    assert.equal(store.snapshots.meta(childId)!.parent, id);
  });

  it("replacing a file in a clone (unlink + create) leaves the parent intact", async () => {
    const { store, id } = await parentSnapshot();
    const child = await store.snapshots.create(id);
    const target = path.join(child.dir, "etc/hostname");
    fs.unlinkSync(target);
    fs.writeFileSync(target, "child\n");
    fs.rmSync(path.join(child.dir, "etc/conf.d/a"));
    assert.equal(
      fs.readFileSync(path.join(store.snapshots.dir(id), "etc/hostname"), "utf8"),
      "parent\n",
    );
    assert.ok(fs.existsSync(path.join(store.snapshots.dir(id), "etc/conf.d/a")));
    assert.equal(fs.readFileSync(target, "utf8"), "child\n");
  });

  it("create(parent, { deepCopy: true }) copies files so in-place writes stay private", async () => {
    const { store, id } = await parentSnapshot();
    const child = await store.snapshots.create(id, { deepCopy: true });
    const f = path.join(child.dir, "etc/hostname");
    assert.notEqual(
      fs.statSync(f).ino,
      fs.statSync(path.join(store.snapshots.dir(id), "etc/hostname")).ino,
    );
    // Hard links inside the tree stay hard links.
    assert.equal(
      fs.statSync(path.join(child.dir, "etc/conf.d/a")).ino,
      fs.statSync(path.join(child.dir, "etc/conf.d/a-link")).ino,
    );
    fs.appendFileSync(f, "more\n");
    assert.equal(
      fs.readFileSync(path.join(store.snapshots.dir(id), "etc/hostname"), "utf8"),
      "parent\n",
    );
  });

  it("list() reports sizes counting hard-linked inodes once", async () => {
    const { store, id } = await parentSnapshot();
    const list = await store.snapshots.list();
    assert.equal(list.length, 1);
    // "parent\n" (7) + "aaaa" once (4) + symlink "hostname" (8)
    assert.equal(list[0]!.id, id);
    assert.equal(list[0]!.size, 7 + 4 + 8);
    assert.equal(treeSize(store.snapshots.dir(id)), 19);
  });

  it("remove() deletes a snapshot and discard() drops a working dir", async () => {
    const { store, id } = await parentSnapshot();
    const child = await store.snapshots.create(id);
    await store.snapshots.discard(child);
    assert.equal(fs.existsSync(child.workDir), false);
    assert.equal(await store.snapshots.remove(id), true);
    assert.equal(store.snapshots.exists(id), false);
    assert.equal(await store.snapshots.remove(id), false);
    assert.deepEqual(fs.readdirSync(store.snapshots.workBase), []);
    await assert.rejects(store.snapshots.create(id), /does not exist/);
  });

  it("touch() bumps lastUsed only when the last bump is over a minute old", async () => {
    const { store, id } = await parentSnapshot();
    const before = store.snapshots.meta(id)!.lastUsed;
    await store.snapshots.touch(id, new Date(Date.parse(before) + 30_000));
    assert.equal(store.snapshots.meta(id)!.lastUsed, before);
    const later = new Date(Date.parse(before) + 120_000);
    await store.snapshots.touch(id, later);
    assert.equal(store.snapshots.meta(id)!.lastUsed, later.toISOString());
  });

  it("cloneTree() clones a 10,000-file tree by hard links in under 5 seconds", () => {
    const root = tempDir("clone-");
    const src = path.join(root, "src");
    fs.mkdirSync(src);
    // 10,000 names for 100 files (hard links are much faster to make than files).
    for (let d = 0; d < 100; d++) {
      fs.mkdirSync(path.join(src, `d${d}`));
      fs.writeFileSync(path.join(src, `d${d}`, "f0"), `file ${d}`);
      for (let f = 1; f < 100; f++) {
        fs.linkSync(path.join(src, `d${d}`, "f0"), path.join(src, `d${d}`, `f${f}`));
      }
    }
    const start = performance.now();
    const errors = cloneTree(src, path.join(root, "dst"));
    const ms = performance.now() - start;
    assert.deepEqual(errors, []);
    assert.equal(
      fs.statSync(path.join(root, "dst/d99/f99")).ino,
      fs.statSync(path.join(src, "d99/f0")).ino,
    );
    assert.equal(fs.readdirSync(path.join(root, "dst/d42")).length, 100);
    assert.ok(ms < 5000, `clone took ${ms.toFixed(0)} ms`);
  });
});
