// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { type KeyRecord, Solver, type Vertex } from "../../src/solver/mod.ts";
import { type CacheResult, openStore, type Store } from "../../src/store/mod.ts";
import { streamOf, tempDir, tempStore } from "./_helpers.ts";

const signal = new AbortController().signal;
const record: KeyRecord = {
  key: "sha256:key",
  definition: "sha256:def",
  deps: [{ kind: "content", value: "sha256:c", name: "ctx", selector: "/app" }],
};

async function resultWithLayer(store: Store): Promise<CacheResult> {
  const layer = await store.content.ingest(streamOf("layer bytes"));
  const config = await store.content.ingest(streamOf("{}"));
  const m = await store.snapshots.create();
  fs.writeFileSync(path.join(m.dir, "f"), "x");
  const snapshotId = await store.snapshots.commit(m);
  return {
    snapshotId,
    layers: [{
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: layer.digest,
      size: layer.size,
      diffId: layer.digest,
    }],
    config: config.digest,
    meta: { description: "RUN make" },
  };
}

describe("CacheRecordStore", () => {
  it("save() then load() round-trips a result stored under the key's sha256", async () => {
    const store = tempStore();
    const result = await resultWithLayer(store);
    await store.cache.save("key-1", result, record);
    const hex = createHash("sha256").update("key-1").digest("hex");
    const file = path.join(store.root, "cache", "records", `${hex}.json`);
    assert.equal(store.cache.recordPath("key-1"), file);
    const onDisk = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.deepEqual(onDisk.record, record);
    assert.ok(onDisk.createdAt && onDisk.lastUsed);
    assert.deepEqual(await store.cache.load("key-1", signal), result);
    assert.equal(await store.cache.load("key-2", signal), undefined);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [`${hex}.json`]);
  });

  it("load() misses when a referenced blob is gone", async () => {
    const store = tempStore();
    const result = await resultWithLayer(store);
    await store.cache.save("k", result, record);
    await store.content.delete(result.layers[0]!.digest);
    assert.equal(await store.cache.load("k", signal), undefined);
    const again = await resultWithLayer(store);
    await store.cache.save("k2", again, record);
    await store.content.delete(again.config!);
    assert.equal(await store.cache.load("k2", signal), undefined);
  });

  it("load() returns the result without snapshotId when the snapshot is gone", async () => {
    const store = tempStore();
    const result = await resultWithLayer(store);
    await store.cache.save("k", result, record);
    await store.snapshots.remove(result.snapshotId!);
    const hit = await store.cache.load("k", signal);
    assert.ok(hit !== undefined);
    assert.equal("snapshotId" in hit, false);
    assert.deepEqual(hit.layers, result.layers);
  });

  it("load() bumps the record's last use at most once a minute", async () => {
    const store = tempStore();
    await store.cache.save("k", { layers: [] }, record);
    const file = store.cache.recordPath("k");
    const recent = new Date(Date.now() - 30_000);
    fs.utimesSync(file, recent, recent);
    await store.cache.load("k", signal);
    assert.equal(fs.statSync(file).mtimeMs, recent.getTime());
    const old = new Date(Date.now() - 3_600_000);
    fs.utimesSync(file, old, old);
    await store.cache.load("k", signal);
    assert.ok(Date.now() - fs.statSync(file).mtimeMs < 10_000);
  });

  it("load() treats a corrupt record as a miss and reports it once", async () => {
    const warnings: string[] = [];
    const store = openStore(path.join(tempDir(), "root"), { onWarning: (m) => warnings.push(m) });
    await store.cache.save("k", { layers: [] }, record);
    fs.writeFileSync(
      store.cache.recordPath("k"),
      '{"version":1,"key":"k","result":{"layers":"no"}}',
    );
    assert.equal(await store.cache.load("k", signal), undefined);
    assert.equal(await store.cache.load("k", signal), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /corrupt cache record/);
    fs.writeFileSync(store.cache.recordPath("j"), "{not json");
    assert.equal(await store.cache.load("j", signal), undefined);
    assert.equal(warnings.length, 2);
    await store.cache.save("k", { layers: [] }, record);
    assert.deepEqual(await store.cache.load("k", signal), { layers: [] });
  });

  it("remember() and lastRecord() keep the last key record of a step", async () => {
    const store = tempStore();
    assert.equal(await store.cache.lastRecord("[stage-0 1/2] RUN make"), undefined);
    await store.cache.remember("[stage-0 1/2] RUN make", record);
    const other = { ...record, definition: "sha256:other" };
    await store.cache.remember("[stage-0 1/2] RUN make", other);
    assert.deepEqual(await store.cache.lastRecord("[stage-0 1/2] RUN make"), other);
    assert.equal(fs.readdirSync(path.join(store.root, "cache", "explain")).length, 1);
  });

  it("CacheRecordStore serves a second Solver from the records of the first", async () => {
    const store = tempStore();
    const layer = await store.content.ingest(streamOf("solved"));
    let execs = 0;
    const vertex: Vertex<CacheResult> = {
      digest: "sha256:v",
      name: "RUN make",
      inputs: [],
      op: {
        cacheMap: () => Promise.resolve({ digest: "sha256:def", deps: [] }),
        exec: () => {
          execs++;
          return Promise.resolve({
            layers: [{
              mediaType: "application/vnd.oci.image.layer.v1.tar",
              digest: layer.digest,
              size: layer.size,
              diffId: layer.digest,
            }],
          });
        },
      },
    };
    const [first] = await new Solver({ cache: store.cache }).solve([vertex]);
    const reopened = openStore(store.root);
    const [second] = await new Solver({ cache: reopened.cache }).solve([vertex]);
    assert.equal(execs, 1);
    assert.deepEqual(second, first);
  });
});
