// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportLocal, exportTar } from "../../src/exporter/mod.ts";
import { readTar } from "../../src/archive/mod.ts";

function makeTree(root: string): void {
  mkdirSync(join(root, "etc"), { recursive: true });
  mkdirSync(join(root, "bin"));
  writeFileSync(join(root, "etc/hello.txt"), "hello\n");
  writeFileSync(join(root, "bin/run.sh"), "#!/bin/sh\n");
  chmodSync(join(root, "bin/run.sh"), 0o755);
  chmodSync(join(root, "etc/hello.txt"), 0o640);
  symlinkSync("../etc/hello.txt", join(root, "bin/hello"));
  linkSync(join(root, "etc/hello.txt"), join(root, "etc/again.txt"));
  utimesSync(join(root, "etc/hello.txt"), 1_600_000_000, 1_600_000_000);
  utimesSync(join(root, "etc"), 1_500_000_000, 1_500_000_000);
}

describe("exportLocal()", () => {
  it("exportLocal() copies modes, symlinks, hardlinks and mtimes", async () => {
    const work = mkdtempSync(join(tmpdir(), "bk-local-"));
    try {
      const src = join(work, "src");
      const dest = join(work, "dest");
      makeTree(src);
      const result = await exportLocal(src, dest);
      assert.deepEqual(result.skipped, []);
      assert.equal(readFileSync(join(dest, "etc/hello.txt"), "utf8"), "hello\n");
      assert.equal(lstatSync(join(dest, "bin/run.sh")).mode & 0o777, 0o755);
      assert.equal(lstatSync(join(dest, "etc/hello.txt")).mode & 0o777, 0o640);
      assert.equal(readlinkSync(join(dest, "bin/hello")), "../etc/hello.txt");
      assert.equal(
        lstatSync(join(dest, "etc/again.txt")).ino,
        lstatSync(join(dest, "etc/hello.txt")).ino,
      );
      assert.equal(
        Math.floor(lstatSync(join(dest, "etc/hello.txt")).mtimeMs / 1000),
        1_600_000_000,
      );
      assert.equal(Math.floor(lstatSync(join(dest, "etc")).mtimeMs / 1000), 1_500_000_000);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("exportLocal() sets every mtime to SOURCE_DATE_EPOCH and replaces existing files", async () => {
    const work = mkdtempSync(join(tmpdir(), "bk-local-"));
    try {
      const src = join(work, "src");
      const dest = join(work, "dest");
      makeTree(src);
      mkdirSync(join(dest, "etc"), { recursive: true });
      writeFileSync(join(dest, "etc/hello.txt"), "old");
      writeFileSync(join(dest, "keep.txt"), "kept");
      await exportLocal(src, dest, { sourceDateEpoch: 86400 });
      assert.equal(readFileSync(join(dest, "etc/hello.txt"), "utf8"), "hello\n");
      assert.equal(readFileSync(join(dest, "keep.txt"), "utf8"), "kept");
      for (const p of ["etc", "etc/hello.txt", "bin/run.sh", "bin/hello"]) {
        assert.equal(lstatSync(join(dest, p)).mtimeMs, 86400_000, p);
      }
      assert.ok(!readdirSync(join(dest, "etc")).some((n) => n.includes(".tmp-")));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("exportTar()", () => {
  it("exportTar() streams the tree as a sorted tar with link entries and the epoch as mtime", async () => {
    const work = mkdtempSync(join(tmpdir(), "bk-tar-"));
    try {
      const src = join(work, "src");
      makeTree(src);
      const file = join(work, "out.tar");
      await exportTar(src, file, { sourceDateEpoch: 42 });
      const seen: { name: string; type: string; mtime: number; linkname: string; text?: string }[] =
        [];
      for await (const entry of readTar(new Blob([readFileSync(file)]).stream())) {
        const h = entry.header;
        const text = entry.body ? await new Response(entry.body).text() : undefined;
        seen.push({
          name: h.name,
          type: h.type,
          mtime: h.mtime,
          linkname: h.linkname,
          ...(text ? { text } : {}),
        });
      }
      assert.deepEqual(seen.map((e) => e.name), [
        "bin/",
        "bin/hello",
        "bin/run.sh",
        "etc/",
        "etc/again.txt",
        "etc/hello.txt",
      ]);
      assert.ok(seen.every((e) => e.mtime === 42));
      assert.equal(seen[1]!.type, "symlink");
      assert.equal(seen[4]!.type, "file");
      assert.equal(seen[5]!.type, "link");
      assert.equal(seen[5]!.linkname, "etc/again.txt");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
