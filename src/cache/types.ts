// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Types shared by cache export and import: what a build hands to the
 * exporter, where a cache goes or comes from, and the view of an imported
 * cache.
 *
 * @module
 */

import type { Descriptor, ImageConfig } from "../oci/mod.ts";
import type { CacheResult, ContentStore, LayerRecord } from "../store/mod.ts";
import type { RegistryClient, RegistryClientOptions } from "../registry/mod.ts";

/** `min`: only the records of the final image's chain; `max`: every record of the build. */
export type CacheMode = "min" | "max";

/** One cache record a build made or used. */
export interface CacheRecordOut {
  /** The solver's cache key (`sha256:…`), portable across machines. */
  key: string;
  /** What the key resolves to. */
  result: CacheResult;
  /**
   * Whether the result is part of the final image's chain (the steps whose
   * layers the exported image holds); `mode=min` keeps only these.
   */
  final?: boolean;
}

/** Options of the exported cache manifest, shared by the registry and local targets. */
export interface CacheManifestOptions {
  /** `min` (default) or `max`. */
  mode?: CacheMode;
  /** Write OCI media types (default true); Docker media types otherwise. */
  ociMediaTypes?: boolean;
  /**
   * Write an image manifest whose config is the cache config (default true,
   * as BuildKit since v0.21); an index listing the blobs and the config otherwise.
   */
  imageManifest?: boolean;
}

/** Where `exportCache` writes. */
export type CacheTarget =
  | ({ type: "registry"; ref: string } & CacheManifestOptions)
  | ({ type: "local"; dest: string; tag?: string } & CacheManifestOptions);

/** Where `importCache` reads. */
export type CacheSource =
  | { type: "registry"; ref: string }
  | { type: "local"; src: string; tag?: string; digest?: string }
  | {
    type: "inline";
    /** The image config holding `moby.buildkit.cache.v0` (parsed, or its raw bytes). */
    config: ImageConfig | Uint8Array;
    /** The image's layer descriptors, base first. */
    layers: readonly Descriptor[];
    /**
     * The image reference to download missing layers from; when absent the
     * layers must already be in the local store.
     */
    ref?: string;
  };

/** Options of `exportCache`. */
export interface ExportCacheOptions {
  /** Where the records' blobs are read (e.g. a `lazyContentStore`). */
  store: ContentStore;
  /** Options of the registry client built for a registry target. */
  registry?: RegistryClientOptions;
  /** A ready client for the target's registry (tests, shared auth). */
  client?: RegistryClient;
  /** Cancels the export. */
  signal?: AbortSignal;
  /** Blobs copied at once (default 3). */
  concurrency?: number;
  /** Told about records left out because a blob of theirs is missing. */
  onWarning?: (message: string) => void;
}

/** What `exportCache` wrote. */
export interface ExportCacheResult {
  /** Digest of the pushed or written cache manifest. */
  manifestDigest: string;
  /** Layer blobs the manifest references. */
  blobs: number;
  /** Records written into the cache config. */
  records: number;
  /** Records left out (mode, or a missing blob). */
  skipped: number;
}

/** Options of `importCache`. */
export interface ImportCacheOptions {
  /** The local store that blobs are fetched into, on demand. */
  store: ContentStore;
  /** Options of the registry client built for a registry source. */
  registry?: RegistryClientOptions;
  /** A ready client for the source's registry. */
  client?: RegistryClient;
  /** Cancels the manifest and config reads. */
  signal?: AbortSignal;
}

/** A cache imported from a registry, a local directory or an image's inline cache. */
export interface RemoteCache {
  /** Where it came from, for messages. */
  readonly name: string;
  /** Records by cache key (layer chains as LayerRecords); `undefined` when unknown. */
  lookup(key: string): CacheResult | undefined;
  /** Fetches a blob into the local content store on demand, verified; a no-op when present. */
  fetchBlob(digest: string): Promise<void>;
  /** Whether this cache can provide the blob. */
  has(digest: string): boolean;
  /** The layer known under a blob digest, when this cache has it. */
  layer(digest: string): LayerRecord | undefined;
  /** Keys of every record. */
  keys(): string[];
  /** Blobs downloaded so far by `fetchBlob`. */
  readonly fetched: number;
}

/** Thrown for an invalid `--cache-to`/`--cache-from` value. */
export class CacheSpecError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "CacheSpecError";
  }
}

/** Thrown when a cache cannot be exported or imported. */
export class CacheError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CacheError";
  }
}
