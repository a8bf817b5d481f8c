// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CACHE_CONFIG_MEDIA_TYPE,
  CacheError,
  exportCache,
  importCache,
  layeredResultCache,
  lazyContentStore,
  markFinal,
} from "../../src/cache/mod.ts";
import { BlobNotFoundError, type CacheResult, MemoryContentStore } from "../../src/store/mod.ts";
import type { ResultCache } from "../../src/solver/mod.ts";
import { CountingStore, key, sampleBuild, tempDir } from "./_helpers.ts";

function blobPath(dir: string, digest: string): string {
  return path.join(dir, "blobs", "sha256", digest.slice("sha256:".length));
}

function emptyResults(): ResultCache<CacheResult> & { loads: string[] } {
  const loads: string[] = [];
  return {
    loads,
    load: (k) => {
      loads.push(k);
      return Promise.resolve(undefined);
    },
    save: () => Promise.resolve(),
  };
}

describe("exportCache() to a local directory", () => {
  it("exportCache() writes an OCI layout whose manifest config is a BuildKit cache config", async () => {
    const store = new MemoryContentStore();
    const { records, layers } = await sampleBuild(store);
    const dest = tempDir();
    const out = await exportCache(records, { type: "local", dest, mode: "max" }, { store });
    assert.equal(out.blobs, 4);
    assert.equal(out.records, 5);
    const index = JSON.parse(fs.readFileSync(path.join(dest, "index.json"), "utf8"));
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0].digest, out.manifestDigest);
    assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "latest");
    assert.ok(fs.existsSync(path.join(dest, "oci-layout")));
    const manifest = JSON.parse(fs.readFileSync(blobPath(dest, out.manifestDigest), "utf8"));
    assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(manifest.config.mediaType, CACHE_CONFIG_MEDIA_TYPE);
    assert.deepEqual(
      manifest.layers.map((l: { digest: string }) => l.digest).sort(),
      layers.map((l) => l.digest).sort(),
    );
    const first = manifest.layers.find((l: { digest: string }) => l.digest === layers[0]!.digest);
    assert.equal(first.annotations["containerd.io/uncompressed"], layers[0]!.diffId);
    assert.equal(first.annotations["buildkit/createdat"], layers[0]!.created);
    for (const l of layers) assert.ok(fs.existsSync(blobPath(dest, l.digest)));
  });

  it("exportCache() writes an index of the blobs and the config when image-manifest=false", async () => {
    const store = new MemoryContentStore();
    const { records } = await sampleBuild(store);
    const dest = tempDir();
    const out = await exportCache(records, {
      type: "local",
      dest,
      mode: "max",
      imageManifest: false,
    }, { store });
    const index = JSON.parse(fs.readFileSync(blobPath(dest, out.manifestDigest), "utf8"));
    assert.equal(index.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.equal(index.manifests.at(-1).mediaType, CACHE_CONFIG_MEDIA_TYPE);
    const back = await importCache({ type: "local", src: dest }, {
      store: new MemoryContentStore(),
    });
    assert.equal(back.keys().length, 5);
  });

  it("exportCache() replaces the index entry of the same tag and keeps other tags", async () => {
    const store = new MemoryContentStore();
    const { records } = await sampleBuild(store);
    const dest = tempDir();
    await exportCache(records, { type: "local", dest, mode: "max", tag: "a" }, { store });
    await exportCache(records, { type: "local", dest, mode: "min", tag: "b" }, { store });
    const second = await exportCache(records, { type: "local", dest, tag: "a" }, { store });
    const index = JSON.parse(fs.readFileSync(path.join(dest, "index.json"), "utf8"));
    const tags = index.manifests.map((m: { annotations: Record<string, string> }) =>
      m.annotations["org.opencontainers.image.ref.name"]
    );
    assert.deepEqual(tags.sort(), ["a", "b"]);
    const a = await importCache({ type: "local", src: dest, tag: "a" }, {
      store: new MemoryContentStore(),
    });
    assert.equal(a.keys().length, 3);
    assert.equal(
      index.manifests.find((m: { annotations: Record<string, string> }) =>
        m.annotations["org.opencontainers.image.ref.name"] === "a"
      ).digest,
      second.manifestDigest,
    );
  });

  it("exportCache() leaves out records whose blobs are missing and says so", async () => {
    const store = new MemoryContentStore();
    const { records, layers } = await sampleBuild(store);
    await store.delete(layers[3]!.digest); // the side stage's layer
    const warnings: string[] = [];
    const out = await exportCache(records, { type: "local", dest: tempDir(), mode: "max" }, {
      store,
      onWarning: (m) => warnings.push(m),
    });
    assert.equal(out.records, 4);
    assert.equal(out.skipped, 1);
    assert.match(warnings[0]!, new RegExp(key("other")));
  });
});

describe("importCache() from a local directory", () => {
  it("importCache() round-trips every record's layer chain and meta", async () => {
    const store = new MemoryContentStore();
    const { records } = await sampleBuild(store);
    const dest = tempDir();
    await exportCache(records, { type: "local", dest, mode: "max" }, { store });
    const remote = await importCache({ type: "local", src: dest }, {
      store: new MemoryContentStore(),
    });
    assert.deepEqual(remote.keys().sort(), records.map((r) => r.key).sort());
    for (const r of records) {
      const want: CacheResult = { layers: r.result.layers };
      if (r.result.meta) want.meta = r.result.meta;
      assert.deepEqual(remote.lookup(r.key), want, r.key);
    }
    assert.equal(remote.lookup(key("missing")), undefined);
  });

  it("importCache() downloads nothing until fetchBlob() is called, then exactly what is asked", async () => {
    const store = new MemoryContentStore();
    const { records, layers } = await sampleBuild(store);
    const dest = tempDir();
    await exportCache(records, { type: "local", dest, mode: "max" }, { store });
    const local = new CountingStore();
    const remote = await importCache({ type: "local", src: dest }, { store: local });
    assert.equal(local.ingested.length, 0);
    assert.ok(remote.lookup(key("step2")));
    assert.equal(local.ingested.length, 0);
    await remote.fetchBlob(layers[1]!.digest);
    await remote.fetchBlob(layers[1]!.digest); // present: no second download
    assert.deepEqual(local.ingested, [layers[1]!.digest]);
    assert.equal(remote.fetched, 1);
    assert.deepEqual(
      await local.readBytes(layers[1]!.digest),
      await store.readBytes(layers[1]!.digest),
    );
  });

  it("mode=min keeps only the final chain's records, mode=max keeps all", async () => {
    const store = new MemoryContentStore();
    const { records, layers } = await sampleBuild(store);
    const minDir = tempDir();
    const maxDir = tempDir();
    const min = await exportCache(records, { type: "local", dest: minDir, mode: "min" }, { store });
    const max = await exportCache(records, { type: "local", dest: maxDir, mode: "max" }, { store });
    assert.equal(min.records, 3);
    assert.equal(min.blobs, 3);
    assert.equal(max.records, 5);
    assert.equal(max.blobs, 4);
    assert.ok(!fs.existsSync(blobPath(minDir, layers[3]!.digest)));
    const back = await importCache({ type: "local", src: minDir }, {
      store: new MemoryContentStore(),
    });
    assert.deepEqual(back.keys().sort(), [key("base"), key("step1"), key("step2")].sort());
    assert.equal(back.lookup(key("other")), undefined);
  });

  it("importCache() refuses a corrupted blob and stores nothing under its digest", async () => {
    const store = new MemoryContentStore();
    const { records, layers } = await sampleBuild(store);
    const dest = tempDir();
    await exportCache(records, { type: "local", dest, mode: "max" }, { store });
    const file = blobPath(dest, layers[2]!.digest);
    const bytes = fs.readFileSync(file);
    bytes[10] = bytes[10]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    const local = new MemoryContentStore();
    const remote = await importCache({ type: "local", src: dest }, { store: local });
    await assert.rejects(remote.fetchBlob(layers[2]!.digest), CacheError);
    assert.equal(await local.has(layers[2]!.digest), false);
    const lazy = lazyContentStore(local, [remote]);
    await assert.rejects(lazy.readBytes(layers[2]!.digest));
    assert.equal(await local.has(layers[2]!.digest), false);
  });

  it("importCache() refuses a corrupted cache config", async () => {
    const store = new MemoryContentStore();
    const { records } = await sampleBuild(store);
    const dest = tempDir();
    const out = await exportCache(records, { type: "local", dest, mode: "max" }, { store });
    const manifest = JSON.parse(fs.readFileSync(blobPath(dest, out.manifestDigest), "utf8"));
    const file = blobPath(dest, manifest.config.digest);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("sha256:", "sha256:0"));
    await assert.rejects(
      importCache({ type: "local", src: dest }, { store: new MemoryContentStore() }),
      /Corrupted blob/,
    );
  });

  it("importCache() names the directory when there is no cache", async () => {
    const src = tempDir();
    await assert.rejects(
      importCache({ type: "local", src }, { store: new MemoryContentStore() }),
      (e: Error) => e instanceof CacheError && e.message.includes(src),
    );
  });
});

describe("lazyContentStore() and layeredResultCache()", () => {
  it("layeredResultCache() answers from the remote cache without downloading a blob", async () => {
    const store = new MemoryContentStore();
    const { records, layers } = await sampleBuild(store);
    const dest = tempDir();
    await exportCache(records, { type: "local", dest, mode: "max" }, { store });
    const local = new CountingStore();
    const remote = await importCache({ type: "local", src: dest }, { store: local });
    const localResults = emptyResults();
    const results = layeredResultCache(localResults, [remote]);
    const hit = await results.load(key("step2"), new AbortController().signal);
    assert.deepEqual(hit?.layers.map((l) => l.digest), layers.slice(0, 3).map((l) => l.digest));
    assert.deepEqual(localResults.loads, [key("step2")]);
    assert.equal(local.ingested.length, 0);
    assert.equal(await results.load(key("nope"), new AbortController().signal), undefined);
  });

  it("layeredResultCache() prefers the local hit", async () => {
    const local: ResultCache<CacheResult> = {
      load: () => Promise.resolve({ layers: [], meta: { from: "local" } }),
      save: () => Promise.resolve(),
    };
    const remote = {
      name: "r",
      fetched: 0,
      lookup: () => ({ layers: [], meta: { from: "remote" } }),
      fetchBlob: () => Promise.resolve(),
      has: () => false,
      layer: () => undefined,
      keys: () => [],
    };
    const hit = await layeredResultCache(local, [remote]).load("k", new AbortController().signal);
    assert.deepEqual(hit?.meta, { from: "local" });
  });

  it("lazyContentStore() fetches a missing blob on first read only and serves local blobs as they are", async () => {
    const store = new MemoryContentStore();
    const { records, layers } = await sampleBuild(store);
    const dest = tempDir();
    await exportCache(records, { type: "local", dest, mode: "max" }, { store });
    const local = new CountingStore();
    const remote = await importCache({ type: "local", src: dest }, { store: local });
    const lazy = lazyContentStore(local, [remote]);
    const d = layers[0]!.digest;
    assert.equal(await lazy.has(d), true);
    assert.equal(await local.has(d), false);
    assert.equal(await lazy.size(d), layers[0]!.size);
    const streamed = new Uint8Array(await new Response(lazy.get(d)).arrayBuffer());
    assert.deepEqual(streamed, await store.readBytes(d));
    assert.deepEqual(await lazy.readBytes(d), streamed);
    assert.deepEqual(local.ingested, [d]);
    const unknown = `sha256:${"e".repeat(64)}`;
    assert.equal(await lazy.has(unknown), false);
    assert.throws(() => lazy.get(unknown), BlobNotFoundError);
  });

  it("exportCache() through a lazyContentStore re-exports a cache downloading only missing blobs", async () => {
    const store = new MemoryContentStore();
    const { records } = await sampleBuild(store);
    const first = tempDir();
    const a = await exportCache(records, { type: "local", dest: first, mode: "max" }, { store });
    const local = new CountingStore();
    const remote = await importCache({ type: "local", src: first }, { store: local });
    const lazy = lazyContentStore(local, [remote]);
    const present = remote.lookup(key("base"))!.layers[0]!.digest;
    await remote.fetchBlob(present);
    const again = remote.keys().map((k) => ({ key: k, result: remote.lookup(k)!, final: true }));
    const b = await exportCache(again, { type: "local", dest: tempDir(), mode: "max" }, {
      store: lazy,
    });
    assert.equal(b.manifestDigest, a.manifestDigest);
    assert.equal(local.ingested.length, 4);
    assert.equal(local.ingested.filter((d) => d === present).length, 1);
  });
});

describe("markFinal()", () => {
  it("markFinal() marks the records whose chain is a prefix of the final image", async () => {
    const { records, layers } = await sampleBuild(new MemoryContentStore());
    const marked = markFinal(
      records.map((r) => ({ key: r.key, result: r.result })),
      layers.slice(0, 3),
    );
    assert.deepEqual(
      marked.filter((r) => r.final).map((r) => r.key).sort(),
      [key("base"), key("step1"), key("step2"), key("context")].sort(),
    );
  });
});
