// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Progress events: what the solver reports about each vertex while a build runs.
 * The core emits them to a {@linkcode ProgressSink}; renderers turn them into text.
 *
 * @module
 */

/** Why a vertex was not taken from the cache: the first input that changed. */
export interface CacheMissReason {
  /** What changed: `definition`, `input`, `content`, `no-cache` or `new`. */
  kind: "definition" | "input" | "content" | "no-cache" | "new";
  /** A short human sentence, e.g. `content of /app changed`. */
  detail: string;
}

/** A vertex started running (or was found in the cache). */
export interface VertexStarted {
  type: "vertex.started";
  digest: string;
  name: string;
  /** Digests of the vertices it depends on. */
  inputs: string[];
  /** Milliseconds since the epoch. */
  time: number;
}

/** A vertex finished: from the cache, successfully or with an error. */
export interface VertexCompleted {
  type: "vertex.completed";
  digest: string;
  time: number;
  cached: boolean;
  error?: string;
  /** Present for a vertex that ran although a cache existed for an earlier build. */
  cacheMiss?: CacheMissReason;
}

/** Output of a vertex's process (stream 1 stdout, 2 stderr). */
export interface VertexLog {
  type: "vertex.log";
  digest: string;
  stream: 1 | 2;
  data: Uint8Array;
  time: number;
}

/** Progress of a sub-task of a vertex (a transfer, an export step). */
export interface VertexStatus {
  type: "vertex.status";
  digest: string;
  /** Sub-task id, e.g. `transferring context`. */
  id: string;
  current: number;
  total?: number;
  /** Unit of `current`/`total`; bytes when absent. */
  unit?: "bytes" | "items";
  time: number;
  done: boolean;
}

/** A build warning (lint rule, deprecated usage). */
export interface BuildWarning {
  type: "warning";
  digest?: string;
  rule: string;
  detail: string;
  url?: string;
  line?: number;
  time: number;
}

/** Any progress event. */
export type ProgressEvent =
  | VertexStarted
  | VertexCompleted
  | VertexLog
  | VertexStatus
  | BuildWarning;

/** Where events go. `close` flushes; renderers print their summary there. */
export interface ProgressSink {
  write(event: ProgressEvent): void;
  close(): void;
}
