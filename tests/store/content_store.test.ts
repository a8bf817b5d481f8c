// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import {
  BlobNotFoundError,
  DigestMismatchError,
  MemoryContentStore,
  prune,
  SizeMismatchError,
} from "../../src/store/mod.ts";
import { deadPid, DENO, readAll, REPO, streamOf, tempStore } from "./_helpers.ts";

function sha(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

describe("FileContentStore", () => {
  it("ingest() stores a stream under its sha256 and get() reads it back", async () => {
    const store = tempStore();
    const info = await store.content.ingest(streamOf("hello, world"), {
      digest: sha("hello, world"),
      size: 12,
    });
    assert.deepEqual(info, { digest: sha("hello, world"), size: 12 });
    const file = store.content.path(info.digest);
    assert.equal(file, path.join(store.root, "blobs", "sha256", info.digest.slice(7)));
    assert.equal(fs.readFileSync(file, "utf8"), "hello, world");
    assert.equal(
      new TextDecoder().decode(await readAll(store.content.get(info.digest))),
      "hello, world",
    );
    assert.equal(
      new TextDecoder().decode(await store.content.readBytes(info.digest)),
      "hello, world",
    );
    assert.equal(await store.content.has(info.digest), true);
    assert.equal(await store.content.size(info.digest), 12);
    assert.deepEqual(await store.content.list(), [info]);
    assert.deepEqual(fs.readdirSync(store.content.ingestDir), []);
  });

  it("ingest() streams a large blob in many chunks", async () => {
    const store = tempStore();
    const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    const info = await store.content.ingest(streamOf(data, 65536));
    assert.equal(info.digest, sha(data));
    assert.equal(info.size, data.byteLength);
    const back = await readAll(store.content.get(info.digest));
    assert.equal(sha(back), info.digest);
  });

  it("ingest() rejects a digest mismatch naming both digests and keeps nothing", async () => {
    const store = tempStore();
    const wrong = sha("something else");
    await assert.rejects(store.content.ingest(streamOf("payload"), { digest: wrong }), (e) => {
      assert.ok(e instanceof DigestMismatchError);
      assert.match(e.message, new RegExp(wrong));
      assert.match(e.message, new RegExp(sha("payload")));
      return true;
    });
    assert.equal(await store.content.has(wrong), false);
    assert.equal(await store.content.has(sha("payload")), false);
    assert.deepEqual(fs.readdirSync(store.content.blobsDir), []);
    assert.deepEqual(fs.readdirSync(store.content.ingestDir), []);
  });

  it("ingest() rejects a size mismatch", async () => {
    const store = tempStore();
    await assert.rejects(store.content.ingest(streamOf("abc"), { size: 4 }), SizeMismatchError);
    assert.deepEqual(fs.readdirSync(store.content.blobsDir), []);
  });

  it("ingest() of a blob already stored keeps the existing file", async () => {
    const store = tempStore();
    const a = await store.content.ingest(streamOf("same"));
    const ino = fs.statSync(store.content.path(a.digest)).ino;
    const b = await store.content.ingest(streamOf("same"), { digest: a.digest });
    assert.deepEqual(a, b);
    assert.equal(fs.statSync(store.content.path(a.digest)).ino, ino);
    assert.deepEqual(fs.readdirSync(store.content.ingestDir), []);
  });

  it("writer() aborted midway leaves nothing under the digest", async () => {
    const store = tempStore();
    const w = await store.content.writer();
    await w.write(new TextEncoder().encode("first half "));
    assert.equal(fs.readdirSync(store.content.ingestDir).length, 1);
    await w.abort();
    assert.equal(await store.content.has(sha("first half second half")), false);
    assert.deepEqual(fs.readdirSync(store.content.blobsDir), []);
    assert.deepEqual(fs.readdirSync(store.content.ingestDir), []);
    await assert.rejects(w.commit(), /closed/);
  });

  it("writer() commits bytes written in one pass and checks the expected digest", async () => {
    const store = tempStore();
    const w = await store.content.writer();
    await w.write(new TextEncoder().encode("one "));
    await w.write(new TextEncoder().encode("pass"));
    assert.equal(w.written, 8);
    const info = await w.commit({ digest: sha("one pass") });
    assert.equal(info.digest, sha("one pass"));
    const bad = await store.content.writer();
    await bad.write(new TextEncoder().encode("x"));
    await assert.rejects(bad.commit({ digest: sha("y") }), DigestMismatchError);
    assert.deepEqual(fs.readdirSync(store.content.ingestDir), []);
  });

  it("a writer killed with SIGKILL leaves no blob, and prune removes its ingest file", async () => {
    const store = tempStore();
    const res = spawnSync(DENO, [
      "run",
      "-A",
      path.join(REPO, "tests/store/_crash_writer.ts"),
      store.root,
    ], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(res.signal, "SIGKILL", `child did not die by SIGKILL: ${res.stderr}`);
    assert.match(res.stdout, /written/);
    assert.deepEqual(fs.readdirSync(store.content.blobsDir), []);
    assert.equal(fs.readdirSync(store.content.ingestDir).length, 1);
    const result = await prune(store);
    assert.deepEqual(fs.readdirSync(store.content.ingestDir), []);
    assert.equal(result.removed.filter((r) => r.kind === "temp").length, 1);
  });

  it("prune() leaves the ingest file of a live writer alone", async () => {
    const store = tempStore();
    const w = await store.content.writer();
    await w.write(new TextEncoder().encode("in progress"));
    fs.writeFileSync(path.join(store.content.ingestDir, `${deadPid()}-0123abcd`), "orphan");
    await prune(store);
    assert.equal(fs.readdirSync(store.content.ingestDir).length, 1);
    const info = await w.commit();
    assert.equal(await store.content.has(info.digest), true);
  });

  it("get() errors at the end of a corrupted blob, naming its path", async () => {
    const store = tempStore();
    const { digest } = await store.content.ingest(streamOf("precious bytes"));
    const file = store.content.path(digest);
    fs.writeFileSync(file, "tampered bytes");
    await assert.rejects(readAll(store.content.get(digest)), (e) => {
      assert.ok(e instanceof DigestMismatchError);
      assert.ok(e.message.includes(file), e.message);
      assert.equal(e.expected, digest);
      assert.equal(e.actual, sha("tampered bytes"));
      return true;
    });
    await assert.rejects(store.content.readBytes(digest), DigestMismatchError);
  });

  it("get() and readBytes() report a missing blob", async () => {
    const store = tempStore();
    const missing = sha("nope");
    assert.throws(() => store.content.get(missing), BlobNotFoundError);
    await assert.rejects(store.content.readBytes(missing), BlobNotFoundError);
    assert.equal(await store.content.size(missing), undefined);
    assert.equal(await store.content.delete(missing), false);
  });

  it("delete() removes a blob", async () => {
    const store = tempStore();
    const { digest } = await store.content.ingest(streamOf("bye"));
    assert.equal(await store.content.delete(digest), true);
    assert.equal(await store.content.has(digest), false);
  });

  it("path() refuses digests other than sha256", () => {
    const store = tempStore();
    assert.throws(() => store.content.path("md5:abc"), TypeError);
    assert.throws(() => store.content.path("sha256:../../etc/passwd"), TypeError);
  });
});

describe("MemoryContentStore", () => {
  it("MemoryContentStore stores, verifies and detects corruption", async () => {
    const store = new MemoryContentStore();
    const info = await store.ingest(streamOf("memory"), { digest: sha("memory") });
    assert.equal(new TextDecoder().decode(await readAll(store.get(info.digest))), "memory");
    assert.deepEqual(await store.list(), [info]);
    await assert.rejects(store.ingest(streamOf("x"), { digest: sha("y") }), DigestMismatchError);
    store.corrupt(info.digest);
    await assert.rejects(store.readBytes(info.digest), DigestMismatchError);
    await assert.rejects(readAll(store.get(info.digest)), DigestMismatchError);
    const w = await store.writer();
    await w.write(new Uint8Array([1]));
    await w.abort();
    assert.equal((await store.list()).length, 1);
  });
});
