// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  buildCacheConfig,
  buildInlineRecords,
  CacheError,
  exportCache,
  importCache,
  inlineCacheConfig,
  inlineCacheValue,
  parseCacheConfig,
  resolveCacheConfig,
  serializeCacheConfig,
} from "../../src/cache/mod.ts";
import { type LayerRecord, MemoryContentStore } from "../../src/store/mod.ts";
import type { Descriptor, Digest, ImageConfig } from "../../src/oci/mod.ts";
import { CountingStore, key, makeLayer, sampleBuild, tempDir } from "./_helpers.ts";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const GZ = "application/vnd.oci.image.layer.v1.tar+gzip";

function layer(c: string, created?: string): LayerRecord {
  return {
    mediaType: GZ,
    digest: D(c),
    size: 10,
    diffId: `sha256:${"d".repeat(63)}${c}`,
    ...(created ? { created } : {}),
  };
}

function describeAll(b: string) {
  return { mediaType: GZ, digest: b, size: 10 };
}

describe("cache config", () => {
  it("serializeCacheConfig() writes BuildKit's fields: parent -1 for a base, omitted when 0", () => {
    const { config } = buildCacheConfig([
      { key: "k2", result: { layers: [layer("1", "2024-01-01T00:00:00Z"), layer("2")] } },
    ]);
    const json = JSON.parse(serializeCacheConfig(config));
    assert.deepEqual(json.layers[0], {
      blob: D("1"),
      parent: -1,
      annotations: {
        mediaType: GZ,
        diffID: `sha256:${"d".repeat(63)}1`,
        size: 10,
        createdAt: "2024-01-01T00:00:00Z",
      },
    });
    assert.equal("parent" in json.layers[1], false);
    assert.equal(json.layers[1].annotations.createdAt, "0001-01-01T00:00:00Z");
    assert.deepEqual(json.records, [{
      layers: [{ layer: 1, createdAt: "0001-01-01T00:00:00Z" }],
      digest: "k2",
    }]);
  });

  it("buildCacheConfig() shares chain prefixes and gives the same bytes for any record order", () => {
    const recs = [
      { key: "a", result: { layers: [layer("1"), layer("2")] } },
      { key: "b", result: { layers: [layer("1"), layer("3")] } },
      { key: "c", result: { layers: [layer("1")] } },
    ];
    const one = buildCacheConfig(recs);
    const two = buildCacheConfig([...recs].reverse());
    assert.equal(serializeCacheConfig(one.config), serializeCacheConfig(two.config));
    assert.equal(one.config.layers.length, 3);
    assert.deepEqual([...one.blobs.keys()], [D("1"), D("2"), D("3")]);
  });

  it("parseCacheConfig() reads a config written by BuildKit (inputs, missing parent = 0, several results)", () => {
    const text = JSON.stringify({
      layers: [
        {
          blob: D("1"),
          parent: -1,
          annotations: { diffID: D("a"), createdAt: "2024-05-05T00:00:00Z" },
        },
        { blob: D("2"), annotations: { diffID: D("b"), createdAt: "0001-01-01T00:00:00Z" } },
        { blob: D("3"), parent: -1 },
      ],
      records: [
        { digest: "root", layers: [{ layer: 0, createdAt: "2024-05-05T00:00:00Z" }] },
        {
          digest: "child",
          inputs: [[{ selector: "sel", link: 0 }]],
          layers: [{ layer: 2, createdAt: "2024-05-05T00:00:00Z" }, {
            layer: 1,
            createdAt: "2024-05-05T00:00:00Z",
          }],
        },
        { digest: "keyonly", inputs: [[{ link: 0 }]] },
      ],
    });
    const config = parseCacheConfig(text);
    assert.equal(config.layers[1]!.parent, 0);
    assert.deepEqual(config.records[1]!.inputs, [[{ link: 0, selector: "sel" }]]);
    // Blob 3 has no diffID anywhere: its chain is unusable and the next result wins.
    const results = resolveCacheConfig(config, (b) => (b === D("4") ? undefined : describeAll(b)));
    assert.deepEqual(results.get("child")?.layers.map((l) => l.digest), [D("1"), D("2")]);
    assert.equal(results.get("child")?.layers[1]?.created, undefined);
    assert.equal(results.get("root")?.layers[0]?.created, "2024-05-05T00:00:00Z");
    assert.equal(results.has("keyonly"), false);
  });

  it("resolveCacheConfig() leaves out a record whose chain has a blob the cache lacks", () => {
    const { config } = buildCacheConfig([
      { key: "a", result: { layers: [layer("1"), layer("2")] } },
      { key: "b", result: { layers: [layer("1")] } },
    ]);
    const results = resolveCacheConfig(config, (b) => (b === D("2") ? undefined : describeAll(b)));
    assert.deepEqual([...results.keys()], ["b"]);
  });

  it("resolveCacheConfig() rejects a looping chain and an index out of range", () => {
    const loop = parseCacheConfig(JSON.stringify({
      layers: [{ blob: D("1"), parent: 1 }, { blob: D("2") }],
      records: [{ digest: "k", layers: [{ layer: 1 }] }],
    }));
    assert.throws(() => resolveCacheConfig(loop, describeAll), CacheError);
    const range = parseCacheConfig(JSON.stringify({
      layers: [{ blob: D("1"), parent: -1 }],
      records: [{ digest: "k", layers: [{ layer: 5 }] }],
    }));
    assert.throws(() => resolveCacheConfig(range, describeAll), /out of range/);
  });

  it("parseCacheConfig() rejects a config that is not JSON or has a bad blob digest", () => {
    assert.throws(() => parseCacheConfig("{"), /not JSON/);
    assert.throws(
      () => parseCacheConfig(JSON.stringify({ layers: [{ blob: "md5:00", parent: -1 }] })),
      /layers\.0\.blob/,
    );
  });

  it("a cache config larger than BuildKit's 1 MiB import limit round-trips through a local cache", async () => {
    const store = new MemoryContentStore();
    const base = await makeLayer(store, 64);
    const records = Array.from({ length: 9000 }, (_, i) => ({
      key: key(`many-${i}`),
      result: { layers: [base] },
      final: true,
    }));
    const dest = tempDir();
    await exportCache(records, { type: "local", dest }, { store });
    const remote = await importCache({ type: "local", src: dest }, {
      store: new MemoryContentStore(),
    });
    assert.equal(remote.keys().length, 9000);
    const { config } = buildCacheConfig(records);
    assert.ok(serializeCacheConfig(config).length > 1024 * 1024);
  });
});

describe("inline cache", () => {
  it("buildInlineRecords() points prefix chains at their top layer and others at explicit indexes", () => {
    const image = [layer("1"), layer("2"), layer("3")];
    const recs = buildInlineRecords([
      { key: "prefix", result: { layers: [image[0]!, image[1]!] } },
      { key: "skip", result: { layers: [image[0]!, image[2]!] } },
      { key: "foreign", result: { layers: [layer("9")] } },
    ], image);
    assert.deepEqual(recs.map((r) => r.digest), ["prefix", "skip"]);
    assert.deepEqual(recs[0]!.layers?.map((l) => l.layer), [1]);
    assert.deepEqual(recs[1]!.chains?.map((c) => c.layers), [[0, 2]]);
  });

  it("inlineCacheConfig() keeps only the final records", () => {
    const text = new TextDecoder().decode(inlineCacheConfig([
      { key: "f", result: { layers: [layer("1")] }, final: true },
      { key: "n", result: { layers: [layer("1")] } },
    ]));
    assert.deepEqual(JSON.parse(text).map((r: { digest: string }) => r.digest), ["f"]);
  });

  it("importCache() of type inline resolves records against the image's layers already in the store", async () => {
    const store = new CountingStore();
    const { records, layers } = await sampleBuild(store);
    const image = layers.slice(0, 3);
    const config = {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: image.map((l) => l.diffId) },
      history: [
        { created: "2020-01-01T00:00:00Z", created_by: "ENV x", empty_layer: true },
        ...image.map((l) => ({ created: l.created, created_by: "RUN" })),
      ],
      "moby.buildkit.cache.v0": inlineCacheValue(records),
    } as unknown as ImageConfig;
    const descs: Descriptor[] = image.map((l) => ({
      mediaType: l.mediaType,
      digest: l.digest as Digest,
      size: l.size,
    }));
    const before = store.ingested.length;
    const remote = await importCache({ type: "inline", config, layers: descs }, { store });
    assert.deepEqual(remote.keys().sort(), [key("base"), key("step1"), key("step2")].sort());
    const hit = remote.lookup(key("step1"));
    assert.deepEqual(
      hit?.layers.map((l) => [l.digest, l.diffId, l.created]),
      image.slice(0, 2).map((l) => [l.digest, l.diffId, l.created]),
    );
    assert.deepEqual(remote.lookup(key("base"))?.meta, records[0]!.result.meta);
    await remote.fetchBlob(image[0]!.digest); // already present: nothing downloaded
    assert.equal(store.ingested.length, before);
  });
});
