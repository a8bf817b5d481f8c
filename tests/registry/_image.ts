// Copyright 2026 the buildkit-ts authors. MIT license.

// Builds small test images (random layers, a config, a manifest, optionally
// an index) in a content store.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { after } from "node:test";
import { gzipSync } from "node:zlib";
import type { Descriptor, Digest } from "../../src/oci/mod.ts";
import { type ContentStore, FileContentStore } from "../../src/store/mod.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A temporary directory removed after the tests. */
export function tempDir(prefix = "bk-reg-test-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A content store in a fresh temporary directory. */
export function tempStore(): FileContentStore {
  return new FileContentStore(tempDir("bk-reg-store-"));
}

/** sha256 digest of bytes. */
export function sha(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}` as Digest;
}

async function put(store: ContentStore, bytes: Uint8Array): Promise<Digest> {
  await store.ingest(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream());
  return sha(bytes);
}

/** A test image in a store. */
export interface TestImage {
  /** The manifest descriptor. */
  manifest: Descriptor;
  /** The config descriptor. */
  config: Descriptor;
  /** The layer descriptors. */
  layers: Descriptor[];
}

/** Stores `layerSizes.length` random layers, a config and an OCI manifest. */
export async function makeImage(
  store: ContentStore,
  options: { layerSizes?: number[]; architecture?: string; seed?: string; gzip?: boolean } = {},
): Promise<TestImage> {
  const layers: Descriptor[] = [];
  for (const size of options.layerSizes ?? [1000, 2000]) {
    const bytes = options.gzip ? gzipSync(randomBytes(size)) : randomBytes(size);
    layers.push({
      mediaType: options.gzip
        ? "application/vnd.oci.image.layer.v1.tar+gzip"
        : "application/vnd.oci.image.layer.v1.tar",
      digest: await put(store, bytes),
      size: bytes.byteLength,
    });
  }
  const configBytes = new TextEncoder().encode(JSON.stringify({
    architecture: options.architecture ?? "amd64",
    os: "linux",
    config: { Env: [`SEED=${options.seed ?? Math.random()}`] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
  }));
  const config: Descriptor = {
    mediaType: "application/vnd.oci.image.config.v1+json",
    digest: await put(store, configBytes),
    size: configBytes.byteLength,
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config,
    layers,
  }));
  const manifest: Descriptor = {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: await put(store, manifestBytes),
    size: manifestBytes.byteLength,
  };
  return { manifest, config, layers };
}

/** Stores an OCI index over images of the given architectures (linux). */
export async function makeIndex(
  store: ContentStore,
  architectures: string[],
): Promise<{ index: Descriptor; images: TestImage[] }> {
  const images: TestImage[] = [];
  for (const architecture of architectures) {
    images.push(await makeImage(store, { architecture, layerSizes: [3000] }));
  }
  const bytes = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: images.map((img, i) => ({
      ...img.manifest,
      platform: { architecture: architectures[i], os: "linux" },
    })),
  }));
  const index: Descriptor = {
    mediaType: "application/vnd.oci.image.index.v1+json",
    digest: await put(store, bytes),
    size: bytes.byteLength,
  };
  return { index, images };
}

/** Reads a whole stream. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
