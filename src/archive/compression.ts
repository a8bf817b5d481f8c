// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Layer compression: detection by magic bytes, and gzip/zstd compressors and
 * decompressors over `node:zlib`, both as web `TransformStream`s and as
 * pull-based async generators (what the layer writer uses: each input chunk is
 * handed to zlib only when the consumer asks for more output, so backpressure
 * runs from the sink back to the file reads).
 *
 * Gzip output: header mtime 0 (node's zlib never writes a time) and the
 * header's OS byte set to 255 ("unknown"), as Go's `compress/gzip` writes it
 * for BuildKit; node's zlib writes 3 ("Unix"). The deflate bytes still differ
 * from Go's (and between Deno and Bun), so a gzip layer's digest depends on the
 * runtime; its diffID does not.
 *
 * @module
 */

import { zlib } from "../runtime/mod.ts";

/** A layer compression this module can write. */
export type Compression = "gzip" | "zstd" | "none";

/** What {@linkcode detectCompression} can recognise. */
export type DetectedCompression = Compression | "bzip2" | "xz";

/** Options for the compressors. */
export interface CompressOptions {
  /**
   * Compression level: gzip 0–9 (default 6, `-1` for zlib's default), zstd
   * 1–22 (default 3; 0 means zstd's default). Ignored for `"none"`.
   */
  level?: number;
}

/** Size of the chunks zlib hands back (larger than its 16 KiB default: fewer, bigger writes). */
const OUTPUT_CHUNK = 64 * 1024;

/**
 * Compressors are fed blocks of exactly this size (the last may be shorter):
 * the zlib builds of Deno and Bun give different bytes for the same input
 * split differently, so a fixed split makes the output depend on the input
 * bytes alone.
 */
export const COMPRESS_BLOCK_SIZE = 256 * 1024;

/** Gzip header byte 9: the OS field. */
const GZIP_OS_OFFSET = 9;
/** The OS value Go's gzip writer uses ("unknown"). */
const GZIP_OS_UNKNOWN = 255;

/**
 * Detects the compression of a stream from its first bytes (at least 6 are
 * needed for xz, 4 for zstd, 3 for bzip2, 2 for gzip). Anything else is
 * `"none"` (a plain tar, or too few bytes to tell).
 *
 * @example
 * ```ts
 * import { detectCompression } from "./compression.ts";
 * console.assert(detectCompression(new Uint8Array([0x1f, 0x8b, 8])) === "gzip");
 * console.assert(detectCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd])) === "zstd");
 * console.assert(detectCompression(new Uint8Array([0x61])) === "none");
 * ```
 */
export function detectCompression(head: Uint8Array): DetectedCompression {
  const starts = (magic: number[]) =>
    head.length >= magic.length && magic.every((b, i) => head[i] === b);
  if (starts([0x1f, 0x8b])) return "gzip";
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (starts([0x42, 0x5a, 0x68])) return "bzip2";
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  return "none";
}

/**
 * Whether this runtime's `node:zlib` has zstd (`createZstdCompress` and
 * `createZstdDecompress`): true in Deno 2.9 and Bun 1.4, false in Node < 22.15.
 *
 * @example
 * ```ts
 * import { zstdAvailable } from "./compression.ts";
 * console.assert(typeof zstdAvailable() === "boolean");
 * ```
 */
export function zstdAvailable(): boolean {
  const z = zlib as unknown as Record<string, unknown>;
  return typeof z["createZstdCompress"] === "function" &&
    typeof z["createZstdDecompress"] === "function";
}

/** Thrown when a compression is not available in this runtime or not supported at all. */
export class CompressionError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CompressionError";
  }
}

/** The subset of a node zlib stream this module drives. */
interface ZlibStream {
  write(chunk: Uint8Array, cb: (err?: Error | null) => void): boolean;
  end(): void;
  destroy(err?: Error): void;
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
}

type ZstdFactory = (options: Record<string, unknown>) => ZlibStream;

function zstdFactory(name: "createZstdCompress" | "createZstdDecompress"): ZstdFactory {
  const f = (zlib as unknown as Record<string, unknown>)[name];
  if (typeof f !== "function") {
    throw new CompressionError(
      `zstd is not available in this runtime (node:zlib has no ${name}); ` +
        "use Deno >= 2.x or Bun >= 1.2, or choose gzip",
    );
  }
  return f as ZstdFactory;
}

function checkLevel(compression: Compression, level: number | undefined): void {
  if (level === undefined) return;
  if (!Number.isInteger(level)) {
    throw new CompressionError(`compression level must be an integer, got ${level}`);
  }
  if (compression === "gzip" && (level < -1 || level > 9)) {
    throw new CompressionError(`gzip compression level must be 0..9, got ${level}`);
  }
  if (compression === "zstd" && (level < 0 || level > 22)) {
    throw new CompressionError(`zstd compression level must be 0..22, got ${level}`);
  }
}

function newCompressor(compression: "gzip" | "zstd", level: number | undefined): ZlibStream {
  checkLevel(compression, level);
  if (compression === "gzip") {
    return zlib.createGzip({ level: level ?? 6, chunkSize: OUTPUT_CHUNK }) as unknown as ZlibStream;
  }
  const make = zstdFactory("createZstdCompress");
  const c = (zlib as unknown as { constants: Record<string, number> }).constants;
  const key = c["ZSTD_c_compressionLevel"] ?? 100;
  return make({ chunkSize: OUTPUT_CHUNK, params: { [key]: level ?? 3 } });
}

function newDecompressor(compression: "gzip" | "zstd"): ZlibStream {
  if (compression === "gzip") {
    return zlib.createGunzip({ chunkSize: OUTPUT_CHUNK }) as unknown as ZlibStream;
  }
  return zstdFactory("createZstdDecompress")({ chunkSize: OUTPUT_CHUNK });
}

/** Turns zlib's output events into a queue that can be drained and awaited. */
class OutputQueue {
  readonly chunks: Uint8Array[] = [];
  ended = false;
  error: Error | null = null;
  #wake: (() => void) | null = null;
  #pendingWrite: ((err: Error) => void) | null = null;

  constructor(z: ZlibStream) {
    z.on("data", (chunk) => {
      this.chunks.push(
        new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      );
      this.#notify();
    });
    z.on("end", () => {
      this.ended = true;
      this.#notify();
    });
    z.on("error", (err) => {
      this.error ??= err;
      // Bun does not always call the write callback when the stream fails.
      const fail = this.#pendingWrite;
      this.#pendingWrite = null;
      fail?.(err);
      this.#notify();
    });
  }

  /** Writes one chunk; resolves when zlib has taken it, rejects if the stream fails. */
  write(z: ZlibStream, chunk: Uint8Array): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    return new Promise<void>((resolve, reject) => {
      this.#pendingWrite = reject;
      z.write(chunk, (err) => {
        this.#pendingWrite = null;
        if (err) reject(err);
        else resolve();
      });
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** Resolves at the next event. */
  next(): Promise<void> {
    return new Promise<void>((r) => (this.#wake = r));
  }
}

/** Patches the OS byte of a gzip header as it streams past. */
function gzipOsPatcher(): (chunk: Uint8Array) => Uint8Array {
  let offset = 0;
  return (chunk) => {
    if (offset <= GZIP_OS_OFFSET && offset + chunk.length > GZIP_OS_OFFSET) {
      chunk[GZIP_OS_OFFSET - offset] = GZIP_OS_UNKNOWN;
    }
    offset += chunk.length;
    return chunk;
  };
}

/**
 * Runs chunks through a zlib stream, pulling the next input chunk only when
 * the consumer has taken all output so far.
 */
async function* throughZlib(
  z: ZlibStream,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  map: (chunk: Uint8Array) => Uint8Array,
): AsyncGenerator<Uint8Array, void, undefined> {
  const q = new OutputQueue(z);
  let finished = false;
  try {
    for await (const chunk of source) {
      if (q.error) throw q.error;
      if (chunk.length === 0) continue;
      await q.write(z, chunk);
      while (q.chunks.length > 0) yield map(q.chunks.shift()!);
    }
    z.end();
    while (true) {
      if (q.error) throw q.error;
      if (q.chunks.length > 0) {
        yield map(q.chunks.shift()!);
        continue;
      }
      if (q.ended) break;
      await q.next();
    }
    finished = true;
  } finally {
    if (!finished) z.destroy();
  }
}

/**
 * Compresses a sequence of chunks, pull-based: the source is read only as
 * fast as the output is consumed. The input is fed to the compressor in
 * {@linkcode COMPRESS_BLOCK_SIZE} blocks, so the output does not depend on how
 * the input was chunked. `"none"` passes chunks through.
 *
 * @example
 * ```ts
 * import { compressChunks } from "./compression.ts";
 * const out: Uint8Array[] = [];
 * for await (const c of compressChunks([new TextEncoder().encode("hi")], "gzip")) out.push(c);
 * console.assert(out[0]![0] === 0x1f && out[0]![9] === 255);
 * ```
 */
export function compressChunks(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  compression: Compression,
  options: CompressOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  if (compression === "none") return passThrough(source);
  const z = newCompressor(compression, options.level);
  const map = compression === "gzip" ? gzipOsPatcher() : (c: Uint8Array) => c;
  return throughZlib(z, rechunk(source, COMPRESS_BLOCK_SIZE), map);
}

/**
 * Re-splits a byte sequence into chunks of exactly `size` bytes (the last one
 * may be shorter). Full blocks inside large input chunks are passed as views
 * without copying; only the pieces that straddle a boundary are copied.
 *
 * @example
 * ```ts
 * import { rechunk } from "./compression.ts";
 * const sizes: number[] = [];
 * for await (const c of rechunk([new Uint8Array(5), new Uint8Array(6)], 4)) sizes.push(c.length);
 * console.assert(sizes.join() === "4,4,3");
 * ```
 */
export async function* rechunk(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  const r = new Rechunker(size);
  for await (const chunk of source) yield* r.push(chunk);
  const rest = r.rest();
  if (rest !== null) yield rest;
}

/** The state of {@linkcode rechunk}, for callers that are not generators. */
class Rechunker {
  readonly size: number;
  #buf: Uint8Array | null = null;
  #used = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** The full blocks completed by `chunk`. */
  push(chunk: Uint8Array): Uint8Array[] {
    const size = this.size;
    const out: Uint8Array[] = [];
    let off = 0;
    if (this.#buf !== null) {
      const take = Math.min(size - this.#used, chunk.length);
      this.#buf.set(chunk.subarray(0, take), this.#used);
      this.#used += take;
      off = take;
      if (this.#used < size) return out;
      out.push(this.#buf);
      this.#buf = null;
      this.#used = 0;
    }
    while (chunk.length - off >= size) {
      out.push(chunk.subarray(off, off + size));
      off += size;
    }
    if (off < chunk.length) {
      this.#buf = new Uint8Array(size);
      this.#buf.set(chunk.subarray(off), 0);
      this.#used = chunk.length - off;
    }
    return out;
  }

  /** The last, partial block, if any. */
  rest(): Uint8Array | null {
    const b = this.#buf;
    this.#buf = null;
    return b === null || this.#used === 0 ? null : b.subarray(0, this.#used);
  }
}

/**
 * Decompresses a sequence of chunks, pull-based. `"none"` passes chunks through.
 *
 * @example
 * ```ts
 * import { compressChunks, decompressChunks } from "./compression.ts";
 * const gz = compressChunks([new TextEncoder().encode("hi")], "gzip");
 * let text = "";
 * for await (const c of decompressChunks(gz, "gzip")) text += new TextDecoder().decode(c);
 * console.assert(text === "hi");
 * ```
 */
export function decompressChunks(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  compression: Compression,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (compression === "none") return passThrough(source);
  return throughZlib(newDecompressor(compression), source, (c) => c);
}

async function* passThrough(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const c of source) if (c.length > 0) yield c;
}

function zlibTransform(
  z: ZlibStream,
  map: (chunk: Uint8Array) => Uint8Array,
  blockSize: number | undefined,
): TransformStream<Uint8Array, Uint8Array> {
  const q = new OutputQueue(z);
  const blocks = blockSize === undefined ? null : new Rechunker(blockSize);
  const drain = (c: TransformStreamDefaultController<Uint8Array>) => {
    while (q.chunks.length > 0) c.enqueue(map(q.chunks.shift()!));
  };
  const feed = async (chunk: Uint8Array, c: TransformStreamDefaultController<Uint8Array>) => {
    if (q.error) throw q.error;
    if (chunk.length === 0) return;
    await q.write(z, chunk);
    drain(c);
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      if (blocks === null) return feed(chunk, controller);
      for (const b of blocks.push(chunk)) await feed(b, controller);
    },
    async flush(controller) {
      const rest = blocks?.rest();
      if (rest) await feed(rest, controller);
      z.end();
      while (true) {
        if (q.error) throw q.error;
        drain(controller);
        if (q.ended) break;
        await q.next();
      }
      drain(controller);
    },
    cancel() {
      z.destroy();
    },
  });
}

/**
 * A compressing `TransformStream` (identity for `"none"`). The input is fed to
 * the compressor in {@linkcode COMPRESS_BLOCK_SIZE} blocks, so the output does
 * not depend on how the input was chunked. Throws a
 * {@linkcode CompressionError} for zstd when the runtime lacks it, or for a
 * level out of range.
 *
 * @example
 * ```ts
 * import { createCompressStream, createDecompressStream } from "./compression.ts";
 * const text = await new Response(
 *   new Blob(["hello"]).stream()
 *     .pipeThrough(createCompressStream("gzip", { level: 9 }))
 *     .pipeThrough(createDecompressStream("gzip")),
 * ).text();
 * console.assert(text === "hello");
 * ```
 */
export function createCompressStream(
  compression: Compression,
  options: CompressOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  if (compression === "none") return new TransformStream<Uint8Array, Uint8Array>();
  const map = compression === "gzip" ? gzipOsPatcher() : (c: Uint8Array) => c;
  return zlibTransform(newCompressor(compression, options.level), map, COMPRESS_BLOCK_SIZE);
}

/**
 * A decompressing `TransformStream` (identity for `"none"`). Gzip input may hold
 * several members.
 *
 * @example
 * ```ts
 * import { createDecompressStream } from "./compression.ts";
 * const t = createDecompressStream("none");
 * console.assert(t.readable instanceof ReadableStream);
 * ```
 */
export function createDecompressStream(
  compression: Compression,
): TransformStream<Uint8Array, Uint8Array> {
  if (compression === "none") return new TransformStream<Uint8Array, Uint8Array>();
  return zlibTransform(newDecompressor(compression), (c) => c, undefined);
}
