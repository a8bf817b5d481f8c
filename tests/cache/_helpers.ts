// Copyright 2026 the buildkit-ts authors. MIT license.

// Shared helpers of the cache tests: temporary directories, content stores
// that count what is written, and fake layer chains with real blobs.

import { after } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import {
  type BlobInfo,
  type ContentStore,
  type ExpectedBlob,
  type LayerRecord,
  MemoryContentStore,
} from "../../src/store/mod.ts";
import type { CacheRecordOut } from "../../src/cache/mod.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the tests. */
export function tempDir(prefix = "cache-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  roots.push(dir);
  return dir;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** A memory content store that counts successful ingests. */
export class CountingStore extends MemoryContentStore {
  /** Digests ingested, in order. */
  readonly ingested: string[] = [];

  /** Ingests and records the digest. */
  override async ingest(
    stream: ReadableStream<Uint8Array>,
    expected?: ExpectedBlob,
  ): Promise<BlobInfo> {
    const info = await super.ingest(stream, expected);
    this.ingested.push(info.digest);
    return info;
  }
}

/** Stores `size` random bytes as a gzip-typed layer blob and returns its record. */
export async function makeLayer(
  store: ContentStore,
  size = 4096,
  created = "2024-01-02T03:04:05Z",
): Promise<LayerRecord> {
  const bytes = new Uint8Array(randomBytes(size));
  const info = await store.ingest(new Blob([bytes]).stream());
  return {
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    digest: info.digest,
    size: info.size,
    diffId: sha256(new Uint8Array([...bytes, 1])),
    uncompressedSize: size + 1,
    created,
  };
}

/** A fake cache key. */
export function key(name: string): string {
  return sha256(new TextEncoder().encode(`key:${name}`));
}

/**
 * A build of three steps on a base image: base (1 layer) → step1 (+1) →
 * step2 (+1, final), plus a side stage `other` (base + 1, not final).
 */
export async function sampleBuild(store: ContentStore): Promise<{
  records: CacheRecordOut[];
  layers: LayerRecord[];
}> {
  const base = await makeLayer(store);
  const l1 = await makeLayer(store);
  const l2 = await makeLayer(store);
  const side = await makeLayer(store);
  const records: CacheRecordOut[] = [
    {
      key: key("base"),
      result: { layers: [base], meta: { kind: "image", manifest: "sha256:abc" } },
      final: true,
    },
    { key: key("step1"), result: { layers: [base, l1], snapshotId: "snap-1" }, final: true },
    { key: key("step2"), result: { layers: [base, l1, l2] }, final: true },
    { key: key("other"), result: { layers: [base, side] }, final: false },
    { key: key("context"), result: { layers: [], meta: { kind: "local", op: "sha256:op" } } },
  ];
  return { records, layers: [base, l1, l2, side] };
}
