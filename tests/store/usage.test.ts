// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { KeyRecord } from "../../src/solver/mod.ts";
import { diskUsage, parseSize, parseUntil, prune, type Store } from "../../src/store/mod.ts";
import { streamOf, tempStore, writeImage } from "./_helpers.ts";

const HOUR = 3_600_000;
const record: KeyRecord = { key: "k", definition: "d", deps: [] };

/** A record with its own layer blob and snapshot, all last used `ageMs` ago. */
async function agedRecord(store: Store, key: string, ageMs: number, bytes = 1000) {
  const when = new Date(Date.now() - ageMs);
  const layer = await store.content.ingest(
    streamOf(new Uint8Array(bytes).fill(key.charCodeAt(0)), 4096),
  );
  const m = await store.snapshots.create();
  fs.writeFileSync(path.join(m.dir, "data"), new Uint8Array(bytes));
  const snapshotId = await store.snapshots.commit(m, { description: key });
  const metaFile = path.join(store.root, "snapshots", snapshotId, "meta.json");
  const meta = JSON.parse(fs.readFileSync(metaFile, "utf8"));
  fs.writeFileSync(metaFile, JSON.stringify({ ...meta, lastUsed: when.toISOString() }));
  const layers = [{
    mediaType: "application/vnd.oci.image.layer.v1.tar",
    digest: layer.digest,
    size: layer.size,
    diffId: layer.digest,
  }];
  await store.cache.save(key, { snapshotId, layers }, record);
  fs.utimesSync(store.cache.recordPath(key), when, when);
  fs.utimesSync(store.content.path(layer.digest), when, when);
  return { key, snapshotId, layer: layer.digest };
}

describe("diskUsage()", () => {
  it("diskUsage() lists blobs, snapshots and records, counting shared inodes once", async () => {
    const store = tempStore();
    const a = await agedRecord(store, "a", HOUR, 500);
    const child = await store.snapshots.create(a.snapshotId);
    const childId = await store.snapshots.commit(child);
    const du = await diskUsage(store);
    const kinds = du.entries.map((e) => e.kind).sort();
    assert.deepEqual(kinds, ["blob", "cache-record", "snapshot", "snapshot"]);
    const snaps = du.entries.filter((e) => e.kind === "snapshot");
    assert.ok(snaps.every((s) => s.size === 500 && s.shared === true));
    assert.equal(du.totals.snapshots, 500);
    assert.equal(du.totals.blobs, 500);
    assert.equal(snaps.find((s) => s.id === a.snapshotId)!.inUse, true);
    assert.equal(snaps.find((s) => s.id === childId)!.inUse, false);
    const rec = du.entries.find((e) => e.kind === "cache-record")!;
    assert.equal(du.totals.total, 500 + 500 + rec.size);
  });
});

describe("prune()", () => {
  it("prune() removes everything unreferenced by tagged images", async () => {
    const store = tempStore();
    const a = await agedRecord(store, "a", 2 * HOUR);
    const garbage = await store.content.ingest(streamOf("garbage"));
    const res = await prune(store);
    assert.equal(await store.content.has(a.layer), false);
    assert.equal(await store.content.has(garbage.digest), false);
    assert.equal(store.snapshots.exists(a.snapshotId), false);
    assert.equal(fs.existsSync(store.cache.recordPath("a")), false);
    const du = await diskUsage(store);
    assert.equal(du.totals.total, 0);
    assert.ok(res.freed >= 2000 + 7);
  });

  it("prune({ keepStorage }) removes the oldest-used records first and stops under the limit", async () => {
    const store = tempStore();
    const a = await agedRecord(store, "a", 3 * HOUR);
    const b = await agedRecord(store, "b", 2 * HOUR);
    const c = await agedRecord(store, "c", 1 * HOUR);
    const before = (await diskUsage(store)).totals.total;
    const res = await prune(store, { keepStorage: before - 1 });
    assert.deepEqual(res.removed.map((r) => r.kind).sort(), ["blob", "cache-record", "snapshot"]);
    assert.equal(fs.existsSync(store.cache.recordPath("a")), false);
    assert.equal(store.snapshots.exists(a.snapshotId), false);
    assert.equal(await store.content.has(a.layer), false);
    for (const kept of [b, c]) {
      assert.ok(fs.existsSync(store.cache.recordPath(kept.key)));
      assert.ok(store.snapshots.exists(kept.snapshotId));
      assert.ok(await store.content.has(kept.layer));
    }
    assert.equal((await diskUsage(store)).totals.total, before - res.freed);
    const res2 = await prune(store, { keepStorage: 2500 });
    assert.equal(fs.existsSync(store.cache.recordPath("b")), false);
    assert.ok(fs.existsSync(store.cache.recordPath("c")));
    assert.ok((await diskUsage(store)).totals.total <= 2500);
    assert.ok(res2.freed >= 2000);
  });

  it("prune({ until }) keeps entries used more recently than the duration", async () => {
    const store = tempStore();
    const old = await agedRecord(store, "o", 48 * HOUR);
    const recent = await agedRecord(store, "r", 1 * HOUR);
    await prune(store, { until: parseUntil("24h") });
    assert.equal(store.snapshots.exists(old.snapshotId), false);
    assert.equal(await store.content.has(old.layer), false);
    assert.ok(store.snapshots.exists(recent.snapshotId));
    assert.ok(fs.existsSync(store.cache.recordPath("r")));
  });

  it("prune() never removes blobs of tagged images, and all removes their records only", async () => {
    const store = tempStore();
    const image = await writeImage(store);
    await store.images.tag("docker.io/library/base:latest", image.manifest);
    const layers = [{
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: image.layer,
      size: 1025,
      diffId: image.layer,
    }];
    await store.cache.save("pull", { layers, config: image.config }, record);
    await prune(store);
    assert.ok(fs.existsSync(store.cache.recordPath("pull")));
    await prune(store, { all: true });
    assert.equal(fs.existsSync(store.cache.recordPath("pull")), false);
    for (const d of [image.manifest.digest, image.layer, image.config]) {
      assert.ok(await store.content.has(d), d);
    }
    await store.images.untag("docker.io/library/base:latest");
    await prune(store);
    assert.deepEqual(await store.content.list(), []);
  });
});

describe("parseSize() and parseUntil()", () => {
  it("parseSize() reads binary units like docker", () => {
    const cases: Array<[string, number]> = [
      ["1024", 1024],
      ["10GB", 10 * 1024 ** 3],
      ["512MiB", 512 * 1024 ** 2],
      ["1.5k", 1536],
      ["2 mb", 2 * 1024 ** 2],
      ["7b", 7],
    ];
    for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
    for (const bad of ["", "GB", "10XB", "1i", "-5"]) {
      assert.throws(() => parseSize(bad), SyntaxError, bad);
    }
  });

  it("parseUntil() reads Go durations plus days", () => {
    const cases: Array<[string, number]> = [
      ["24h", 24 * HOUR],
      ["1h30m", 90 * 60_000],
      ["90s", 90_000],
      ["250ms", 250],
      ["7d", 7 * 24 * HOUR],
    ];
    for (const [text, ms] of cases) assert.equal(parseUntil(text), ms, text);
    for (const bad of ["", "h", "10", "5y", "1h 2m"]) {
      assert.throws(() => parseUntil(bad), SyntaxError, bad);
    }
  });
});
