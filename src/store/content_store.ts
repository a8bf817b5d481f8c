// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The content store: blobs by sha256 digest under `blobs/sha256/<hex>`,
 * written through `ingest/` (hash while writing, fsync, verify, rename) and
 * verified on every read.
 *
 * @module
 */

import { createHash, fs, fsp, path, readFileStream } from "../runtime/mod.ts";
import {
  type BlobInfo,
  BlobNotFoundError,
  type BlobWriter,
  type ContentStore,
  DigestMismatchError,
  type ExpectedBlob,
  SizeMismatchError,
} from "./types.ts";
import { fsyncDir, isNotFound, sha256Hex, tempName } from "./_fs.ts";

/** Ingest files of live writers in this process; prune leaves them alone. */
const ACTIVE_INGESTS = new Set<string>();

/** Whether an ingest file belongs to a writer still open in this process. */
export function isActiveIngest(file: string): boolean {
  return ACTIVE_INGESTS.has(file);
}

function checkExpected(actual: BlobInfo, expected: ExpectedBlob | undefined, what: string): void {
  if (expected?.digest !== undefined && expected.digest !== actual.digest) {
    throw new DigestMismatchError(expected.digest, actual.digest, { what });
  }
  if (expected?.size !== undefined && expected.size !== actual.size) {
    throw new SizeMismatchError(expected.size, actual.size, what);
  }
}

function validateExpected(expected: ExpectedBlob | undefined): void {
  if (expected?.digest !== undefined) sha256Hex(expected.digest);
}

/**
 * Content store on disk (the `blobs/` part of an OCI image layout).
 *
 * @example
 * ```ts
 * import { FileContentStore } from "./content_store.ts";
 * import { mkdtempSync } from "node:fs";
 * const store = new FileContentStore(mkdtempSync("/tmp/cs-"));
 * const info = await store.ingest(new Blob(["hello"]).stream());
 * console.assert(info.size === 5);
 * console.assert(new TextDecoder().decode(await store.readBytes(info.digest)) === "hello");
 * ```
 */
export class FileContentStore implements ContentStore {
  /** The store root (holding `blobs/` and `ingest/`). */
  readonly root: string;
  /** `blobs/sha256`. */
  readonly blobsDir: string;
  /** `ingest/`, for temporary files. */
  readonly ingestDir: string;

  /** Opens (and creates) the store under `root`. */
  constructor(root: string) {
    this.root = root;
    this.blobsDir = path.join(root, "blobs", "sha256");
    this.ingestDir = path.join(root, "ingest");
    fs.mkdirSync(this.blobsDir, { recursive: true });
    fs.mkdirSync(this.ingestDir, { recursive: true });
  }

  /** The file of a blob (which may not exist). The file must never be modified. */
  path(digest: string): string {
    return path.join(this.blobsDir, sha256Hex(digest));
  }

  /** Opens a one-pass writer whose bytes go to `ingest/<pid>-<random>`. */
  async writer(): Promise<BlobWriter> {
    const tmp = path.join(this.ingestDir, tempName());
    const fh = await fsp.open(tmp, "wx", 0o644);
    ACTIVE_INGESTS.add(tmp);
    return new FileBlobWriter(this, tmp, fh);
  }

  /** Streams bytes into the store and verifies them against `expected`. */
  async ingest(
    stream: ReadableStream<Uint8Array>,
    expected?: ExpectedBlob,
  ): Promise<BlobInfo> {
    validateExpected(expected);
    if (expected?.digest !== undefined) {
      const have = await this.size(expected.digest);
      if (have !== undefined && (expected.size === undefined || expected.size === have)) {
        await stream.cancel();
        return { digest: expected.digest, size: have };
      }
    }
    const w = await this.writer();
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await w.write(value);
      }
    } catch (e) {
      await w.abort();
      await reader.cancel(e).catch(() => {});
      throw e;
    }
    return await w.commit(expected);
  }

  /**
   * Reads a blob, hashing as it goes; the stream errors at its end with
   * {@linkcode DigestMismatchError} naming the file when the bytes are corrupt.
   */
  get(digest: string): ReadableStream<Uint8Array> {
    const file = this.path(digest);
    if (!fs.existsSync(file)) throw new BlobNotFoundError(digest);
    const hash = createHash("sha256");
    return readFileStream(file).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          hash.update(chunk);
          controller.enqueue(chunk);
        },
        flush(controller) {
          const actual = `sha256:${hash.digest("hex")}`;
          if (actual !== digest) {
            controller.error(new DigestMismatchError(digest, actual, { path: file }));
          }
        },
      }),
    );
  }

  /** Reads a small blob whole (configs, manifests), verified. */
  async readBytes(digest: string): Promise<Uint8Array> {
    const file = this.path(digest);
    let data: Uint8Array;
    try {
      data = await fsp.readFile(file);
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(digest);
      throw e;
    }
    const actual = `sha256:${createHash("sha256").update(data).digest("hex")}`;
    if (actual !== digest) throw new DigestMismatchError(digest, actual, { path: file });
    return data;
  }

  /** Whether the blob is present (not verified). */
  has(digest: string): Promise<boolean> {
    return Promise.resolve(fs.existsSync(this.path(digest)));
  }

  /** Size of the blob on disk. */
  size(digest: string): Promise<number | undefined> {
    try {
      return Promise.resolve(fs.statSync(this.path(digest)).size);
    } catch (e) {
      if (isNotFound(e)) return Promise.resolve(undefined);
      return Promise.reject(e);
    }
  }

  /** Removes a blob. */
  async delete(digest: string): Promise<boolean> {
    try {
      await fsp.unlink(this.path(digest));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /** Every blob with its size. */
  list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for (const name of fs.readdirSync(this.blobsDir)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      try {
        out.push({
          digest: `sha256:${name}`,
          size: fs.statSync(path.join(this.blobsDir, name)).size,
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return Promise.resolve(out);
  }
}

class FileBlobWriter implements BlobWriter {
  #store: FileContentStore;
  #tmp: string;
  #fh: fsp.FileHandle | undefined;
  #hash = createHash("sha256");
  #written = 0;
  #done = false;

  constructor(store: FileContentStore, tmp: string, fh: fsp.FileHandle) {
    this.#store = store;
    this.#tmp = tmp;
    this.#fh = fh;
  }

  get written(): number {
    return this.#written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#fh === undefined) throw new Error("Cannot write to a closed blob writer");
    let off = 0;
    while (off < chunk.byteLength) {
      const { bytesWritten } = await this.#fh.write(chunk, off, chunk.byteLength - off);
      off += bytesWritten;
    }
    this.#hash.update(chunk);
    this.#written += chunk.byteLength;
  }

  async commit(expected?: ExpectedBlob): Promise<BlobInfo> {
    if (this.#fh === undefined) throw new Error("Cannot commit a closed blob writer");
    const info = { digest: `sha256:${this.#hash.digest("hex")}`, size: this.#written };
    try {
      validateExpected(expected);
      checkExpected(info, expected, `blob ${expected?.digest ?? info.digest}`);
      await this.#fh.sync();
      await this.#fh.close();
      this.#fh = undefined;
      const target = this.#store.path(info.digest);
      if (fs.existsSync(target)) {
        await fsp.rm(this.#tmp, { force: true });
      } else {
        await fsp.rename(this.#tmp, target);
        fsyncDir(this.#store.blobsDir);
      }
    } catch (e) {
      await this.abort();
      throw e;
    }
    this.#done = true;
    ACTIVE_INGESTS.delete(this.#tmp);
    return info;
  }

  async abort(): Promise<void> {
    if (this.#fh !== undefined) {
      await this.#fh.close().catch(() => {});
      this.#fh = undefined;
    }
    if (!this.#done) await fsp.rm(this.#tmp, { force: true });
    this.#done = true;
    ACTIVE_INGESTS.delete(this.#tmp);
  }
}

/**
 * Content store in memory, for tests of other folders. Verifies on read like
 * the file store; {@linkcode MemoryContentStore.corrupt} flips stored bytes.
 *
 * @example
 * ```ts
 * import { MemoryContentStore } from "./content_store.ts";
 * const store = new MemoryContentStore();
 * const { digest } = await store.ingest(new Blob(["x"]).stream());
 * console.assert(await store.has(digest));
 * ```
 */
export class MemoryContentStore implements ContentStore {
  #blobs = new Map<string, Uint8Array>();

  /** Opens a writer that keeps the bytes in memory until commit. */
  writer(): Promise<BlobWriter> {
    const blobs = this.#blobs;
    const chunks: Uint8Array[] = [];
    const hash = createHash("sha256");
    let written = 0;
    let closed = false;
    const writer: BlobWriter = {
      get written() {
        return written;
      },
      write(chunk) {
        if (closed) return Promise.reject(new Error("Cannot write to a closed blob writer"));
        chunks.push(chunk.slice());
        hash.update(chunk);
        written += chunk.byteLength;
        return Promise.resolve();
      },
      commit(expected) {
        if (closed) return Promise.reject(new Error("Cannot commit a closed blob writer"));
        closed = true;
        const info = { digest: `sha256:${hash.digest("hex")}`, size: written };
        try {
          validateExpected(expected);
          checkExpected(info, expected, `blob ${expected?.digest ?? info.digest}`);
        } catch (e) {
          return Promise.reject(e);
        }
        const data = new Uint8Array(written);
        let off = 0;
        for (const c of chunks) {
          data.set(c, off);
          off += c.byteLength;
        }
        if (!blobs.has(info.digest)) blobs.set(info.digest, data);
        return Promise.resolve(info);
      },
      abort() {
        closed = true;
        chunks.length = 0;
        return Promise.resolve();
      },
    };
    return Promise.resolve(writer);
  }

  /** Stores a stream of bytes. */
  async ingest(stream: ReadableStream<Uint8Array>, expected?: ExpectedBlob): Promise<BlobInfo> {
    validateExpected(expected);
    const w = await this.writer();
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await w.write(value);
    }
    return await w.commit(expected);
  }

  /** Reads a blob; errors at the end if the bytes were corrupted. */
  get(digest: string): ReadableStream<Uint8Array> {
    const data = this.#blobs.get(digest);
    if (data === undefined) throw new BlobNotFoundError(digest);
    const actual = `sha256:${createHash("sha256").update(data).digest("hex")}`;
    let sent = false;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(data.slice());
          return;
        }
        if (actual !== digest) {
          controller.error(new DigestMismatchError(digest, actual, { what: `blob ${digest}` }));
        } else controller.close();
      },
    });
  }

  /** Reads a blob whole, verified. */
  readBytes(digest: string): Promise<Uint8Array> {
    const data = this.#blobs.get(digest);
    if (data === undefined) return Promise.reject(new BlobNotFoundError(digest));
    const actual = `sha256:${createHash("sha256").update(data).digest("hex")}`;
    if (actual !== digest) {
      return Promise.reject(new DigestMismatchError(digest, actual, { what: `blob ${digest}` }));
    }
    return Promise.resolve(data.slice());
  }

  /** Whether the blob is present. */
  has(digest: string): Promise<boolean> {
    return Promise.resolve(this.#blobs.has(digest));
  }

  /** Size of a blob. */
  size(digest: string): Promise<number | undefined> {
    return Promise.resolve(this.#blobs.get(digest)?.byteLength);
  }

  /** Removes a blob. */
  delete(digest: string): Promise<boolean> {
    return Promise.resolve(this.#blobs.delete(digest));
  }

  /** Every blob. */
  list(): Promise<BlobInfo[]> {
    return Promise.resolve(
      [...this.#blobs].map(([digest, data]) => ({ digest, size: data.byteLength })),
    );
  }

  /** Flips the first byte of a stored blob (for tests of verification). */
  corrupt(digest: string): void {
    const data = this.#blobs.get(digest);
    if (data !== undefined && data.byteLength > 0) data[0] = data[0]! ^ 0xff;
  }
}
