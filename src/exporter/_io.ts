// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * I/O helpers private to src/exporter: verified blob streams, atomic file
 * output (temporary name next to the destination, fsync, rename), stdout
 * output with back-pressure, and Go-compatible JSON text.
 *
 * @module
 */

import type { ContentStore } from "../store/mod.ts";
import { createHash, fs, fsp, path, process, randomBytes } from "../runtime/mod.ts";
import { ExportError } from "./errors.ts";

/** The `sha256:<hex>` digest of some bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The hex part of a sha256 digest; throws an {@linkcode ExportError} for anything else. */
export function digestHex(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (m === null) {
    throw new ExportError(
      `Cannot export blob ${JSON.stringify(digest)}: only sha256 digests are supported`,
    );
  }
  return m[1]!;
}

/** What a blob must be: its digest and size. */
export interface BlobRef {
  /** `sha256:<hex>`. */
  digest: string;
  /** Exact byte count. */
  size: number;
}

/**
 * Streams a blob out of the store, hashing it on the way; throws an
 * {@linkcode ExportError} at the end when the bytes do not match `blob`
 * (so a corrupted store never yields a silently wrong export).
 */
export async function* verifiedBlob(
  store: ContentStore,
  blob: BlobRef,
): AsyncGenerator<Uint8Array, void, undefined> {
  const hash = createHash("sha256");
  let size = 0;
  const reader = store.get(blob.digest).getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      size += value.length;
      if (size > blob.size) {
        throw new ExportError(
          `blob ${blob.digest} is longer than its descriptor size ${blob.size}`,
        );
      }
      yield value;
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    if (e instanceof ExportError) throw e;
    throw new ExportError(`failed to read blob ${blob.digest}: ${errorText(e)}`, { cause: e });
  } finally {
    reader.releaseLock();
  }
  if (size !== blob.size) {
    throw new ExportError(
      `blob ${blob.digest} has ${size} bytes, its descriptor says ${blob.size}`,
    );
  }
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== blob.digest) {
    throw new ExportError(`unexpected digest ${actual} copied for blob ${blob.digest}`);
  }
}

/** The message of an unknown thrown value. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A temporary sibling name for `file` (same directory, so rename is atomic). */
export function tempSibling(file: string): string {
  const dir = path.dirname(file);
  return path.join(
    dir,
    `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
}

/** Syncs a directory so a rename inside it survives a crash (best effort). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse to sync directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes chunks to `file` atomically: to a temporary sibling first, synced,
 * then renamed over `file`. On any failure the temporary file is removed and
 * an existing `file` is left untouched.
 */
export async function writeFileAtomic(
  file: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: { mode?: number } = {},
): Promise<void> {
  const tmp = tempSibling(file);
  const handle = await fsp.open(tmp, "wx", options.mode ?? 0o644);
  let ok = false;
  try {
    for await (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    await fsp.rename(tmp, file);
    fsyncDir(path.dirname(file));
    ok = true;
  } finally {
    if (!ok) {
      await handle.close().catch(() => {});
      await fsp.rm(tmp, { force: true }).catch(() => {});
    }
  }
}

/** Writes chunks to the process's stdout, waiting for it to drain. */
export async function writeToStdout(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<void> {
  const out = process.stdout;
  for await (const chunk of chunks) {
    if (!out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: unknown) => {
          out.off("drain", onDrain);
          reject(e);
        };
        const onDrain = () => {
          out.off("error", onError);
          resolve();
        };
        out.once("drain", onDrain);
        out.once("error", onError);
      });
    }
  }
}

/** Writes chunks to `dest`: stdout for `-`, else atomically to the file. */
export function writeOutput(
  dest: string,
  chunks: AsyncIterable<Uint8Array>,
): Promise<void> {
  return dest === "-" ? writeToStdout(chunks) : writeFileAtomic(dest, chunks);
}

/** Iterates a byte stream. */
export async function* streamChunks(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * JSON text as Go's `encoding/json` writes it for the values exporters emit
 * (objects built in the wanted key order): `<`, `>`, `&`, U+2028 and U+2029
 * escaped; `indent` reproduces `json.MarshalIndent(v, "", indent)`.
 */
export function goJsonText(value: unknown, indent = ""): string {
  const text = indent === "" ? JSON.stringify(value) : JSON.stringify(value, null, indent);
  // These characters only occur inside JSON strings, so a global replace is exact.
  return text.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Compares strings by UTF-8 bytes (Go's string order). */
export function byteCompare(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  }
  return ea.length - eb.length;
}

/** A copy of a string map with keys in Go's sorted order. */
export function sortedRecord<T>(map: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(map).sort(byteCompare)) out[key] = map[key]!;
  return out;
}
