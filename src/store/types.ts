// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Types and errors shared by the on-disk store: the content-store interface,
 * the cache result the worker persists, and the errors callers are expected
 * to catch.
 *
 * @module
 */

/** Digest and size of a stored blob. */
export interface BlobInfo {
  /** `sha256:<hex>` of the stored bytes. */
  digest: string;
  /** Number of stored bytes. */
  size: number;
}

/** What a writer or an ingest is told to expect; a mismatch fails the write. */
export interface ExpectedBlob {
  /** The digest the bytes must hash to (`sha256:<hex>`). */
  digest?: string;
  /** The exact number of bytes. */
  size?: number;
}

/**
 * A one-pass blob writer, for producers that compute the digest as they go
 * (tar → gzip → hash). Nothing is visible under the digest before `commit`
 * resolves; `abort` (or a crash) leaves nothing behind but a temporary file
 * that prune removes.
 */
export interface BlobWriter {
  /** Appends bytes. Calls must not overlap: await each before the next. */
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly written: number;
  /**
   * Verifies the bytes against `expected`, syncs them to disk and makes them
   * visible under their digest.
   *
   * @throws {DigestMismatchError} when the digest differs (the bytes are dropped).
   * @throws {SizeMismatchError} when the size differs (the bytes are dropped).
   */
  commit(expected?: ExpectedBlob): Promise<BlobInfo>;
  /** Drops the bytes written so far. Safe to call more than once, or after commit. */
  abort(): Promise<void>;
}

/**
 * Blobs by digest (sha256 only), verified on every read.
 *
 * Implemented on disk by {@linkcode FileContentStore} and in memory by
 * {@linkcode MemoryContentStore}.
 */
export interface ContentStore {
  /** Stores a stream of bytes; resolves once they are durable under their digest. */
  ingest(stream: ReadableStream<Uint8Array>, expected?: ExpectedBlob): Promise<BlobInfo>;
  /** Opens a one-pass writer (see {@linkcode BlobWriter}). */
  writer(): Promise<BlobWriter>;
  /**
   * Reads a blob. The stream errors with {@linkcode DigestMismatchError} at the
   * end when the bytes do not hash to `digest` (a corrupted blob).
   *
   * @throws {BlobNotFoundError} when the blob is absent.
   */
  get(digest: string): ReadableStream<Uint8Array>;
  /** Reads a small blob (config, manifest) whole, verified. */
  readBytes(digest: string): Promise<Uint8Array>;
  has(digest: string): Promise<boolean>;
  /** Size of a blob, or `undefined` when absent. */
  size(digest: string): Promise<number | undefined>;
  /** Removes a blob; resolves to whether it existed. */
  delete(digest: string): Promise<boolean>;
  /** Every stored blob. */
  list(): Promise<BlobInfo[]>;
  /**
   * The file holding a blob, for exporters that hardlink or copy it. Present
   * only on stores backed by files; the file must not be modified.
   */
  path?(digest: string): string;
}

/** One layer of a cached result, as stored in the content store. */
export interface LayerRecord {
  /** Media type of the blob (e.g. `application/vnd.oci.image.layer.v1.tar+gzip`). */
  mediaType: string;
  /** Digest of the compressed blob. */
  digest: string;
  /** Size of the compressed blob. */
  size: number;
  /** Digest of the uncompressed tar. */
  diffId: string;
  /** Size of the uncompressed tar, when known. */
  uncompressedSize?: number;
  /** Annotations to carry to the manifest descriptor. */
  annotations?: Record<string, string>;
  /** When the layer was made (RFC 3339): the time its image history entry records. */
  created?: string;
}

/** What the worker persists for one cache key. */
export interface CacheResult {
  /** Snapshot holding the result's file tree; absent when it must be re-created from layers. */
  snapshotId?: string;
  /** Layers of the result, base first. */
  layers: LayerRecord[];
  /** Digest of an image config blob, for image sources. */
  config?: string;
  /** Anything else the worker needs (JSON-serializable). */
  meta?: Record<string, unknown>;
}

/** Thrown when bytes do not hash to the digest they were stored or expected under. */
export class DigestMismatchError extends Error {
  /** The digest that was expected. */
  readonly expected: string;
  /** The digest of the bytes actually read or written. */
  readonly actual: string;
  /** The file involved, when there is one. */
  readonly path: string | undefined;

  /** Builds the error; `what` names the blob or file in the message. */
  constructor(expected: string, actual: string, options: { path?: string; what?: string } = {}) {
    const where = options.path !== undefined
      ? ` in ${JSON.stringify(options.path)}`
      : options.what !== undefined
      ? ` for ${options.what}`
      : "";
    super(`Digest mismatch${where}: expected ${expected}, got ${actual}`);
    this.name = "DigestMismatchError";
    this.expected = expected;
    this.actual = actual;
    this.path = options.path;
  }
}

/** Thrown when a blob has a different size than expected. */
export class SizeMismatchError extends Error {
  /** The expected size. */
  readonly expected: number;
  /** The actual size. */
  readonly actual: number;

  /** Builds the error; `what` names the blob in the message. */
  constructor(expected: number, actual: number, what: string) {
    super(`Size mismatch for ${what}: expected ${expected} bytes, got ${actual}`);
    this.name = "SizeMismatchError";
    this.expected = expected;
    this.actual = actual;
  }
}

/** Thrown when a blob is not in the store. */
export class BlobNotFoundError extends Error {
  /** The missing digest. */
  readonly digest: string;

  /** Builds the error for `digest`. */
  constructor(digest: string) {
    super(`Blob ${digest} not found in the content store`);
    this.name = "BlobNotFoundError";
    this.digest = digest;
  }
}

/** Thrown when an inter-process lock cannot be taken in time. */
export class LockTimeoutError extends Error {
  /** The lock file. */
  readonly path: string;
  /** Who holds it, as written in the lock file (pid, hostname, time), when readable. */
  readonly holder: string | undefined;

  /** Builds the error for the lock file at `path`. */
  constructor(path: string, timeoutMs: number, holder: string | undefined) {
    super(
      `Cannot take lock ${JSON.stringify(path)} within ${timeoutMs}ms` +
        (holder !== undefined ? `: held by ${holder}` : ""),
    );
    this.name = "LockTimeoutError";
    this.path = path;
    this.holder = holder;
  }
}
