// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { execFileSync, spawnSync } from "node:child_process";
import { createTarStream, type TarWriterEntry } from "../../src/archive/mod.ts";
import {
  detectArchive,
  detectArchiveCompression,
  tryUnpack,
} from "../../src/worker/file_unpack.ts";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "file-unpack-test-")));
after(() => fs.rmSync(base, { recursive: true, force: true }));
let counter = 0;
function newDir(): string {
  const d = path.join(base, `d-${counter++}`);
  fs.mkdirSync(d);
  return d;
}
function has(prog: string): boolean {
  return spawnSync(prog, ["--help"], { stdio: "ignore" }).error === undefined;
}

async function tarBytes(entries: TarWriterEntry[]): Promise<Uint8Array> {
  return new Uint8Array(await new Response(createTarStream(entries)).arrayBuffer());
}

const enc = new TextEncoder();
function file(name: string, data: string, extra: Record<string, unknown> = {}): TarWriterEntry {
  const body = enc.encode(data);
  return { header: { name, type: "file", size: body.length, mode: 0o644, ...extra }, body };
}

/** A small source tree packed with the system tar. */
function packWithTar(flag: string, ext: string): string {
  const src = newDir();
  fs.mkdirSync(path.join(src, "top/sub"), { recursive: true });
  fs.writeFileSync(path.join(src, "top/sub/f.txt"), "content");
  fs.writeFileSync(path.join(src, "top/.wh.deleted"), "");
  const out = path.join(newDir(), "archive" + ext);
  execFileSync("tar", [flag, "-cf", out, "-C", src, "top"].filter((a) => a !== ""));
  return out;
}

describe("file_unpack", () => {
  it("detectArchiveCompression() reads magic bytes", () => {
    assert.equal(detectArchiveCompression(new Uint8Array([0x1f, 0x8b, 8, 0])), "gzip");
    assert.equal(detectArchiveCompression(new Uint8Array([0x42, 0x5a, 0x68, 0x39])), "bzip2");
    assert.equal(detectArchiveCompression(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), "xz");
    assert.equal(detectArchiveCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd])), "zstd");
    assert.equal(detectArchiveCompression(new Uint8Array([0x61, 0x62])), "none");
  });

  for (
    const [flag, ext, kind, prog] of [
      ["", ".tar", "none", "tar"],
      ["-z", ".tar.gz", "gzip", "gzip"],
      ["-j", ".tar.bz2", "bzip2", "bzip2"],
      ["-J", ".tar.xz", "xz", "xz"],
      ["--zstd", ".tar.zst", "zstd", "zstd"],
    ] as const
  ) {
    it(`tryUnpack() extracts a ${ext} archive, keeping whiteout files as files`, {
      skip: has(prog) ? false : `${prog} not installed`,
    }, async () => {
      const archive = packWithTar(flag, ext);
      assert.equal(await detectArchive(archive), kind);
      const dest = path.join(newDir(), "into");
      assert.equal(await tryUnpack(archive, dest), true);
      assert.equal(fs.readFileSync(path.join(dest, "top/sub/f.txt"), "utf8"), "content");
      assert.ok(fs.statSync(path.join(dest, "top/.wh.deleted")).isFile());
    });
  }

  it("tryUnpack() leaves a gzip file that is not a tar alone", async () => {
    const dir = newDir();
    const f = path.join(dir, "data.gz");
    fs.writeFileSync(f, zlib.gzipSync(Buffer.from("just text, not a tar archive")));
    assert.equal(await detectArchive(f), undefined);
    const dest = path.join(dir, "out");
    assert.equal(await tryUnpack(f, dest), false);
    assert.equal(fs.existsSync(dest), false);
  });

  it("tryUnpack() keeps modes, mtimes, hardlinks and symlinks from the headers", async () => {
    const dir = newDir();
    const f = path.join(dir, "a.tar");
    fs.writeFileSync(
      f,
      await tarBytes([
        { header: { name: "d/", type: "directory", mode: 0o750, mtime: 1_000_000 } },
        file("d/x", "x", { mode: 0o711, mtime: 2_000_000 }),
        // Real archivers repeat the file's mode on its hardlink entries (chmod applies to the inode).
        { header: { name: "d/hx", type: "link", linkname: "d/x", mode: 0o711, mtime: 2_000_000 } },
        { header: { name: "d/sx", type: "symlink", linkname: "x" } },
        { header: { name: "implied/deep/f", type: "file", size: 0 } },
      ]),
    );
    const dest = path.join(dir, "out");
    assert.ok(await tryUnpack(f, dest));
    const st = (p: string) => fs.lstatSync(path.join(dest, p));
    assert.equal(st("d").mode & 0o777, 0o750);
    assert.equal(st("d").mtimeMs, 1_000_000_000);
    assert.equal(st("d/x").mode & 0o777, 0o711);
    assert.equal(st("d/x").mtimeMs, 2_000_000_000);
    assert.equal(st("d/hx").ino, st("d/x").ino);
    assert.equal(fs.readlinkSync(path.join(dest, "d/sx")), "x");
    assert.equal(st("implied").mode & 0o777, 0o755);
  });

  it(
    "tryUnpack() applies a chown to every entry",
    { skip: isRoot ? false : "needs root" },
    async () => {
      const dir = newDir();
      const f = path.join(dir, "a.tar");
      fs.writeFileSync(
        f,
        await tarBytes([file("a", "a", { uid: 5, gid: 6 }), file("b", "b", { uid: 7, gid: 8 })]),
      );
      const d1 = path.join(dir, "o1");
      await tryUnpack(f, d1);
      assert.deepEqual(
        [fs.lstatSync(path.join(d1, "a")).uid, fs.lstatSync(path.join(d1, "b")).gid],
        [5, 8],
      );
      const d2 = path.join(dir, "o2");
      await tryUnpack(f, d2, { owner: { uid: 100, gid: 200 } });
      for (const p of ["a", "b"]) {
        const s = fs.lstatSync(path.join(d2, p));
        assert.deepEqual([s.uid, s.gid], [100, 200]);
      }
    },
  );

  it("tryUnpack() refuses entries that climb out of the destination", async () => {
    const dir = newDir();
    const f = path.join(dir, "evil.tar");
    fs.writeFileSync(f, await tarBytes([file("../../escaped", "bad")]));
    await assert.rejects(tryUnpack(f, path.join(dir, "out")), /outside extraction root/);
    assert.equal(fs.existsSync(path.join(dir, "escaped")), false);
    assert.equal(fs.existsSync(path.join(base, "escaped")), false);
  });

  it("tryUnpack() writes through an archive symlink only inside the destination", async () => {
    const dir = newDir();
    const outside = newDir();
    const f = path.join(dir, "evil.tar");
    fs.writeFileSync(
      f,
      await tarBytes([
        { header: { name: "abs", type: "symlink", linkname: outside } },
        file("abs/pwned", "bad"),
      ]),
    );
    const dest = path.join(dir, "out");
    await tryUnpack(f, dest);
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.equal(fs.readFileSync(path.join(dest, outside, "pwned"), "utf8"), "bad");
    const g = path.join(dir, "evil2.tar");
    fs.writeFileSync(
      g,
      await tarBytes([{ header: { name: "a/up", type: "symlink", linkname: "../../x" } }]),
    );
    await assert.rejects(tryUnpack(g, path.join(dir, "out2")), /outside extraction root/);
  });

  it("tryUnpack() replaces an existing file but merges into an existing directory", async () => {
    const dir = newDir();
    const dest = path.join(dir, "out");
    fs.mkdirSync(path.join(dest, "keep"), { recursive: true });
    fs.writeFileSync(path.join(dest, "keep/old"), "old");
    fs.writeFileSync(path.join(dest, "f"), "old");
    // A hardlink elsewhere (as a snapshot clone would share it) must keep the old content.
    fs.linkSync(path.join(dest, "f"), path.join(dir, "shared"));
    const f = path.join(dir, "a.tar");
    fs.writeFileSync(
      f,
      await tarBytes([{ header: { name: "keep/", type: "directory" } }, file("f", "new")]),
    );
    await tryUnpack(f, dest);
    assert.equal(fs.readFileSync(path.join(dest, "keep/old"), "utf8"), "old");
    assert.equal(fs.readFileSync(path.join(dest, "f"), "utf8"), "new");
    assert.equal(fs.readFileSync(path.join(dir, "shared"), "utf8"), "old");
  });
});
