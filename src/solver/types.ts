// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

import type { CacheMissReason, ProgressEvent } from "../progress/mod.ts";

/**
 * What an op's cache key is made of (BuildKit's `CacheMap`, in spirit):
 * a digest of its definition, and for each input whether the input counts through
 * its own cache key or through a checksum of the content the op reads from it.
 */
export interface CacheMap {
  /**
   * Digest of the op's definition, with every field that affects the result and nothing
   * else (no progress names). Source ops fold in what they resolved (an image digest,
   * a checksum of the context files they select).
   */
  digest: string;
  /** One entry per input, in input order. */
  deps: CacheDep[];
}

/** How one input contributes to the cache key. */
export interface CacheDep {
  /**
   * When true the input counts through `contentChecksum` of its result (e.g. the files
   * a COPY selects), so that an unrelated change upstream leaves the key unchanged.
   */
  content?: boolean;
  /** A human description of what is read from the input, for cache-miss explanations. */
  selector?: string;
}

/** What an op is given when it runs. */
export interface ExecContext {
  signal: AbortSignal;
  /** Reports progress of the running vertex (logs, statuses). */
  emit(event: ProgressEvent): void;
  /** Digest of the running vertex, for events. */
  digest: string;
}

/** An operation the solver can schedule. `R` is the worker's result type. */
export interface SolverOp<R> {
  cacheMap(signal: AbortSignal): Promise<CacheMap>;
  /** Checksum of what this op reads from input `index` (deps marked `content`). */
  contentChecksum?(index: number, input: R, signal: AbortSignal): Promise<string>;
  exec(inputs: R[], ctx: ExecContext): Promise<R>;
}

/** A node of the graph to solve. */
export interface Vertex<R> {
  /** Identity inside one graph (the IR digest). Equal digests are solved once. */
  digest: string;
  /** Progress name, e.g. `[stage-0 2/3] COPY . /app`. */
  name: string;
  inputs: Vertex<R>[];
  op: SolverOp<R>;
  /** `--no-cache`: run even when a cached result exists (and cache the new one). */
  ignoreCache?: boolean;
  /**
   * Stable id across builds used to explain cache misses (what changed since the last
   * time this step ran); defaults to `name`.
   */
  explainId?: string;
}

/** The components a cache key was computed from, kept to explain later misses. */
export interface KeyRecord {
  key: string;
  definition: string;
  deps: Array<{ kind: "key" | "content"; value: string; name: string; selector?: string }>;
}

/** Where results persist across builds. */
export interface ResultCache<R> {
  load(key: string, signal: AbortSignal): Promise<R | undefined>;
  save(key: string, result: R, record: KeyRecord): Promise<void>;
  /** The record saved last for a step with this explain id, to explain a miss. */
  lastRecord?(explainId: string): Promise<KeyRecord | undefined>;
  /** Remembers that `explainId` was last computed as `record`. */
  remember?(explainId: string, record: KeyRecord): Promise<void>;
}

export type { CacheMissReason };
