// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Cache export: writes the layer blobs of a build's cache records
 * (deduplicated, streamed), a cache config blob and a cache manifest, to a
 * registry reference or into an OCI layout directory, in BuildKit's layout
 * (`cache/remotecache/export.go`): by default an OCI image manifest whose
 * config is the cache config (`image-manifest=true`), or an index listing the
 * layers and the config (`image-manifest=false`). Layers first, then the
 * config, then the manifest.
 *
 * Also builds the inline cache that goes into an image config.
 *
 * @module
 */

import {
  type Descriptor,
  type Digest,
  type ImageIndex,
  type ImageManifest,
  isNonDistributableLayer,
  layerCompression,
  layerMediaType,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  parseReference,
  serializeIndex,
  serializeManifest,
} from "../oci/mod.ts";
import { FileContentStore, type LayerRecord } from "../store/mod.ts";
import { clientFor, type RegistryClient } from "../registry/mod.ts";
import { createHash, fs, fsp, path, randomUUID } from "../runtime/mod.ts";
import {
  ANNOTATION_CREATED_AT,
  ANNOTATION_UNCOMPRESSED,
  buildCacheConfig,
  buildInlineRecords,
  CACHE_CONFIG_MEDIA_TYPE,
  type ImageLayerRef,
  serializeCacheConfig,
  serializeInlineRecords,
} from "./cache_config.ts";
import {
  CacheError,
  type CacheManifestOptions,
  type CacheRecordOut,
  type CacheTarget,
  type ExportCacheOptions,
  type ExportCacheResult,
} from "./types.ts";

const REF_NAME = "org.opencontainers.image.ref.name";

function sortedAnnotations(a: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(a).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/** The manifest descriptor of a cache layer, with the annotations BuildKit writes. */
function layerDescriptor(l: LayerRecord, oci: boolean): Descriptor {
  const compression = layerCompression(l.mediaType);
  const mediaType = compression === undefined || isNonDistributableLayer(l.mediaType)
    ? l.mediaType
    : layerMediaType(compression, oci ? "oci" : "docker");
  const annotations: Record<string, string> = { ...(l.annotations ?? {}) };
  annotations[ANNOTATION_UNCOMPRESSED] = l.diffId;
  if (l.created !== undefined) annotations[ANNOTATION_CREATED_AT] = l.created;
  return {
    mediaType,
    digest: l.digest as Digest,
    size: l.size,
    annotations: sortedAnnotations(annotations),
  };
}

function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
}

async function mapPool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** The records kept by the mode whose blobs are all in the store. */
async function selectRecords(
  records: readonly CacheRecordOut[],
  mode: CacheManifestOptions["mode"],
  options: ExportCacheOptions,
): Promise<{ kept: CacheRecordOut[]; skipped: number }> {
  const byMode = (mode ?? "min") === "max" ? [...records] : records.filter((r) => r.final === true);
  const kept: CacheRecordOut[] = [];
  const present = new Map<string, boolean>();
  for (const r of byMode) {
    let ok = true;
    for (const l of r.result.layers) {
      let has = present.get(l.digest);
      if (has === undefined) {
        has = await options.store.has(l.digest);
        present.set(l.digest, has);
      }
      if (!has) {
        options.onWarning?.(`cache record ${r.key} left out: blob ${l.digest} is missing`);
        ok = false;
        break;
      }
    }
    if (ok) kept.push(r);
  }
  return { kept, skipped: records.length - kept.length };
}

interface PreparedCache {
  layers: Descriptor[];
  config: { descriptor: Descriptor; bytes: Uint8Array };
  manifest: { descriptor: Descriptor; bytes: Uint8Array };
  records: number;
}

function prepare(kept: CacheRecordOut[], options: CacheManifestOptions): PreparedCache {
  const oci = options.ociMediaTypes ?? true;
  const image = options.imageManifest ?? oci;
  if (image && !oci) throw new CacheError("An image-manifest cache needs OCI media types");
  const built = buildCacheConfig(kept);
  const layers = [...built.blobs.values()].map((l) => layerDescriptor(l, oci));
  const configBytes = new TextEncoder().encode(serializeCacheConfig(built.config));
  const configDesc: Descriptor = {
    mediaType: CACHE_CONFIG_MEDIA_TYPE,
    digest: sha256Of(configBytes) as Digest,
    size: configBytes.byteLength,
  };
  let text: string;
  let mediaType: string;
  if (image) {
    mediaType = MEDIA_TYPE_OCI_MANIFEST;
    const m: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: configDesc,
      layers,
    };
    text = serializeManifest(m, { indent: "" });
  } else {
    mediaType = oci ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_DOCKER_MANIFEST_LIST;
    const idx = { schemaVersion: 2, mediaType, manifests: [...layers, configDesc] } as ImageIndex;
    text = serializeIndex(idx, { indent: "" });
  }
  const bytes = new TextEncoder().encode(text);
  return {
    layers,
    config: { descriptor: configDesc, bytes: configBytes },
    manifest: {
      descriptor: { mediaType, digest: sha256Of(bytes) as Digest, size: bytes.byteLength },
      bytes,
    },
    records: built.config.records.length,
  };
}

async function exportRegistry(
  ref: string,
  prepared: PreparedCache,
  options: ExportCacheOptions,
): Promise<void> {
  const parsed = parseReference(ref);
  if (parsed.tag === undefined && parsed.digest !== undefined) {
    throw new CacheError(`The cache reference ${ref} needs a tag, not a digest`);
  }
  const tag = parsed.tag ?? "latest";
  const client: RegistryClient = options.client ?? clientFor(parsed, options.registry ?? {});
  const repo = parsed.path;
  const what = `${parsed.domain}/${repo}:${tag}`;
  try {
    await mapPool(prepared.layers, options.concurrency ?? 3, async (d) => {
      options.signal?.throwIfAborted();
      await client.pushBlob(repo, d, () => options.store.get(d.digest));
    });
    options.signal?.throwIfAborted();
    const { config, manifest } = prepared;
    await client.pushBlob(repo, config.descriptor, () => bytesStream(config.bytes));
    await client.putManifest(repo, tag, manifest.bytes, manifest.descriptor.mediaType);
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new CacheError(`Failed to export the cache to ${what}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${randomUUID()}`;
  await fsp.writeFile(tmp, text);
  await fsp.rename(tmp, file);
}

async function exportLocal(
  dest: string,
  tag: string,
  prepared: PreparedCache,
  options: ExportCacheOptions,
): Promise<void> {
  fs.mkdirSync(dest, { recursive: true });
  const target = new FileContentStore(dest);
  await mapPool(prepared.layers, options.concurrency ?? 3, async (d) => {
    options.signal?.throwIfAborted();
    if (await target.has(d.digest)) return;
    await target.ingest(options.store.get(d.digest), { digest: d.digest, size: d.size });
  });
  options.signal?.throwIfAborted();
  for (const blob of [prepared.config, prepared.manifest]) {
    await target.ingest(bytesStream(blob.bytes), {
      digest: blob.descriptor.digest,
      size: blob.descriptor.size,
    });
  }
  await atomicWrite(path.join(dest, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const indexFile = path.join(dest, "index.json");
  let manifests: Descriptor[] = [];
  if (fs.existsSync(indexFile)) {
    try {
      const parsed = JSON.parse(fs.readFileSync(indexFile, "utf8")) as { manifests?: unknown };
      if (Array.isArray(parsed.manifests)) manifests = parsed.manifests as Descriptor[];
    } catch (e) {
      throw new CacheError(`Cannot update ${indexFile}: ${(e as Error).message}`);
    }
  }
  manifests = manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
  manifests.push({ ...prepared.manifest.descriptor, annotations: { [REF_NAME]: tag } });
  const index = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests } as ImageIndex;
  await atomicWrite(indexFile, serializeIndex(index, { indent: "" }));
}

/**
 * Exports cache records: every layer blob (deduplicated, streamed from
 * `options.store`), the cache config and the manifest, to a registry
 * reference (tag `latest` when none) or into an OCI layout at `dest` (its
 * `index.json` entry tagged `tag`, default `latest`). `mode=min` (default)
 * keeps the records marked `final`; `mode=max` keeps all. Records whose blobs
 * are missing from the store are left out (reported to `onWarning`).
 *
 * @throws {CacheError} when the target cannot be written.
 *
 * @example
 * ```ts ignore
 * import { exportCache } from "./export.ts";
 * await exportCache(records, { type: "local", dest: "/tmp/cache", mode: "max" }, { store });
 * ```
 */
export async function exportCache(
  records: readonly CacheRecordOut[],
  target: CacheTarget,
  options: ExportCacheOptions,
): Promise<ExportCacheResult> {
  options.signal?.throwIfAborted();
  const { kept, skipped } = await selectRecords(records, target.mode, options);
  const prepared = prepare(kept, target);
  if (target.type === "registry") await exportRegistry(target.ref, prepared, options);
  else await exportLocal(target.dest, target.tag ?? "latest", prepared, options);
  return {
    manifestDigest: prepared.manifest.descriptor.digest,
    blobs: prepared.layers.length,
    records: prepared.records,
    skipped,
  };
}

/** Options of {@linkcode inlineCacheConfig}. */
export interface InlineCacheOptions {
  /**
   * The exported image's layers, base first; by default the longest chain
   * among the `final` records.
   */
  layers?: readonly ImageLayerRef[];
}

/**
 * The inline cache of an image (BuildKit's `moby.buildkit.cache.v0`): the
 * JSON records, for the records marked `final`, pointing into the image's
 * layers. The image config holds these bytes base64-encoded (see
 * {@linkcode inlineCacheValue}).
 *
 * @example
 * ```ts
 * import { inlineCacheConfig } from "./export.ts";
 * const l = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: "sha256:" + "1".repeat(64), size: 1, diffId: "sha256:" + "2".repeat(64) };
 * const bytes = inlineCacheConfig([{ key: "sha256:k", result: { layers: [l] }, final: true }]);
 * console.assert(JSON.parse(new TextDecoder().decode(bytes))[0].digest === "sha256:k");
 * ```
 */
export function inlineCacheConfig(
  records: readonly CacheRecordOut[],
  options: InlineCacheOptions = {},
): Uint8Array {
  const final = records.filter((r) => r.final === true);
  let layers = options.layers;
  if (layers === undefined) {
    let longest: LayerRecord[] = [];
    for (const r of final) if (r.result.layers.length > longest.length) longest = r.result.layers;
    layers = longest;
  }
  return new TextEncoder().encode(serializeInlineRecords(buildInlineRecords(final, layers)));
}

/**
 * The value of `moby.buildkit.cache.v0` for an image config: the
 * {@linkcode inlineCacheConfig} bytes in base64 (as Go marshals `[]byte`).
 *
 * @example
 * ```ts
 * import { inlineCacheValue } from "./export.ts";
 * console.assert(inlineCacheValue([]) === btoa("[]"));
 * ```
 */
export function inlineCacheValue(
  records: readonly CacheRecordOut[],
  options: InlineCacheOptions = {},
): string {
  const bytes = inlineCacheConfig(records, options);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/**
 * Marks as `final` the records whose layer chain is a prefix of the final
 * image's layers (by blob digest), i.e. the steps `mode=min` and the inline
 * cache keep. Records without layers (an empty tree, a build context) are
 * marked too, since any image starts with them. Returns new records.
 *
 * @example
 * ```ts
 * import { markFinal } from "./export.ts";
 * const l = { mediaType: "m/x", digest: "sha256:" + "1".repeat(64), size: 1, diffId: "sha256:" + "2".repeat(64) };
 * const [r] = markFinal([{ key: "k", result: { layers: [l] } }], [l]);
 * console.assert(r?.final === true);
 * ```
 */
export function markFinal(
  records: readonly CacheRecordOut[],
  finalLayers: readonly { digest: string }[],
): CacheRecordOut[] {
  return records.map((r) => ({
    ...r,
    final: r.result.layers.length <= finalLayers.length &&
      r.result.layers.every((l, i) => l.digest === finalLayers[i]!.digest),
  }));
}
