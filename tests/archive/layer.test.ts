// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { zstdAvailable } from "../../src/archive/compression.ts";
import { diffTrees, lstatChange } from "../../src/archive/diff.ts";
import { type LayerOptions, writeLayer, writeLayerFromTree } from "../../src/archive/layer.ts";
import { readTar } from "../../src/archive/tar_reader.ts";
import type { TarEntryHeader } from "../../src/archive/tar_header.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "layer-test-"));
  roots.push(d);
  return d;
}

const NO_ZSTD = zstdAvailable() ? false : "this runtime's node:zlib has no zstd";

/** A sink collecting everything, plus the layer result. */
async function layerOf(
  dir: string,
  options: Omit<LayerOptions, "sink"> = {},
): Promise<{ blob: Uint8Array; result: Awaited<ReturnType<typeof writeLayerFromTree>> }> {
  const parts: Uint8Array[] = [];
  const result = await writeLayerFromTree(dir, {
    ...options,
    sink: { write: (c) => void parts.push(c.slice()) },
  });
  return { blob: concat(parts), result };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function sha(b: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(b).digest("hex");
}

async function headers(tar: Uint8Array): Promise<TarEntryHeader[]> {
  const out: TarEntryHeader[] = [];
  const stream = new Blob([tar as Uint8Array<ArrayBuffer>]).stream();
  for await (const e of readTar(stream)) {
    out.push(e.header);
    await e.skip();
  }
  return out;
}

/** A small tree with every kind of entry a layer holds. */
function sampleTree(root: string, mtime = 1_700_000_000): void {
  fs.mkdirSync(path.join(root, "etc/ssl"), { recursive: true });
  fs.writeFileSync(path.join(root, "etc/passwd"), "root:x:0:0\n");
  fs.writeFileSync(path.join(root, "etc/ssl/cert.pem"), "x".repeat(5000));
  fs.chmodSync(path.join(root, "etc/ssl/cert.pem"), 0o600);
  fs.mkdirSync(path.join(root, "bin"));
  fs.writeFileSync(path.join(root, "bin/tool"), "#!/bin/sh\necho hi\n");
  fs.chmodSync(path.join(root, "bin/tool"), 0o4755);
  fs.linkSync(path.join(root, "bin/tool"), path.join(root, "bin/tool-alias"));
  fs.symlinkSync("tool", path.join(root, "bin/sh"));
  fs.writeFileSync(path.join(root, "empty"), "");
  const long = "very-long-directory-name-".repeat(5);
  fs.mkdirSync(path.join(root, long));
  fs.writeFileSync(path.join(root, long, "file-with-a-long-name.txt"), "long");
  for (const p of walk(root).reverse()) fs.lutimesSync(p, mtime, mtime);
}

function walk(root: string): string[] {
  const out: string[] = [root];
  for (const name of fs.readdirSync(root)) {
    const p = path.join(root, name);
    if (fs.lstatSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

describe("writeLayerFromTree()", () => {
  it("writeLayer() marks a directory deleted and added again as opaque", async () => {
    const upper = tmp();
    fs.mkdirSync(path.join(upper, "d/sub"), { recursive: true });
    fs.writeFileSync(path.join(upper, "d/sub/only"), "only");
    const st = (p: string) => lstatChange(path.join(upper, p));
    const changes = [
      { kind: "modify" as const, path: "d", stat: st("d") },
      { kind: "delete" as const, path: "d/sub", stat: st("d/sub") },
      { kind: "add" as const, path: "d/sub", stat: st("d/sub") },
      { kind: "add" as const, path: "d/sub/only", stat: st("d/sub/only") },
    ];
    const parts: Uint8Array[] = [];
    await writeLayer(changes, upper, {
      sink: { write: (c) => void parts.push(c) },
      compression: "none",
    });
    const names = (await headers(concat(parts))).map((h) => h.name);
    assert.deepEqual(names, ["d/", "d/sub/", "d/sub/.wh..wh..opq", "d/sub/only"]);
  });

  it("writeLayerFromTree() gives identical digests on two runs over the same tree", async () => {
    const dir = tmp();
    sampleTree(dir);
    const a = await layerOf(dir);
    const b = await layerOf(dir);
    assert.equal(a.result.digest, b.result.digest);
    assert.equal(a.result.diffId, b.result.diffId);
    assert.equal(sha(a.blob), sha(b.blob));
  });

  it("writeLayerFromTree() reports the digest, diffID, sizes and media type of what it wrote", async () => {
    const dir = tmp();
    sampleTree(dir);
    const { blob, result } = await layerOf(dir);
    const tar = new Uint8Array(zlib.gunzipSync(blob));
    assert.equal(result.digest, sha(blob));
    assert.equal(result.size, blob.length);
    assert.equal(result.diffId, sha(tar));
    assert.equal(result.uncompressedSize, tar.length);
    assert.equal(result.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
    assert.deepEqual([...blob.subarray(4, 10)], [0, 0, 0, 0, 0, 255], "gzip mtime 0, OS 255");
  });

  it("writeLayerFromTree() writes normalized headers in layer order", async () => {
    const dir = tmp();
    sampleTree(dir);
    const { blob } = await layerOf(dir, { compression: "none" });
    const hs = await headers(blob);
    const long = "very-long-directory-name-".repeat(5);
    assert.deepEqual(hs.map((h) => h.name), [
      "bin/",
      "bin/sh",
      "bin/tool",
      "bin/tool-alias",
      "empty",
      "etc/",
      "etc/passwd",
      "etc/ssl/",
      "etc/ssl/cert.pem",
      `${long}/`,
      `${long}/file-with-a-long-name.txt`,
    ]);
    const byName = new Map(hs.map((h) => [h.name, h]));
    assert.equal(byName.get("bin/sh")!.type, "symlink");
    assert.equal(byName.get("bin/sh")!.linkname, "tool");
    assert.equal(byName.get("bin/tool")!.mode, 0o4755);
    assert.equal(byName.get("bin/tool-alias")!.type, "link");
    assert.equal(byName.get("bin/tool-alias")!.linkname, "bin/tool");
    assert.equal(byName.get("etc/ssl/cert.pem")!.mode, 0o600);
    assert.equal(byName.get("etc/ssl/cert.pem")!.size, 5000);
    for (const h of hs) {
      assert.equal(h.uname, "");
      assert.equal(h.gname, "");
      assert.equal(h.mtime, 1_700_000_000);
      assert.equal(h.paxRecords["atime"], undefined);
      assert.equal(h.paxRecords["ctime"], undefined);
    }
    // PAX only for the name USTAR cannot hold (its 100+155 split needs a short final part).
    const pax = hs.filter((h) => h.format === "pax").map((h) => h.name);
    assert.ok(pax.every((n) => n.startsWith(long)), `unexpected PAX entries: ${pax}`);
  });

  it("writeLayerFromTree() with rewriteTimestamp gives one digest for trees that differ only in later mtimes", async () => {
    const epoch = 1_600_000_000;
    const a = tmp();
    const b = tmp();
    sampleTree(a, 1_700_000_000);
    sampleTree(b, 1_750_000_000);
    const opts = { sourceDateEpoch: epoch, rewriteTimestamp: true };
    const la = await layerOf(a, opts);
    const lb = await layerOf(b, opts);
    assert.equal(la.result.digest, lb.result.digest);
    const plainA = await layerOf(a);
    const plainB = await layerOf(b);
    assert.notEqual(plainA.result.digest, plainB.result.digest, "without the rewrite they differ");
  });

  it("writeLayerFromTree() clamps only mtimes later than the epoch", async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "old"), "o");
    fs.writeFileSync(path.join(dir, "new"), "n");
    fs.utimesSync(path.join(dir, "old"), 1_000_000_000, 1_000_000_000);
    fs.utimesSync(path.join(dir, "new"), 1_900_000_000, 1_900_000_000);
    const { blob } = await layerOf(dir, {
      compression: "none",
      sourceDateEpoch: 1_500_000_000,
      rewriteTimestamp: true,
    });
    const m = new Map((await headers(blob)).map((h) => [h.name, h.mtime]));
    assert.equal(m.get("old"), 1_000_000_000);
    assert.equal(m.get("new"), 1_500_000_000);
  });

  it("writeLayerFromTree() gzip layers are listed by tar -tzvf", async (t) => {
    if (spawnSync("tar", ["--version"]).error) return t.skip("GNU tar is not installed");
    const dir = tmp();
    sampleTree(dir);
    const { blob } = await layerOf(dir);
    const file = path.join(tmp(), "layer.tar.gz");
    fs.writeFileSync(file, blob);
    const r = spawnSync("tar", ["-tzvf", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^-rwsr-xr-x 0\/0 +\d+ \S+ \S+ bin\/tool$/m);
    assert.match(r.stdout, /^hrwsr-xr-x 0\/0 +0 \S+ \S+ bin\/tool-alias link to bin\/tool$/m);
    assert.match(r.stdout, /^lrwxrwxrwx 0\/0 +0 \S+ \S+ bin\/sh -> tool$/m);
    assert.match(r.stdout, /very-long-directory-name-.*\/file-with-a-long-name\.txt$/m);
    assert.equal(r.stderr, "");
  });

  it("writeLayerFromTree() zstd layers decompress with the zstd CLI to the diffID", {
    skip: NO_ZSTD,
  }, async (t) => {
    const dir = tmp();
    sampleTree(dir);
    const { blob, result } = await layerOf(dir, { compression: "zstd", level: 3 });
    assert.equal(result.mediaType, "application/vnd.oci.image.layer.v1.tar+zstd");
    assert.deepEqual([...blob.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    const r = spawnSync("zstd", ["-dc"], { input: blob, maxBuffer: 1 << 26 });
    if (r.error) return t.skip("the zstd CLI is not installed");
    assert.equal(sha(new Uint8Array(r.stdout)), result.diffId);
  });

  it("writeLayerFromTree() with compression none writes the tar itself", async () => {
    const dir = tmp();
    sampleTree(dir);
    const { blob, result } = await layerOf(dir, { compression: "none" });
    assert.equal(result.mediaType, "application/vnd.oci.image.layer.v1.tar");
    assert.equal(result.digest, result.diffId);
    assert.equal(result.size, result.uncompressedSize);
    assert.equal(blob.length % 512, 0);
  });

  it("writeLayerFromTree() waits for each sink write before producing more", async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "big"), new Uint8Array(4 * 1024 * 1024).fill(1));
    let inFlight = 0;
    let maxInFlight = 0;
    let writes = 0;
    await writeLayerFromTree(dir, {
      compression: "none",
      sink: {
        write: async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          writes++;
          await new Promise((r) => setTimeout(r, 1));
          inFlight--;
        },
      },
    });
    assert.ok(writes > 4, `expected the body in several chunks, got ${writes}`);
    assert.equal(maxInFlight, 1);
  });

  it("writeLayerFromTree() stops when the signal aborts", async () => {
    const dir = tmp();
    sampleTree(dir);
    const ac = new AbortController();
    ac.abort(new Error("stop"));
    await assert.rejects(
      writeLayerFromTree(dir, { sink: { write: () => {} }, signal: ac.signal }),
      /stop/,
    );
  });
});

describe("writeLayer()", () => {
  it("writeLayer() writes whiteouts for deletes, parents of changes, and modified files", async () => {
    const low = tmp();
    fs.mkdirSync(path.join(low, "etc/conf.d"), { recursive: true });
    fs.writeFileSync(path.join(low, "etc/conf.d/a"), "a");
    fs.writeFileSync(path.join(low, "etc/conf.d/b"), "b");
    fs.mkdirSync(path.join(low, "var/cache/apt"), { recursive: true });
    fs.writeFileSync(path.join(low, "var/cache/apt/pkg"), "p");
    for (const p of walk(low).reverse()) fs.lutimesSync(p, 1_000_000, 1_000_000);
    const up = path.join(tmp(), "upper");
    assert.equal(spawnSync("cp", ["-al", low, up]).status, 0);
    fs.rmSync(path.join(up, "etc/conf.d/a"));
    fs.rmSync(path.join(up, "var/cache/apt"), { recursive: true });
    fs.rmSync(path.join(up, "etc/conf.d/b"));
    fs.writeFileSync(path.join(up, "etc/conf.d/b"), "b2");
    // etc/conf.d and var/cache changed (mtime); etc and var did not.
    const changes = diffTrees(low, up);
    const parts: Uint8Array[] = [];
    const res = await writeLayer(changes, up, {
      compression: "none",
      sink: { write: (c) => void parts.push(c.slice()) },
    });
    const hs = await headers(concat(parts));
    assert.deepEqual(hs.map((h) => `${h.name} ${h.type} ${h.mode.toString(8)}`), [
      "etc/ directory 755",
      "etc/conf.d/ directory 755",
      "etc/conf.d/.wh.a file 0",
      "etc/conf.d/b file 644",
      "var/ directory 755",
      "var/cache/ directory 755",
      "var/cache/.wh.apt file 0",
    ]);
    const wh = hs.find((h) => h.name === "etc/conf.d/.wh.a")!;
    assert.equal(wh.size, 0);
    assert.equal(wh.mtime, 0);
    assert.equal(hs.find((h) => h.name === "etc/")!.mtime, 1_000_000, "parent from upper lstat");
    assert.equal(res.diffId, sha(concat(parts)));
  });

  it("writeLayer() writes only the add when a directory became a file", async () => {
    const low = tmp();
    fs.mkdirSync(path.join(low, "x/y"), { recursive: true });
    const up = path.join(tmp(), "upper");
    assert.equal(spawnSync("cp", ["-al", low, up]).status, 0);
    fs.rmSync(path.join(up, "x"), { recursive: true });
    fs.writeFileSync(path.join(up, "x"), "file");
    const changes = diffTrees(low, up);
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`), ["delete x", "add x"]);
    const parts: Uint8Array[] = [];
    await writeLayer(changes, up, {
      compression: "none",
      sink: { write: (c) => void parts.push(c.slice()) },
    });
    const hs = await headers(concat(parts));
    assert.deepEqual(hs.map((h) => `${h.name} ${h.type}`), ["x file"]);
  });

  it("writeLayer() fails when a file changes size while it is being written", async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "f"), "12345");
    const changes = diffTrees(undefined, dir);
    fs.writeFileSync(path.join(dir, "f"), "123");
    await assert.rejects(
      writeLayer(changes, dir, { sink: { write: () => {} } }),
      /changed while it was being written/,
    );
  });
});
