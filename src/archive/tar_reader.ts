// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Streaming tar reader. Reads USTAR, PAX (local records; global `g` headers
 * are skipped, as containerd ignores them), GNU (`L`/`K` long names, base-256
 * numbers) and V7 headers. Each entry's body is a stream over the archive
 * itself: it must be read or skipped before the next entry (moving on skips
 * what is left). Header checksums are checked strictly.
 *
 * Not supported: GNU sparse files (`S` entries and PAX `GNU.sparse.*` are
 * given as stored, with `type: "other"` for `S`).
 *
 * @module
 */

import {
  BLOCK_SIZE,
  decodePaxRecords,
  decodeTarHeaderBlock,
  entryTypeOf,
  isHeaderOnlyTypeflag,
  MAX_SPECIAL_FILE_SIZE,
  padding,
  parsePaxTime,
  parseTarString,
  PAX_XATTR_PREFIX,
  type TarEntryHeader,
  TarError,
  type TarFormat,
} from "./tar_header.ts";
import { generatorStream } from "./tar_writer.ts";

/** One entry read from an archive. */
export interface TarEntry {
  /** The decoded header. */
  readonly header: TarEntryHeader;
  /** The body: exactly the entry's data bytes (none for links, devices, dirs, fifos). */
  readonly body: ReadableStream<Uint8Array>;
  /** Skips the rest of the body; the body stream cannot be read afterwards. */
  skip(): Promise<void>;
  /** Reads the whole body into one array (for small entries). */
  bytes(): Promise<Uint8Array>;
}

/** Options for {@linkcode readTar}. */
export interface ReadTarOptions {
  /**
   * After the end-of-archive blocks, read the source to its end so that a hash
   * or tee upstream sees every byte. Default true.
   */
  drain?: boolean;
}

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** Buffered reads over a byte stream, tracking the offset. */
class ByteSource {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf: Uint8Array = EMPTY;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async #fill(): Promise<boolean> {
    while (this.#buf.length === 0) {
      const r = await this.#reader.read();
      if (r.done) return false;
      this.#buf = r.value;
    }
    return true;
  }

  /** Exactly `n` bytes, `null` at a clean end of stream; throws on a partial read. */
  async readExact(n: number): Promise<Uint8Array | null> {
    if (this.#buf.length >= n) {
      const out = this.#buf.subarray(0, n);
      this.#buf = this.#buf.subarray(n);
      this.offset += n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this.#fill())) {
        if (got === 0) return null;
        throw new TarError("unexpected end of archive", { offset: this.offset });
      }
      const take = Math.min(n - got, this.#buf.length);
      out.set(this.#buf.subarray(0, take), got);
      this.#buf = this.#buf.subarray(take);
      got += take;
      this.offset += take;
    }
    return out;
  }

  /** Up to `max` bytes (at least one), without copying; throws at end of stream. */
  async readSome(max: number): Promise<Uint8Array> {
    if (!(await this.#fill())) {
      throw new TarError("unexpected end of archive", { offset: this.offset });
    }
    const take = Math.min(max, this.#buf.length);
    const out = this.#buf.subarray(0, take);
    this.#buf = this.#buf.subarray(take);
    this.offset += take;
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) left -= (await this.readSome(left)).length;
  }

  async drain(): Promise<void> {
    this.offset += this.#buf.length;
    this.#buf = EMPTY;
    while (true) {
      const r = await this.#reader.read();
      if (r.done) return;
      this.offset += r.value.length;
    }
  }

  async cancel(reason: unknown): Promise<void> {
    await this.#reader.cancel(reason).catch(() => {});
  }

  release(): void {
    this.#reader.releaseLock();
  }
}

/** The body of the current entry: reads from the shared source until detached. */
class BodyState {
  remaining: number;
  #src: ByteSource;
  #pending: Promise<unknown> = Promise.resolve();
  #detached = false;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #finished = false;
  #skipping: Promise<void> | null = null;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(src: ByteSource, size: number) {
    this.#src = src;
    this.remaining = size;
    this.stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.#controller = c;
        if (size === 0) this.#finish();
      },
      pull: (c) => {
        const p = this.#pull(c);
        this.#pending = p.catch(() => {});
        return p;
      },
      cancel: () => {
        this.#finished = true;
      },
    }, { highWaterMark: 0 });
  }

  async #pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    if (this.#detached) {
      throw new TarError("tar entry body read after the reader moved to the next entry");
    }
    const chunk = await this.#src.readSome(Math.min(this.remaining, 1 << 20));
    this.remaining -= chunk.length;
    c.enqueue(chunk);
    if (this.remaining === 0) this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#controller?.close();
  }

  /** Waits for a read in flight, then stops the stream from touching the source. */
  async detach(): Promise<void> {
    await this.#pending;
    this.#detached = true;
    if (!this.#finished) {
      this.#finished = true;
      try {
        this.#controller?.error(
          new TarError("tar entry body was skipped: the reader moved to the next entry"),
        );
      } catch { /* already closed */ }
    }
  }

  /** Detaches the stream and skips what is left of the body (once; later calls share it). */
  skipRest(): Promise<void> {
    this.#skipping ??= (async () => {
      await this.detach();
      await this.#src.skip(this.remaining);
      this.remaining = 0;
    })();
    return this.#skipping;
  }
}

/**
 * Reads tar entries from a byte stream. Each entry's `body` must be consumed
 * (or skipped) before asking for the next entry; asking for the next entry
 * skips whatever is left of the previous body. Breaking out of the loop
 * cancels the source.
 *
 * @example
 * ```ts
 * import { readTar } from "./tar_reader.ts";
 * import { createTarStream } from "./tar_writer.ts";
 * const tar = createTarStream([{
 *   header: { name: "a.txt", type: "file", size: 2 },
 *   body: new TextEncoder().encode("hi"),
 * }]);
 * for await (const entry of readTar(tar)) {
 *   console.assert(entry.header.name === "a.txt");
 *   console.assert(new TextDecoder().decode(await entry.bytes()) === "hi");
 * }
 * ```
 */
export async function* readTar(
  source: ReadableStream<Uint8Array>,
  options: ReadTarOptions = {},
): AsyncGenerator<TarEntry, void, undefined> {
  const src = new ByteSource(source);
  let ok = false;
  try {
    let pax: Map<string, Uint8Array> | null = null;
    let longName: string | null = null;
    let longLink: string | null = null;
    let entryOffset = -1;
    while (true) {
      const offset = src.offset;
      const block = await src.readExact(BLOCK_SIZE);
      const raw = block === null ? null : decodeTarHeaderBlock(block, { offset });
      if (raw === null && entryOffset >= 0) {
        throw new TarError(
          "unexpected end of archive: a PAX or GNU long-name header has no entry",
          {
            offset,
          },
        );
      }
      if (block === null) break; // a clean end without the trailer is accepted
      if (raw === null) {
        const next = await src.readExact(BLOCK_SIZE);
        if (next === null || next.every((b) => b === 0)) break;
        throw new TarError("invalid tar header: a zero block is followed by data", {
          offset: offset + BLOCK_SIZE,
        });
      }
      if (entryOffset < 0) entryOffset = offset;
      const flag = raw.typeflag;
      if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
        if (raw.size > MAX_SPECIAL_FILE_SIZE) {
          throw new TarError(`tar ${flag} header body is larger than 1 MiB`, { offset });
        }
        const data = (await src.readExact(raw.size)) ?? new Uint8Array(0);
        if (data.length < raw.size) throw new TarError("unexpected end of archive", { offset });
        await src.skip(padding(raw.size));
        if (flag === "x") pax = decodePaxRecords(data, { offset });
        else if (flag === "L") longName = parseTarString(data);
        else if (flag === "K") longLink = parseTarString(data);
        // "g": global records are ignored, as containerd and Go's reader users do.
        continue;
      }

      if (flag === "S" && raw.format === "gnu" && block![482] !== 0) {
        // Old GNU sparse: extension blocks of the sparse map follow the header.
        let ext: Uint8Array | null;
        do {
          ext = await src.readExact(BLOCK_SIZE);
          if (ext === null) throw new TarError("unexpected end of archive", { offset: src.offset });
        } while (ext[504] !== 0);
      }
      let typeflag = flag;
      let format: TarFormat = raw.format;
      const header: TarEntryHeader = {
        name: raw.name,
        type: "other",
        typeflag,
        linkname: raw.linkname,
        size: raw.size,
        mode: raw.mode,
        uid: raw.uid,
        gid: raw.gid,
        uname: raw.uname,
        gname: raw.gname,
        mtime: raw.mtime,
        mtimeNsec: 0,
        devmajor: raw.devmajor,
        devminor: raw.devminor,
        xattrs: {},
        paxRecords: {},
        format,
        offset: entryOffset,
      };
      if (pax) {
        applyPax(header, pax, offset);
        format = "pax";
        header.format = format;
      }
      if (longName !== null) header.name = longName;
      if (longLink !== null) header.linkname = longLink;
      if (typeflag === "\0") typeflag = header.name.endsWith("/") ? "5" : "0";
      header.typeflag = typeflag;
      header.type = entryTypeOf(typeflag);
      pax = null;
      longName = null;
      longLink = null;
      entryOffset = -1;

      const dataSize = isHeaderOnlyTypeflag(typeflag) ? 0 : header.size;
      const body = new BodyState(src, dataSize);
      const entry: TarEntry = {
        header,
        body: body.stream,
        skip: () => body.skipRest(),
        bytes: () => readAll(body.stream, dataSize),
      };
      yield entry;
      await body.skipRest();
      await src.skip(padding(dataSize));
    }
    ok = true;
  } finally {
    if (ok) {
      if (options.drain ?? true) await src.drain();
      src.release();
    } else {
      await src.cancel(new TarError("tar reading stopped"));
    }
  }
}

function applyPax(header: TarEntryHeader, pax: Map<string, Uint8Array>, offset: number): void {
  const int = (key: string, v: string): number => {
    if (!/^-?\d+$/.test(v)) {
      throw new TarError(`invalid PAX ${key} ${JSON.stringify(v)}`, { offset });
    }
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new TarError(`PAX ${key} out of range`, { offset });
    return n;
  };
  for (const [key, bytes] of pax) {
    if (key.startsWith(PAX_XATTR_PREFIX)) {
      header.xattrs[key.slice(PAX_XATTR_PREFIX.length)] = bytes.slice();
      continue;
    }
    const v = decoder.decode(bytes);
    header.paxRecords[key] = v;
    switch (key) {
      case "path":
        header.name = v;
        break;
      case "linkpath":
        header.linkname = v;
        break;
      case "uname":
        header.uname = v;
        break;
      case "gname":
        header.gname = v;
        break;
      case "uid":
        header.uid = int(key, v);
        break;
      case "gid":
        header.gid = int(key, v);
        break;
      case "size": {
        const n = int(key, v);
        if (n < 0) throw new TarError("negative PAX size", { offset });
        header.size = n;
        break;
      }
      case "mtime": {
        const t = parsePaxTime(v);
        header.mtime = t.sec;
        header.mtimeNsec = t.nsec;
        break;
      }
    }
  }
}

async function readAll(stream: ReadableStream<Uint8Array>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let off = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const r = await reader.read();
      if (r.done) break;
      out.set(r.value, off);
      off += r.value.length;
    }
  } finally {
    reader.releaseLock();
  }
  return off === size ? out : out.subarray(0, off);
}

/**
 * The reader as a stream pair for `pipeThrough`: write tar bytes to
 * `writable`, read {@linkcode TarEntry} values from `readable`. Entries are
 * produced only when asked for (high-water mark 0), so the previous body is
 * skipped only when the next entry is read.
 *
 * @example
 * ```ts
 * import { TarReaderStream } from "./tar_reader.ts";
 * import { createTarStream } from "./tar_writer.ts";
 * const entries = createTarStream([{ header: { name: "d/", type: "directory" } }])
 *   .pipeThrough(new TarReaderStream());
 * for await (const e of entries) console.assert(e.header.type === "directory");
 * ```
 */
export class TarReaderStream {
  /** Entries. */
  readonly readable: ReadableStream<TarEntry>;
  /** Tar bytes. */
  readonly writable: WritableStream<Uint8Array>;

  /** Creates the pair. */
  constructor(options: ReadTarOptions = {}) {
    const bytes = new TransformStream<Uint8Array, Uint8Array>();
    this.writable = bytes.writable;
    this.readable = generatorStream(readTar(bytes.readable, options));
  }
}
