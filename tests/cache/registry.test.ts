// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CACHE_CONFIG_MEDIA_TYPE,
  CacheError,
  exportCache,
  importCache,
  inlineCacheValue,
  layeredResultCache,
  lazyContentStore,
} from "../../src/cache/mod.ts";
import { RegistryClient } from "../../src/registry/mod.ts";
import type { Digest } from "../../src/oci/mod.ts";
import { type CacheResult, MemoryContentStore } from "../../src/store/mod.ts";
import { registryUnavailable, startRegistry, type TestRegistry } from "../registry/_registry.ts";
import { CountingStore, key, makeLayer, sampleBuild } from "./_helpers.ts";
import { createHash } from "node:crypto";

const unavailable = registryUnavailable();

/** A client whose requests are counted. */
function countingClient(host: string): { client: RegistryClient; requests: string[] } {
  const requests: string[] = [];
  const client = new RegistryClient(host, {
    fetch: (input, init) => {
      requests.push(`${init?.method ?? "GET"} ${String(input)}`);
      return fetch(input, init);
    },
  });
  return { client, requests };
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

describe("registry cache against docker-registry", { skip: unavailable }, () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  it("exportCache() pushes an image manifest with the cache config and importCache() reads it back", async () => {
    const store = new MemoryContentStore();
    const { records } = await sampleBuild(store);
    const ref = `${reg.host}/cache/app:buildcache`;
    const out = await exportCache(records, { type: "registry", ref, mode: "max" }, {
      store,
      client: new RegistryClient(reg.host),
    });
    assert.equal(out.blobs, 4);
    const client = new RegistryClient(reg.host);
    const m = await client.getManifest("cache/app", "buildcache");
    assert.equal(m.descriptor.digest, out.manifestDigest);
    const manifest = JSON.parse(new TextDecoder().decode(m.bytes));
    assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(manifest.config.mediaType, CACHE_CONFIG_MEDIA_TYPE);

    const remote = await importCache({ type: "registry", ref }, {
      store: new MemoryContentStore(),
      client,
    });
    for (const r of records) {
      const want: CacheResult = { layers: r.result.layers };
      if (r.result.meta) want.meta = r.result.meta;
      assert.deepEqual(remote.lookup(r.key), want);
    }
  });

  it("a cache round trip through the registry gives every key on an empty store and fetches only asked blobs", async () => {
    const store = new MemoryContentStore();
    const { records, layers } = await sampleBuild(store);
    const ref = `${reg.host}/cache/round:trip`;
    await exportCache(records, { type: "registry", ref, mode: "min", imageManifest: false }, {
      store,
      client: new RegistryClient(reg.host),
    });
    const { client, requests } = countingClient(reg.host);
    const local = new CountingStore();
    const remote = await importCache({ type: "registry", ref }, { store: local, client });
    const afterImport = requests.length;
    assert.ok(afterImport > 0);
    const results = layeredResultCache(
      { load: () => Promise.resolve(undefined), save: () => Promise.resolve() },
      [remote],
    );
    for (const k of [key("base"), key("step1"), key("step2")]) {
      assert.ok(await results.load(k, new AbortController().signal), k);
    }
    assert.equal(await results.load(key("other"), new AbortController().signal), undefined);
    assert.equal(requests.length, afterImport, "lookups touch no network");
    assert.equal(local.ingested.length, 0);

    const lazy = lazyContentStore(local, [remote]);
    const bytes = await lazy.readBytes(layers[2]!.digest);
    assert.deepEqual(bytes, await store.readBytes(layers[2]!.digest));
    assert.ok(requests.slice(afterImport).some((r) => r.includes(`/blobs/${layers[2]!.digest}`)));
    assert.deepEqual(local.ingested, [layers[2]!.digest]);
  });

  it("exportCache() streams blobs larger than BuildKit's 1 MiB manifest limit", async () => {
    const store = new MemoryContentStore();
    const big = await makeLayer(store, 3 * 1024 * 1024 + 17);
    const ref = `${reg.host}/cache/big:latest`;
    await exportCache([{ key: key("big"), result: { layers: [big] }, final: true }], {
      type: "registry",
      ref,
    }, { store, client: new RegistryClient(reg.host) });
    const local = new MemoryContentStore();
    const remote = await importCache({ type: "registry", ref }, {
      store: local,
      client: new RegistryClient(reg.host),
    });
    await remote.fetchBlob(big.digest);
    assert.equal(await local.size(big.digest), big.size);
  });

  it("importCache() reads the inline cache of an image pushed with moby.buildkit.cache.v0", async () => {
    const store = new MemoryContentStore();
    const l0 = await makeLayer(store);
    const l1 = await makeLayer(store);
    const records = [
      { key: key("i0"), result: { layers: [l0] }, final: true },
      { key: key("i1"), result: { layers: [l0, l1] }, final: true },
    ];
    const config = {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [l0.diffId, l1.diffId] },
      history: [{ created: l0.created, created_by: "a" }, { created: l1.created, created_by: "b" }],
      "moby.buildkit.cache.v0": inlineCacheValue(records),
    };
    const configBytes = new TextEncoder().encode(JSON.stringify(config));
    const client = new RegistryClient(reg.host);
    const repo = "inline/img";
    for (const l of [l0, l1]) {
      await client.pushBlob(
        repo,
        { digest: l.digest as Digest, size: l.size },
        () => store.get(l.digest),
      );
    }
    const configDesc = {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256(configBytes) as Digest,
      size: configBytes.byteLength,
    };
    await client.pushBlob(repo, configDesc, () => new Blob([configBytes]).stream());
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: configDesc,
      layers: [l0, l1].map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    };
    await client.putManifest(
      repo,
      "v1",
      new TextEncoder().encode(JSON.stringify(manifest)),
      manifest.mediaType,
    );
    const local = new CountingStore();
    const remote = await importCache({ type: "registry", ref: `${reg.host}/${repo}:v1` }, {
      store: local,
      client,
    });
    const hit = remote.lookup(key("i1"));
    assert.deepEqual(hit?.layers.map((l) => [l.digest, l.diffId, l.created]), [
      [l0.digest, l0.diffId, l0.created],
      [l1.digest, l1.diffId, l1.created],
    ]);
    assert.equal(local.ingested.length, 0);
    await remote.fetchBlob(l1.digest);
    assert.deepEqual(local.ingested, [l1.digest]);
  });

  it("importCache() fails with the reference named when the cache does not exist", async () => {
    await assert.rejects(
      importCache({ type: "registry", ref: `${reg.host}/cache/none:latest` }, {
        store: new MemoryContentStore(),
        client: new RegistryClient(reg.host),
      }),
      (e: Error) => e instanceof CacheError && e.message.includes("cache/none"),
    );
  });
});
