// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The cache config (`application/vnd.buildkit.cacheconfig.v0`): the JSON
 * document that maps cache keys to layer chains, in the structure BuildKit
 * writes (`cache/remotecache/v1/types/spec.go`):
 *
 * ```
 * { "layers":  [{ "blob": dgst, "parent": idx (-1: none), "annotations": {mediaType, diffID, size, createdAt} }],
 *   "records": [{ "digest": key, "layers": [{ "layer": idx, "createdAt" }], "chains": [...], "inputs": [[...]] }] }
 * ```
 *
 * Differences from BuildKit, by design:
 * - `records[].digest` holds our solver's cache key, which is final (it already
 *   folds in the inputs' keys or content checksums), so `inputs` stays empty:
 *   a record is looked up by key directly instead of walking the key DAG.
 * - A record may carry `"buildkit-ts": { meta, empty }`: the worker's `meta` of
 *   the result, and `empty: true` for a result without layers. BuildKit ignores
 *   unknown fields.
 * - Layer annotations may carry `uncompressedSize` (also ignored by BuildKit).
 *
 * As in Go, `parent` is omitted when it is 0 (`omitempty`) and a missing
 * `parent` reads as 0; a base layer has `parent: -1`.
 *
 * @module
 */

import { z } from "zod";
import type { CacheResult, LayerRecord } from "../store/mod.ts";
import { CacheError, type CacheRecordOut } from "./types.ts";

/** Media type of the cache config blob. */
export const CACHE_CONFIG_MEDIA_TYPE = "application/vnd.buildkit.cacheconfig.v0";
/** Descriptor annotation holding a layer's diffID (containerd's label). */
export const ANNOTATION_UNCOMPRESSED = "containerd.io/uncompressed";
/** Descriptor annotation holding when a layer was made (RFC 3339). */
export const ANNOTATION_CREATED_AT = "buildkit/createdat";
/** Go's zero `time.Time`, written where no time is known. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";
/** Extension field of a record (ignored by BuildKit). */
export const RECORD_EXTENSION = "buildkit-ts";
/** Key of the inline cache in an image config. */
export const INLINE_CACHE_KEY = "moby.buildkit.cache.v0";

/** Layer annotations of the cache config. */
export interface CacheLayerAnnotations {
  /** Media type of the blob as it was stored. */
  mediaType?: string;
  /** Digest of the uncompressed tar. */
  diffID?: string;
  /** Size of the blob. */
  size?: number;
  /** When the layer was made, or {@linkcode ZERO_TIME}. */
  createdAt: string;
  /** Size of the uncompressed tar (extension). */
  uncompressedSize?: number;
}

/** One layer of the cache config: a blob and the index of its parent (-1 for none). */
export interface CacheLayer {
  /** Digest of the blob. */
  blob: string;
  /** Index of the parent layer in `layers`, -1 for a base layer. */
  parent: number;
  /** What the manifest descriptor does not say. */
  annotations?: CacheLayerAnnotations;
}

/** A result given by the index of its top layer. */
export interface CacheConfigResult {
  /** Index in `layers` of the chain's last layer. */
  layer: number;
  /** When the result was made. */
  createdAt: string;
}

/** A result given by the indexes of each of its layers (inline cache). */
export interface CacheConfigChain {
  /** Indexes of the chain's layers, base first. */
  layers: number[];
  /** When the result was made. */
  createdAt: string;
}

/** A link to the record of an input (unused by our exporter). */
export interface CacheConfigInput {
  /** Selector of what is read from the input. */
  selector?: string;
  /** Index of the input's record. */
  link: number;
}

/** Extension data of a record. */
export interface RecordExtension {
  /** The worker's `meta` of the result. */
  meta?: Record<string, unknown>;
  /** The result has no layers (an empty tree) and still is a result. */
  empty?: boolean;
}

/** One record: a cache key and its results. */
export interface CacheConfigRecord {
  /** The cache key. */
  digest: string;
  /** Results by top layer. */
  layers?: CacheConfigResult[];
  /** Results by explicit layer lists. */
  chains?: CacheConfigChain[];
  /** Input links (BuildKit's key DAG); empty in what we write. */
  inputs?: CacheConfigInput[][];
  /** Our extension. */
  [RECORD_EXTENSION]?: RecordExtension;
}

/** The cache config document. */
export interface CacheConfig {
  /** Layers, each pointing at its parent. */
  layers: CacheLayer[];
  /** Records. */
  records: CacheConfigRecord[];
}

const timeString = z.string();
const indexNumber = z.number().int();

const annotationsSchema = z.looseObject({
  mediaType: z.string().optional(),
  diffID: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  createdAt: timeString.optional(),
  uncompressedSize: z.number().int().nonnegative().optional(),
});

const layerSchema = z.looseObject({
  blob: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be a sha256 digest"),
  parent: indexNumber.optional(),
  annotations: annotationsSchema.nullable().optional(),
});

const resultSchema = z.looseObject({
  layer: indexNumber.optional(),
  createdAt: timeString.optional(),
});
const chainSchema = z.looseObject({
  layers: z.array(indexNumber).nullable().optional(),
  createdAt: timeString.optional(),
});
const inputSchema = z.looseObject({
  selector: z.string().optional(),
  link: indexNumber.optional(),
});

const recordSchema = z.looseObject({
  digest: z.string().optional(),
  layers: z.array(resultSchema).nullable().optional(),
  chains: z.array(chainSchema).nullable().optional(),
  inputs: z.array(z.array(inputSchema).nullable()).nullable().optional(),
  [RECORD_EXTENSION]: z.looseObject({
    meta: z.record(z.string(), z.unknown()).optional(),
    empty: z.boolean().optional(),
  }).optional(),
});

const configSchema = z.looseObject({
  layers: z.array(layerSchema).nullable().optional(),
  records: z.array(recordSchema).nullable().optional(),
});

const recordsSchema = z.array(recordSchema).nullable();

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join(".") || "document"}: ${issue?.message ?? "invalid"}`;
}

function decodeJson(input: Uint8Array | string, what: string): unknown {
  const text = typeof input === "string" ? input : new TextDecoder().decode(input);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CacheError(`Invalid ${what}: not JSON: ${(e as Error).message}`);
  }
}

function toRecord(r: z.infer<typeof recordSchema>): CacheConfigRecord {
  const out: CacheConfigRecord = { digest: r.digest ?? "" };
  if (r.layers) {
    out.layers = r.layers.map((l) => ({
      layer: l.layer ?? 0,
      createdAt: l.createdAt ?? ZERO_TIME,
    }));
  }
  if (r.chains) {
    out.chains = r.chains.map((c) => ({
      layers: c.layers ?? [],
      createdAt: c.createdAt ?? ZERO_TIME,
    }));
  }
  if (r.inputs) {
    out.inputs = r.inputs.map((i) =>
      (i ?? []).map((x) => ({ link: x.link ?? 0, ...(x.selector ? { selector: x.selector } : {}) }))
    );
  }
  const ext = r[RECORD_EXTENSION];
  if (ext) {
    out[RECORD_EXTENSION] = {
      ...(ext.meta ? { meta: ext.meta } : {}),
      ...(ext.empty ? { empty: true } : {}),
    };
  }
  return out;
}

/**
 * Parses and validates a cache config blob (as BuildKit or we wrote it).
 *
 * @throws {CacheError} when it is not JSON or does not have the structure.
 *
 * @example
 * ```ts
 * import { parseCacheConfig } from "./cache_config.ts";
 * const cfg = parseCacheConfig('{"layers":[{"blob":"sha256:' + "a".repeat(64) + '","parent":-1}]}');
 * console.assert(cfg.layers[0]?.parent === -1 && cfg.records.length === 0);
 * ```
 */
export function parseCacheConfig(input: Uint8Array | string): CacheConfig {
  const parsed = configSchema.safeParse(decodeJson(input, "cache config"));
  if (!parsed.success) throw new CacheError(`Invalid cache config: ${issueText(parsed.error)}`);
  const layers: CacheLayer[] = (parsed.data.layers ?? []).map((l) => {
    const out: CacheLayer = { blob: l.blob, parent: l.parent ?? 0 };
    const a = l.annotations;
    if (a) {
      out.annotations = {
        createdAt: a.createdAt ?? ZERO_TIME,
        ...(a.mediaType ? { mediaType: a.mediaType } : {}),
        ...(a.diffID ? { diffID: a.diffID } : {}),
        ...(a.size ? { size: a.size } : {}),
        ...(a.uncompressedSize !== undefined ? { uncompressedSize: a.uncompressedSize } : {}),
      };
    }
    return out;
  });
  return { layers, records: (parsed.data.records ?? []).map(toRecord) };
}

/**
 * Parses the records of an inline cache (the JSON array BuildKit stores,
 * base64-encoded, under `moby.buildkit.cache.v0` in an image config).
 *
 * @example
 * ```ts
 * import { parseInlineRecords } from "./cache_config.ts";
 * console.assert(parseInlineRecords('[{"digest":"k","layers":[{"layer":0,"createdAt":"0001-01-01T00:00:00Z"}]}]').length === 1);
 * ```
 */
export function parseInlineRecords(input: Uint8Array | string): CacheConfigRecord[] {
  const parsed = recordsSchema.safeParse(decodeJson(input, "inline cache"));
  if (!parsed.success) throw new CacheError(`Invalid inline cache: ${issueText(parsed.error)}`);
  return (parsed.data ?? []).map(toRecord);
}

function recordJson(r: CacheConfigRecord): Record<string, unknown> {
  // Go struct order: layers, chains, digest, inputs (all omitempty).
  const out: Record<string, unknown> = {};
  if (r.layers && r.layers.length > 0) {
    out.layers = r.layers.map((l) => ({ layer: l.layer, createdAt: l.createdAt }));
  }
  if (r.chains && r.chains.length > 0) {
    out.chains = r.chains.map((c) => ({ layers: c.layers, createdAt: c.createdAt }));
  }
  if (r.digest) out.digest = r.digest;
  if (r.inputs && r.inputs.length > 0) {
    out.inputs = r.inputs.map((i) =>
      i.map((x) => (x.selector ? { selector: x.selector, link: x.link } : { link: x.link }))
    );
  }
  const ext = r[RECORD_EXTENSION];
  if (ext && (ext.meta !== undefined || ext.empty)) out[RECORD_EXTENSION] = ext;
  return out;
}

function layerJson(l: CacheLayer): Record<string, unknown> {
  const out: Record<string, unknown> = { blob: l.blob };
  if (l.parent !== 0) out.parent = l.parent;
  const a = l.annotations;
  if (a) {
    const ann: Record<string, unknown> = {};
    if (a.mediaType) ann.mediaType = a.mediaType;
    if (a.diffID) ann.diffID = a.diffID;
    if (a.size) ann.size = a.size;
    ann.createdAt = a.createdAt;
    if (a.uncompressedSize !== undefined) ann.uncompressedSize = a.uncompressedSize;
    out.annotations = ann;
  }
  return out;
}

/**
 * Serializes a cache config compactly, fields in BuildKit's order, empty
 * fields omitted.
 *
 * @example
 * ```ts
 * import { serializeCacheConfig } from "./cache_config.ts";
 * console.assert(serializeCacheConfig({ layers: [], records: [] }) === "{}");
 * ```
 */
export function serializeCacheConfig(config: CacheConfig): string {
  const out: Record<string, unknown> = {};
  if (config.layers.length > 0) out.layers = config.layers.map(layerJson);
  if (config.records.length > 0) out.records = config.records.map(recordJson);
  return JSON.stringify(out);
}

/**
 * Serializes the records of an inline cache (a JSON array).
 *
 * @example
 * ```ts
 * import { serializeInlineRecords } from "./cache_config.ts";
 * console.assert(serializeInlineRecords([]) === "[]");
 * ```
 */
export function serializeInlineRecords(records: CacheConfigRecord[]): string {
  return JSON.stringify(records.map(recordJson));
}

function extensionOf(result: CacheResult): RecordExtension | undefined {
  const ext: RecordExtension = {};
  if (result.meta !== undefined) ext.meta = result.meta;
  if (result.layers.length === 0) ext.empty = true;
  return ext.meta !== undefined || ext.empty ? ext : undefined;
}

/** A cache config with the layers it references. */
export interface BuiltCacheConfig {
  /** The document. */
  config: CacheConfig;
  /** Every layer the config references, by blob digest, in first-use order. */
  blobs: Map<string, LayerRecord>;
}

/**
 * Builds the cache config of records: each distinct layer chain becomes a
 * chain of `layers` entries (shared prefixes shared), each record points at
 * its chain's last layer. Records are ordered by key and deduplicated, so the
 * same records give the same bytes.
 *
 * @example
 * ```ts
 * import { buildCacheConfig } from "./cache_config.ts";
 * const layer = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: "sha256:" + "1".repeat(64), size: 3, diffId: "sha256:" + "2".repeat(64) };
 * const { config } = buildCacheConfig([{ key: "sha256:k", result: { layers: [layer] } }]);
 * console.assert(config.records[0]?.layers?.[0]?.layer === 0 && config.layers[0]?.parent === -1);
 * ```
 */
export function buildCacheConfig(records: readonly CacheRecordOut[]): BuiltCacheConfig {
  const layers: CacheLayer[] = [];
  const byChain = new Map<string, number>();
  const blobs = new Map<string, LayerRecord>();
  const out: CacheConfigRecord[] = [];
  const seen = new Set<string>();
  const sorted = [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const rec of sorted) {
    if (seen.has(rec.key)) continue;
    seen.add(rec.key);
    let parent = -1;
    let chainId = "";
    for (const l of rec.result.layers) {
      chainId = `${chainId}/${l.digest}`;
      let idx = byChain.get(chainId);
      if (idx === undefined) {
        idx = layers.length;
        const ann: CacheLayerAnnotations = {
          mediaType: l.mediaType,
          diffID: l.diffId,
          size: l.size,
          createdAt: l.created ?? ZERO_TIME,
        };
        if (l.uncompressedSize !== undefined) ann.uncompressedSize = l.uncompressedSize;
        layers.push({ blob: l.digest, parent, annotations: ann });
        byChain.set(chainId, idx);
      }
      if (!blobs.has(l.digest)) blobs.set(l.digest, l);
      parent = idx;
    }
    const record: CacheConfigRecord = { digest: rec.key };
    const top = rec.result.layers[rec.result.layers.length - 1];
    if (parent >= 0) record.layers = [{ layer: parent, createdAt: top?.created ?? ZERO_TIME }];
    const ext = extensionOf(rec.result);
    if (ext) record[RECORD_EXTENSION] = ext;
    out.push(record);
  }
  return { config: { layers, records: out }, blobs };
}

/** What a blob's manifest descriptor says about a layer. */
export interface LayerDescriptorInfo {
  /** Media type in the manifest. */
  mediaType: string;
  /** Blob digest. */
  digest: string;
  /** Blob size. */
  size: number;
  /** Descriptor annotations. */
  annotations?: Record<string, string>;
}

function layerRecordOf(
  desc: LayerDescriptorInfo,
  ann: CacheLayerAnnotations | undefined,
): LayerRecord | undefined {
  const diffId = ann?.diffID || desc.annotations?.[ANNOTATION_UNCOMPRESSED];
  if (!diffId) return undefined;
  const out: LayerRecord = {
    mediaType: ann?.mediaType || desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    diffId,
  };
  const created = ann?.createdAt && ann.createdAt !== ZERO_TIME
    ? ann.createdAt
    : desc.annotations?.[ANNOTATION_CREATED_AT];
  if (created && created !== ZERO_TIME) out.created = created;
  if (ann?.uncompressedSize !== undefined) out.uncompressedSize = ann.uncompressedSize;
  const rest = Object.entries(desc.annotations ?? {}).filter(([k]) =>
    k !== ANNOTATION_UNCOMPRESSED && k !== ANNOTATION_CREATED_AT &&
    !k.startsWith("containerd.io/distribution.source.")
  );
  if (rest.length > 0) out.annotations = Object.fromEntries(rest);
  return out;
}

/**
 * Resolves a cache config into results by key. `describe` gives the manifest
 * descriptor of a blob (`undefined` when the cache lacks it; a chain through
 * it is then unusable, as in BuildKit). Of a record's results the first
 * complete one wins; records without a usable result are left out.
 *
 * @throws {CacheError} on an out-of-range index or a looping chain.
 *
 * @example
 * ```ts
 * import { buildCacheConfig, resolveCacheConfig } from "./cache_config.ts";
 * const layer = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: "sha256:" + "1".repeat(64), size: 3, diffId: "sha256:" + "2".repeat(64) };
 * const { config } = buildCacheConfig([{ key: "k", result: { layers: [layer] } }]);
 * const map = resolveCacheConfig(config, (d) => ({ mediaType: layer.mediaType, digest: d, size: 3 }));
 * console.assert(map.get("k")?.layers[0]?.diffId === layer.diffId);
 * ```
 */
export function resolveCacheConfig(
  config: CacheConfig,
  describe: (blob: string) => LayerDescriptorInfo | undefined,
): Map<string, CacheResult> {
  const memo = new Map<number, LayerRecord[] | null>();
  const layerAt = (idx: number): LayerRecord | undefined => {
    const l = config.layers[idx];
    if (l === undefined) {
      throw new CacheError(`Invalid cache config: layer index ${idx} out of range`);
    }
    const desc = describe(l.blob);
    return desc === undefined ? undefined : layerRecordOf(desc, l.annotations);
  };
  const chainOf = (top: number): LayerRecord[] | null => {
    const cached = memo.get(top);
    if (cached !== undefined) return cached;
    const indexes: number[] = [];
    const visited = new Set<number>();
    for (let i = top; i !== -1;) {
      if (visited.has(i)) throw new CacheError("Invalid cache config: looping layer chain");
      visited.add(i);
      const l = config.layers[i];
      if (l === undefined) {
        throw new CacheError(`Invalid cache config: layer index ${i} out of range`);
      }
      indexes.push(i);
      i = l.parent;
    }
    indexes.reverse();
    const out: LayerRecord[] = [];
    let ok = true;
    for (const i of indexes) {
      const r = layerAt(i);
      if (r === undefined) {
        ok = false;
        break;
      }
      out.push(r);
    }
    memo.set(top, ok ? out : null);
    return ok ? out : null;
  };
  const results = new Map<string, CacheResult>();
  for (const rec of config.records) {
    if (!rec.digest || results.has(rec.digest)) continue;
    let layers: LayerRecord[] | null = null;
    for (const r of rec.layers ?? []) {
      layers = chainOf(r.layer);
      if (layers) break;
    }
    if (!layers) {
      for (const c of rec.chains ?? []) {
        const out: LayerRecord[] = [];
        for (const i of c.layers) {
          const r = layerAt(i);
          if (r === undefined) break;
          out.push(r);
        }
        if (out.length === c.layers.length && out.length > 0) {
          layers = out;
          break;
        }
      }
    }
    const ext = rec[RECORD_EXTENSION];
    if (!layers && ext?.empty) layers = [];
    if (!layers) continue;
    const result: CacheResult = { layers: layers.map((l) => ({ ...l })) };
    if (ext?.meta !== undefined) result.meta = ext.meta;
    results.set(rec.digest, result);
  }
  return results;
}

/** A layer of an image, for the inline cache. */
export interface ImageLayerRef {
  /** Blob digest. */
  digest: string;
  /** Digest of the uncompressed tar. */
  diffId: string;
}

/**
 * Builds the inline cache records for an image whose layers are
 * `imageLayers`: each record whose chain is made of the image's layers is
 * written by the index of its top layer when the chain is a prefix of the
 * image, by explicit indexes otherwise; other records are left out.
 * Layers match by blob digest or diffID.
 *
 * @example
 * ```ts
 * import { buildInlineRecords } from "./cache_config.ts";
 * const l = { mediaType: "m/x", digest: "sha256:" + "1".repeat(64), size: 1, diffId: "sha256:" + "2".repeat(64) };
 * const recs = buildInlineRecords([{ key: "k", result: { layers: [l] } }], [l]);
 * console.assert(recs[0]?.layers?.[0]?.layer === 0);
 * ```
 */
export function buildInlineRecords(
  records: readonly CacheRecordOut[],
  imageLayers: readonly ImageLayerRef[],
): CacheConfigRecord[] {
  const indexOf = (l: LayerRecord): number =>
    imageLayers.findIndex((x) => x.digest === l.digest || x.diffId === l.diffId);
  const out: CacheConfigRecord[] = [];
  const seen = new Set<string>();
  const sorted = [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const rec of sorted) {
    if (seen.has(rec.key)) continue;
    const chain = rec.result.layers;
    const record: CacheConfigRecord = { digest: rec.key };
    const created = chain[chain.length - 1]?.created ?? ZERO_TIME;
    if (chain.length > 0) {
      const idx = chain.map(indexOf);
      if (idx.some((i) => i < 0)) continue;
      if (idx.every((v, i) => v === i)) {
        record.layers = [{ layer: chain.length - 1, createdAt: created }];
      } else record.chains = [{ layers: idx, createdAt: created }];
    }
    const ext = extensionOf(rec.result);
    if (ext) record[RECORD_EXTENSION] = ext;
    seen.add(rec.key);
    out.push(record);
  }
  return out;
}
