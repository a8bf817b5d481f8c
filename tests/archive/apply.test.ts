// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { applyLayer, UnsafeLayerError } from "../../src/archive/apply.ts";
import { compressChunks, type Compression, zstdAvailable } from "../../src/archive/compression.ts";
import { diffTrees } from "../../src/archive/diff.ts";
import { writeLayer, writeLayerFromTree } from "../../src/archive/layer.ts";
import type { TarHeader } from "../../src/archive/tar_header.ts";
import { createTarStream, type TarWriterEntry } from "../../src/archive/tar_writer.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "apply-test-"));
  roots.push(d);
  return d;
}

const IS_ROOT = process.getuid?.() === 0;
const NO_ZSTD = zstdAvailable() ? false : "this runtime's node:zlib has no zstd";

/** One line per entry: path, type, mode, owner, size, link target or content hash, mtime. */
function listing(root: string, options: { mtimes?: boolean } = {}): string[] {
  const out: string[] = [];
  const inodes = new Map<string, string>();
  const visit = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const r = rel === "" ? name : `${rel}/${name}`;
      const st = fs.lstatSync(p);
      let kind = "?";
      let extra = "";
      if (st.isDirectory()) kind = "dir";
      else if (st.isSymbolicLink()) {
        kind = "symlink";
        extra = fs.readlinkSync(p);
      } else if (st.isFile()) {
        kind = "file";
        extra = createHash("sha256").update(fs.readFileSync(p)).digest("hex").slice(0, 16);
        const key = `${st.ino}`;
        if (st.nlink > 1) {
          if (inodes.has(key)) extra += ` =${inodes.get(key)}`;
          else inodes.set(key, r);
        }
      } else if (st.isFIFO()) kind = "fifo";
      else if (st.isCharacterDevice()) kind = `char ${st.rdev}`;
      const mode = st.isSymbolicLink() ? "" : (st.mode & 0o7777).toString(8);
      const mtime = options.mtimes === false ? "" : ` t=${Math.floor(st.mtimeMs / 1000)}`;
      out.push(
        `${r} ${kind} ${mode} ${st.uid}:${st.gid} ${st.isFile() ? st.size : ""} ${extra}${mtime}`,
      );
      if (st.isDirectory()) visit(p, r);
    }
  };
  visit(root, "");
  return out;
}

function setTimes(root: string, sec: number): void {
  const all: string[] = [];
  const visit = (d: string) => {
    for (const n of fs.readdirSync(d)) {
      const p = path.join(d, n);
      all.push(p);
      if (fs.lstatSync(p).isDirectory()) visit(p);
    }
  };
  visit(root);
  for (const p of all.reverse()) fs.lutimesSync(p, sec, sec);
}

/** A tree with every kind of entry. */
function richTree(root: string): void {
  fs.mkdirSync(path.join(root, "usr/bin"), { recursive: true });
  fs.mkdirSync(path.join(root, "usr/share/empty"), { recursive: true });
  fs.writeFileSync(path.join(root, "usr/bin/app"), "binary\0data".repeat(1000));
  fs.chmodSync(path.join(root, "usr/bin/app"), 0o4755);
  fs.linkSync(path.join(root, "usr/bin/app"), path.join(root, "usr/bin/app2"));
  fs.symlinkSync("app", path.join(root, "usr/bin/link"));
  fs.symlinkSync("/does/not/exist", path.join(root, "dangling"));
  fs.writeFileSync(path.join(root, "empty"), "");
  fs.writeFileSync(path.join(root, "big"), new Uint8Array(3 * 1024 * 1024 + 3).fill(42));
  fs.writeFileSync(path.join(root, "caf\u00e9 \u{1f600}.txt"), "unicode");
  const long = "a-rather-long-directory-name/".repeat(6);
  fs.mkdirSync(path.join(root, long), { recursive: true });
  fs.writeFileSync(path.join(root, long, "x".repeat(120)), "long");
  fs.mkdirSync(path.join(root, "ro"));
  fs.writeFileSync(path.join(root, "ro/file"), "r");
  fs.chmodSync(path.join(root, "ro"), 0o555);
  assert.equal(spawnSync("mkfifo", [path.join(root, "fifo")]).status, 0);
  if (IS_ROOT) {
    fs.chownSync(path.join(root, "usr/share"), 1234, 5678);
    assert.equal(spawnSync("mknod", [path.join(root, "null"), "c", "1", "3"]).status, 0);
  }
  setTimes(root, 1_650_000_000);
}

function stream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
}

async function layerBytes(
  dir: string,
  compression: Compression = "gzip",
): Promise<{ bytes: Uint8Array; diffId: string }> {
  const parts: Uint8Array[] = [];
  const r = await writeLayerFromTree(dir, {
    compression,
    sink: { write: (c) => void parts.push(c.slice()) },
  });
  return {
    bytes: await new Response(new Blob(parts as Uint8Array<ArrayBuffer>[])).bytes(),
    diffId: r.diffId,
  };
}

async function tarOf(entries: TarWriterEntry[]): Promise<Uint8Array> {
  return new Uint8Array(await new Response(createTarStream(entries)).arrayBuffer());
}

const enc = new TextEncoder();
function file(name: string, content: string, extra: Partial<TarHeader> = {}): TarWriterEntry {
  const body = enc.encode(content);
  return { header: { name, type: "file", size: body.length, mode: 0o644, ...extra }, body };
}
function dir(name: string, extra: Partial<TarHeader> = {}): TarWriterEntry {
  return { header: { name, type: "directory", mode: 0o755, ...extra } };
}

describe("applyLayer() round trip", () => {
  for (const compression of ["gzip", "zstd", "none"] as const) {
    it(`applyLayer() reproduces the tree a ${compression} layer was written from`, {
      skip: compression === "zstd" ? NO_ZSTD : false,
    }, async () => {
      const src = tmp();
      richTree(src);
      const { bytes, diffId } = await layerBytes(src, compression);
      const dst = tmp();
      const res = await applyLayer(stream(bytes), dst);
      assert.equal(res.diffId, diffId);
      assert.equal(res.compression, compression);
      assert.deepEqual(res.warnings, []);
      assert.deepEqual(listing(dst), listing(src));
    });
  }

  it("applyLayer() applies the changes between two trees onto the lower tree", async () => {
    const low = tmp();
    richTree(low);
    fs.chmodSync(path.join(low, "ro"), 0o755);
    const upper = path.join(tmp(), "upper");
    assert.equal(spawnSync("cp", ["-al", low, upper]).status, 0);
    fs.rmSync(path.join(upper, "usr/share"), { recursive: true }); // deep delete
    fs.rmSync(path.join(upper, "empty"));
    fs.rmSync(path.join(upper, "big")); // replaced: a directory now
    fs.mkdirSync(path.join(upper, "big"));
    fs.writeFileSync(path.join(upper, "big/inner"), "in");
    fs.rmSync(path.join(upper, "usr/bin/link"));
    fs.symlinkSync("app2", path.join(upper, "usr/bin/link"));
    fs.writeFileSync(path.join(upper, "usr/new"), "new");
    const changes = diffTrees(low, upper);
    const parts: Uint8Array[] = [];
    const written = await writeLayer(changes, upper, {
      sink: { write: (c) => void parts.push(c.slice()) },
    });
    // Apply onto a copy of the lower tree (a hardlink clone, as the snapshot store makes).
    const target = path.join(tmp(), "target");
    assert.equal(spawnSync("cp", ["-al", low, target]).status, 0);
    const res = await applyLayer(
      stream(await new Response(new Blob(parts as Uint8Array<ArrayBuffer>[])).bytes()),
      target,
    );
    assert.equal(res.diffId, written.diffId);
    assert.deepEqual(listing(target, { mtimes: false }), listing(upper, { mtimes: false }));
  });

  it("applyLayer() replaces a file by a new inode, leaving other hardlinks to it intact", async () => {
    const target = tmp();
    fs.writeFileSync(path.join(target, "shared"), "old");
    const elsewhere = path.join(tmp(), "snapshot-copy");
    fs.linkSync(path.join(target, "shared"), elsewhere);
    const tar = await tarOf([file("shared", "new content")]);
    await applyLayer(stream(tar), target);
    assert.equal(fs.readFileSync(path.join(target, "shared"), "utf8"), "new content");
    assert.equal(fs.readFileSync(elsewhere, "utf8"), "old");
  });

  it("applyLayer() applies a layer written by GNU tar", async (t) => {
    if (spawnSync("tar", ["--version"]).error) return t.skip("GNU tar is not installed");
    const src = tmp();
    richTree(src);
    const out = path.join(tmp(), "gnu.tar.gz");
    const r = spawnSync("tar", ["--numeric-owner", "-C", src, "-czf", out, "."]);
    assert.equal(r.status, 0, String(r.stderr));
    const dst = tmp();
    fs.chmodSync(dst, 0o700);
    const res = await applyLayer(stream(new Uint8Array(fs.readFileSync(out))), dst);
    assert.deepEqual(res.warnings, []);
    assert.equal(res.compression, "gzip");
    assert.deepEqual(listing(dst), listing(src));
    assert.equal(fs.statSync(dst).mode & 0o777, fs.statSync(src).mode & 0o777, "./ sets the root");
  });

  it("applyLayer() honours an explicit compression and rejects a wrong one", async () => {
    const src = tmp();
    fs.writeFileSync(path.join(src, "f"), "x");
    const { bytes } = await layerBytes(src, "gzip");
    const ok = await applyLayer(stream(bytes), tmp(), { compression: "gzip" });
    assert.equal(ok.compression, "gzip");
    await assert.rejects(applyLayer(stream(bytes), tmp(), { compression: "none" }));
  });

  it("applyLayer() skips device nodes with a warning when unprivileged", async () => {
    const tar = await tarOf([
      { header: { name: "dev/", type: "directory", mode: 0o755 } },
      { header: { name: "dev/null", type: "char", mode: 0o666, devmajor: 1, devminor: 3 } },
      file("dev/ok", "x"),
    ]);
    const dst = tmp();
    const res = await applyLayer(stream(tar), dst, { privileged: false });
    assert.equal(fs.existsSync(path.join(dst, "dev/null")), false);
    assert.equal(fs.readFileSync(path.join(dst, "dev/ok"), "utf8"), "x");
    assert.deepEqual(res.warnings, ["skipped char device dev/null: not privileged"]);
  });
});

describe("applyLayer() whiteouts", () => {
  it("applyLayer() deletes the paths named by whiteouts, including whole directories", async () => {
    const dst = tmp();
    fs.mkdirSync(path.join(dst, "etc/conf.d"), { recursive: true });
    fs.writeFileSync(path.join(dst, "etc/conf.d/a"), "a");
    fs.writeFileSync(path.join(dst, "etc/keep"), "k");
    fs.mkdirSync(path.join(dst, "var/lib/deep/er"), { recursive: true });
    const tar = await tarOf([
      dir("etc/"),
      file("etc/conf.d/.wh.a", "", { mode: 0 }),
      dir("var/"),
      file("var/.wh.lib", "", { mode: 0 }),
      file("var/.wh.never-existed", "", { mode: 0 }),
    ]);
    await applyLayer(stream(tar), dst);
    assert.equal(fs.existsSync(path.join(dst, "etc/conf.d/a")), false);
    assert.equal(fs.existsSync(path.join(dst, "etc/conf.d/.wh.a")), false);
    assert.equal(fs.existsSync(path.join(dst, "var/lib")), false);
    assert.equal(fs.readFileSync(path.join(dst, "etc/keep"), "utf8"), "k");
  });

  it("applyLayer() clears an opaque directory's existing children but keeps the layer's own", async () => {
    const dst = tmp();
    fs.mkdirSync(path.join(dst, "cache/sub"), { recursive: true });
    fs.writeFileSync(path.join(dst, "cache/old"), "o");
    fs.writeFileSync(path.join(dst, "cache/sub/old2"), "o");
    fs.writeFileSync(path.join(dst, "outside"), "stays");
    const tar = await tarOf([
      dir("cache/"),
      file("cache/+early", "written before the marker"),
      file("cache/.wh..wh..opq", "", { mode: 0 }),
      file("cache/new", "n"),
    ]);
    await applyLayer(stream(tar), dst);
    assert.deepEqual(fs.readdirSync(path.join(dst, "cache")).sort(), ["+early", "new"]);
    assert.equal(fs.readFileSync(path.join(dst, "outside"), "utf8"), "stays");
  });
});

describe("applyLayer() refuses entries that escape the root", () => {
  const outsideName = () => `escape-${process.pid}-${Math.random().toString(36).slice(2)}`;

  it("applyLayer() rejects a name that climbs out with ..", async () => {
    const parent = tmp();
    const dst = path.join(parent, "root");
    fs.mkdirSync(dst);
    const name = outsideName();
    const tar = await tarOf([file(`../${name}`, "pwned")]);
    await assert.rejects(applyLayer(stream(tar), dst), UnsafeLayerError);
    assert.equal(fs.existsSync(path.join(parent, name)), false);
    const tar2 = await tarOf([file(`a/../../${name}`, "pwned")]);
    await assert.rejects(applyLayer(stream(tar2), dst), UnsafeLayerError);
    assert.equal(fs.existsSync(path.join(parent, name)), false);
  });

  it("applyLayer() writes an absolute name inside the root", async () => {
    const dst = tmp();
    const name = outsideName();
    const tar = await tarOf([file(`/tmp/${name}`, "inside")]);
    await applyLayer(stream(tar), dst);
    assert.equal(fs.readFileSync(path.join(dst, "tmp", name), "utf8"), "inside");
    assert.equal(fs.existsSync(path.join("/tmp", name)), false);
  });

  it("applyLayer() rejects a file written through a symlink that points above the root", async () => {
    const parent = tmp();
    const dst = path.join(parent, "root");
    fs.mkdirSync(dst);
    fs.mkdirSync(path.join(parent, "victim"));
    const tar = await tarOf([
      { header: { name: "evil", type: "symlink", linkname: "../victim" } },
      file("evil/owned", "pwned"),
    ]);
    await assert.rejects(applyLayer(stream(tar), dst), UnsafeLayerError);
    assert.deepEqual(fs.readdirSync(path.join(parent, "victim")), []);
  });

  it("applyLayer() resolves an absolute symlink in a parent inside the root", async () => {
    const dst = tmp();
    const name = outsideName();
    const tar = await tarOf([
      { header: { name: "evil", type: "symlink", linkname: "/tmp" } },
      file(`evil/${name}`, "contained"),
    ]);
    await applyLayer(stream(tar), dst);
    assert.equal(fs.existsSync(path.join("/tmp", name)), false, "nothing written to the host /tmp");
    assert.equal(fs.readFileSync(path.join(dst, "tmp", name), "utf8"), "contained");
    assert.equal(fs.readlinkSync(path.join(dst, "evil")), "/tmp");
  });

  it("applyLayer() replaces a symlink at the entry's own path instead of writing through it", async () => {
    const parent = tmp();
    const dst = path.join(parent, "root");
    fs.mkdirSync(dst);
    fs.writeFileSync(path.join(parent, "target"), "original");
    fs.symlinkSync(path.join(parent, "target"), path.join(dst, "f"));
    await applyLayer(stream(await tarOf([file("f", "layer")])), dst);
    assert.equal(fs.readFileSync(path.join(parent, "target"), "utf8"), "original");
    assert.equal(fs.lstatSync(path.join(dst, "f")).isFile(), true);
  });

  it("applyLayer() refuses hardlinks to files outside the root", async () => {
    const dst = tmp();
    const abs = await tarOf([{
      header: { name: "passwd", type: "link", linkname: "/etc/passwd" },
    }]);
    await assert.rejects(applyLayer(stream(abs), dst), /does not exist/);
    assert.equal(fs.existsSync(path.join(dst, "passwd")), false);
    const rel = await tarOf([
      { header: { name: "passwd", type: "link", linkname: "../../../../../../etc/passwd" } },
    ]);
    await assert.rejects(applyLayer(stream(rel), dst), UnsafeLayerError);
    const viaLink = await tarOf([
      { header: { name: "up", type: "symlink", linkname: "../../../../../.." } },
      { header: { name: "passwd", type: "link", linkname: "up/etc/passwd" } },
    ]);
    await assert.rejects(applyLayer(stream(viaLink), tmp()), UnsafeLayerError);
  });

  it("applyLayer() rejects a whiteout whose path climbs out of the root", async () => {
    const parent = tmp();
    const dst = path.join(parent, "root");
    fs.mkdirSync(dst);
    fs.writeFileSync(path.join(parent, "precious"), "p");
    const tar = await tarOf([file("../.wh.precious", "", { mode: 0 })]);
    await assert.rejects(applyLayer(stream(tar), dst), UnsafeLayerError);
    assert.equal(fs.readFileSync(path.join(parent, "precious"), "utf8"), "p");
  });
});

describe("applyLayer() compression detection", () => {
  it("applyLayer() detects zstd by its magic bytes", { skip: NO_ZSTD }, async () => {
    const tar = await tarOf([file("z", "zstd!")]);
    const parts: Uint8Array[] = [];
    for await (const c of compressChunks([tar], "zstd")) parts.push(c);
    const dst = tmp();
    const res = await applyLayer(
      stream(await new Response(new Blob(parts as Uint8Array<ArrayBuffer>[])).bytes()),
      dst,
    );
    assert.equal(res.compression, "zstd");
    assert.equal(fs.readFileSync(path.join(dst, "z"), "utf8"), "zstd!");
    assert.equal(res.diffId, "sha256:" + createHash("sha256").update(tar).digest("hex"));
  });

  it("applyLayer() refuses bzip2 and xz layers", async () => {
    await assert.rejects(applyLayer(stream(enc.encode("BZh91AY&SY")), tmp()), /bzip2/);
  });
});
