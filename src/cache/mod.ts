// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Build-cache export and import (`--cache-to` / `--cache-from`): registry
 * (`type=registry,ref=REF,mode=min|max`), local OCI layout
 * (`type=local,dest=DIR` / `src=DIR`) and inline (`type=inline`) caches in
 * BuildKit's layout: a manifest whose config is an
 * `application/vnd.buildkit.cacheconfig.v0` document mapping cache keys to
 * layer chains, the layers as blobs. Imported caches answer keys without
 * downloading; blobs are fetched (verified) only when read.
 *
 * @example
 * ```ts ignore
 * import { exportCache, importCache, layeredResultCache, lazyContentStore, parseCacheExportSpec } from "./mod.ts";
 * const to = parseCacheExportSpec("type=local,dest=/tmp/cache,mode=max");
 * if (to.type === "local") await exportCache(records, to, { store: content });
 * const remote = await importCache({ type: "local", src: "/tmp/cache" }, { store: content });
 * const results = layeredResultCache(resultCache, [remote]);
 * const blobs = lazyContentStore(content, [remote]);
 * ```
 *
 * @module
 */

export * from "./types.ts";
export {
  ANNOTATION_CREATED_AT,
  ANNOTATION_UNCOMPRESSED,
  buildCacheConfig,
  buildInlineRecords,
  type BuiltCacheConfig,
  CACHE_CONFIG_MEDIA_TYPE,
  type CacheConfig,
  type CacheConfigChain,
  type CacheConfigInput,
  type CacheConfigRecord,
  type CacheConfigResult,
  type CacheLayer,
  type CacheLayerAnnotations,
  type ImageLayerRef,
  INLINE_CACHE_KEY,
  type LayerDescriptorInfo,
  parseCacheConfig,
  parseInlineRecords,
  RECORD_EXTENSION,
  type RecordExtension,
  resolveCacheConfig,
  serializeCacheConfig,
  serializeInlineRecords,
  ZERO_TIME,
} from "./cache_config.ts";
export {
  exportCache,
  inlineCacheConfig,
  type InlineCacheOptions,
  inlineCacheValue,
  markFinal,
} from "./export.ts";
export { importCache } from "./import.ts";
export { layeredResultCache, lazyContentStore } from "./lazy_store.ts";
export {
  type CacheCompressionOptions,
  type CacheDirection,
  type CacheExportSpec,
  type CacheImportSpec,
  parseCacheExportSpec,
  parseCacheImportSpecs,
} from "./specs.ts";
