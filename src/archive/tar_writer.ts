// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Streaming tar writer. Entries go in (a header and a body of exactly
 * `header.size` bytes), tar bytes come out, pulled one chunk at a time so a
 * body of any size streams through with bounded memory. Output is
 * deterministic: the same entries give the same bytes (see `tar_header.ts` for
 * the format rules, which follow Go's `archive/tar`). The archive ends with two
 * zero blocks (1024 bytes).
 *
 * @module
 */

import {
  BLOCK_SIZE,
  encodeTarHeader,
  type EncodeTarHeaderOptions,
  padding,
  TarError,
  type TarHeader,
} from "./tar_header.ts";

/** A body: bytes, a byte stream, or any (async) iterable of byte chunks. */
export type TarBody =
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** One entry to write. The body must hold exactly `header.size` bytes (none when omitted). */
export interface TarWriterEntry {
  /** The entry's header. */
  header: TarHeader;
  /** The entry's contents; omit for entries without a body. */
  body?: TarBody;
}

/** Options for the tar writer. */
export interface TarWriterOptions extends EncodeTarHeaderOptions {}

/**
 * Encodes entries into tar chunks, lazily: each chunk is produced when asked
 * for, and body chunks are passed through without copying. Throws a
 * {@linkcode TarError} when a body is shorter or longer than its header's size.
 *
 * @example
 * ```ts
 * import { encodeTar } from "./tar_writer.ts";
 * let n = 0;
 * for await (
 *   const chunk of encodeTar([{
 *     header: { name: "hi.txt", type: "file", size: 2 },
 *     body: new TextEncoder().encode("hi"),
 *   }])
 * ) n += chunk.length;
 * console.assert(n === 512 + 512 + 1024);
 * ```
 */
export async function* encodeTar(
  entries: AsyncIterable<TarWriterEntry> | Iterable<TarWriterEntry>,
  options: TarWriterOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const entry of entries) {
    const header = encodeTarHeader(entry.header, options);
    yield header;
    const size = entry.header.size ?? 0;
    yield* writeBody(entry, size);
    const pad = padding(size);
    if (pad > 0) yield new Uint8Array(pad);
  }
  yield new Uint8Array(2 * BLOCK_SIZE);
}

async function* writeBody(entry: TarWriterEntry, size: number): AsyncGenerator<Uint8Array> {
  const body = entry.body;
  const name = JSON.stringify(entry.header.name);
  const tooLong = () =>
    new TarError(`tar entry ${name}: body is longer than the header size ${size}`);
  const tooShort = (n: number) =>
    new TarError(`tar entry ${name}: body has ${n} bytes, but the header size is ${size}`);
  if (body === undefined) {
    if (size !== 0) throw tooShort(0);
    return;
  }
  if (body instanceof Uint8Array) {
    if (body.length > size) throw tooLong();
    if (body.length < size) throw tooShort(body.length);
    if (size > 0) yield body;
    return;
  }
  let written = 0;
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    let done = false;
    try {
      while (true) {
        const r = await reader.read();
        if (r.done) {
          done = true;
          break;
        }
        const chunk = r.value;
        written += chunk.length;
        if (written > size) throw tooLong();
        if (chunk.length > 0) yield chunk;
      }
    } finally {
      if (!done) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  } else {
    for await (const chunk of body) {
      written += chunk.length;
      if (written > size) throw tooLong();
      if (chunk.length > 0) yield chunk;
    }
  }
  if (written < size) throw tooShort(written);
}

/**
 * A pull-based `ReadableStream` of tar bytes from entries: nothing is read
 * ahead beyond one chunk, so memory stays bounded whatever the body sizes.
 * Cancelling the stream cancels the body being read.
 *
 * @example
 * ```ts
 * import { createTarStream } from "./tar_writer.ts";
 * const tar = createTarStream([{ header: { name: "d/", type: "directory" } }]);
 * const bytes = new Uint8Array(await new Response(tar).arrayBuffer());
 * console.assert(bytes.length === 512 + 1024);
 * ```
 */
export function createTarStream(
  entries: AsyncIterable<TarWriterEntry> | Iterable<TarWriterEntry>,
  options: TarWriterOptions = {},
): ReadableStream<Uint8Array> {
  return generatorStream(encodeTar(entries, options));
}

/** Wraps an async generator as a pull-based readable stream. */
export function generatorStream<T>(
  gen: AsyncGenerator<T, void, undefined>,
  options: { highWaterMark?: number } = {},
): ReadableStream<T> {
  return new ReadableStream<T>({
    async pull(controller) {
      try {
        const r = await gen.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel(reason) {
      await gen.return(undefined).catch(() => {});
      void reason;
    },
  }, { highWaterMark: options.highWaterMark ?? 0 });
}

/**
 * The writer as a stream pair for `pipeThrough`: write {@linkcode TarWriterEntry}
 * values to `writable`, read tar bytes from `readable`. A write resolves once
 * its body has been fully read, so the readable side must be consumed
 * concurrently (e.g. start `pipeTo` before awaiting writes).
 *
 * @example
 * ```ts
 * import { TarWriterStream } from "./tar_writer.ts";
 * const tar = ReadableStream.from([{ header: { name: "d/", type: "directory" as const } }])
 *   .pipeThrough(new TarWriterStream());
 * const bytes = new Uint8Array(await new Response(tar).arrayBuffer());
 * console.assert(bytes.length === 1536);
 * ```
 */
export class TarWriterStream {
  /** Tar bytes. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Entries to write. */
  readonly writable: WritableStream<TarWriterEntry>;

  /** Creates the pair; `options` apply to every entry. */
  constructor(options: TarWriterOptions = {}) {
    const channel = new EntryChannel();
    this.writable = new WritableStream<TarWriterEntry>({
      write: (entry) => channel.put(entry),
      close: () => channel.close(),
      abort: (reason) => channel.abort(reason),
    }, { highWaterMark: 1 });
    this.readable = generatorStream(failInto(encodeTar(channel, options), channel));
  }
}

/** Passes the encoder's chunks on; on failure or cancel, rejects the pending write. */
async function* failInto(
  gen: AsyncGenerator<Uint8Array, void, undefined>,
  channel: EntryChannel,
): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    yield* gen;
  } catch (e) {
    channel.fail(e);
    throw e;
  } finally {
    channel.fail(new TarError("the tar stream was cancelled"));
  }
}

/**
 * The writer as a readable stream of tar bytes and a writer for entries.
 * Consume `readable` while writing; call `writer.close()` after the last entry
 * to finish the archive.
 *
 * @example
 * ```ts
 * import { createTarWriter } from "./tar_writer.ts";
 * const { readable, writer } = createTarWriter();
 * const done = new Response(readable).arrayBuffer();
 * await writer.write({ header: { name: "a", type: "file", size: 1 }, body: new Uint8Array([65]) });
 * await writer.close();
 * console.assert((await done).byteLength === 2048);
 * ```
 */
export function createTarWriter(options: TarWriterOptions = {}): {
  readable: ReadableStream<Uint8Array>;
  writer: WritableStreamDefaultWriter<TarWriterEntry>;
} {
  const pair = new TarWriterStream(options);
  return { readable: pair.readable, writer: pair.writable.getWriter() };
}

interface PendingWrite {
  entry: TarWriterEntry;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Hands entries from the writable side to the encoder, one at a time. */
class EntryChannel implements AsyncIterable<TarWriterEntry> {
  #item: PendingWrite | null = null;
  #orphan: PendingWrite | null = null;
  #wake: (() => void) | null = null;
  #closed = false;
  #failure: { reason: unknown } | null = null;

  put(entry: TarWriterEntry): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.reason);
    return new Promise<void>((resolve, reject) => {
      this.#item = { entry, resolve, reject };
      this.#notify();
    });
  }

  close(): void {
    this.#closed = true;
    this.#notify();
  }

  abort(reason: unknown): void {
    this.#failure = { reason };
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TarWriterEntry> {
    let current: PendingWrite | null = null;
    try {
      while (true) {
        if (this.#failure) throw this.#failure.reason;
        const item = this.#item;
        if (item) {
          this.#item = null;
          current = item;
          yield item.entry;
          current = null;
          item.resolve();
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((r) => (this.#wake = r));
      }
    } finally {
      // The encoder stopped while this entry was pending: failInto() rejects it with the cause.
      if (current) this.#orphan = current;
    }
  }

  /** Records the first failure and rejects the write whose entry was not finished. */
  fail(reason: unknown): void {
    this.#failure ??= { reason };
    const orphan = this.#orphan ?? this.#item;
    this.#orphan = null;
    this.#item = null;
    orphan?.reject(this.#failure.reason);
  }
}
