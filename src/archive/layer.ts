// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Layer writing: a list of changes (from {@linkcode diffTrees}) becomes a tar
 * stream, which is hashed (diffID), compressed, hashed again (digest) and
 * handed to a sink, all in one pass. Each stage pulls from the one before, so
 * a slow sink slows the file reads and the layer is never held in memory.
 *
 * Tar contents, kept deterministic (two runs over the same tree give the same
 * bytes):
 * - entries in change order (pre-order, names sorted by bytes); every parent
 *   directory of a change that is not itself a change is written before it,
 *   from the upper tree's lstat (containerd's `includeParents`);
 * - directories named with a trailing `/`; numeric uid/gid, empty uname and
 *   gname; mode = permission bits plus setuid/setgid/sticky; mtime in whole
 *   seconds (truncated), clamped to `sourceDateEpoch` when `rewriteTimestamp`
 *   is set (only times later than the epoch change, BuildKit's rule); no atime
 *   or ctime; PAX headers only where USTAR cannot hold a field;
 * - deletes as empty `.wh.<name>` files (mode 0, owner 0:0, mtime 0: containerd
 *   stamps them with the current time, which is not reproducible); a delete
 *   followed by an add of the same path writes only the add (appliers replace an
 *   existing path), except a directory replaced by a directory, which also gets
 *   an opaque marker `.wh..wh..opq` so that the old directory's children go;
 * - a regular file whose inode was already written in this layer becomes a
 *   hardlink entry to the first path; sockets are skipped (as containerd does);
 * - extended attributes are not written (out of scope for now, including
 *   `security.capability`).
 *
 * @module
 */

import {
  type DiffId,
  type Digest,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_LAYER_ZSTD,
} from "../oci/mod.ts";
import { createHash, fs, path as nodePath } from "../runtime/mod.ts";
import {
  COMPRESS_BLOCK_SIZE,
  compressChunks,
  type Compression,
  type CompressOptions,
  rechunk,
} from "./compression.ts";
import { type Change, type ChangeStat, diffTrees, lstatChange } from "./diff.ts";
import type { TarHeader } from "./tar_header.ts";
import { encodeTar, type TarWriterEntry } from "./tar_writer.ts";
import { whiteoutHeader } from "./whiteout.ts";

/** Where the compressed layer bytes go (the content store's writer). */
export interface LayerSink {
  /** Takes one chunk; the chunk is not reused by the writer after the call. */
  write(chunk: Uint8Array): Promise<void> | void;
}

/** Options for {@linkcode writeLayer}. */
export interface LayerOptions extends CompressOptions {
  /** Receives the compressed bytes. */
  sink: LayerSink;
  /** Default `"gzip"`. */
  compression?: Compression;
  /** SOURCE_DATE_EPOCH in seconds; used with `rewriteTimestamp`. */
  sourceDateEpoch?: number;
  /** Clamp entry mtimes later than `sourceDateEpoch` to it. */
  rewriteTimestamp?: boolean;
  /** Stops the export; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What a written layer is. */
export interface LayerResult {
  /** sha256 of the uncompressed tar. */
  diffId: DiffId;
  /** sha256 of the bytes given to the sink. */
  digest: Digest;
  /** Number of bytes given to the sink. */
  size: number;
  /** Length of the uncompressed tar. */
  uncompressedSize: number;
  /** OCI layer media type for the compression used. */
  mediaType: string;
  /** The compression used. */
  compression: Compression;
}

const MEDIA_TYPES: Record<Compression, string> = {
  gzip: MEDIA_TYPE_OCI_LAYER_GZIP,
  zstd: MEDIA_TYPE_OCI_LAYER_ZSTD,
  none: MEDIA_TYPE_OCI_LAYER,
};

/** Files up to this size are read in one call; larger ones stream in chunks of this size. */
const READ_CHUNK = 1 << 20;

/**
 * Writes the layer for `changes` (paths relative to `upperDir`, in the order
 * {@linkcode diffTrees} gives) to `options.sink`, and returns its diffID,
 * digest, sizes and media type.
 *
 * @example
 * ```ts
 * import { writeLayer } from "./layer.ts";
 * import { diffTrees } from "./diff.ts";
 * import { fs, os, path } from "../runtime/mod.ts";
 * const dir = fs.mkdtempSync(path.join(os.tmpdir(), "layer-"));
 * fs.writeFileSync(path.join(dir, "hello.txt"), "hi\n");
 * let size = 0;
 * const res = await writeLayer(diffTrees(undefined, dir), dir, {
 *   sink: { write: (c) => void (size += c.length) },
 * });
 * console.assert(res.size === size && res.diffId.startsWith("sha256:"));
 * fs.rmSync(dir, { recursive: true });
 * ```
 */
export async function writeLayer(
  changes: readonly Change[],
  upperDir: string,
  options: LayerOptions,
): Promise<LayerResult> {
  const compression = options.compression ?? "gzip";
  const diffHash = createHash("sha256");
  const digestHash = createHash("sha256");
  let uncompressedSize = 0;
  let size = 0;
  const signal = options.signal;
  signal?.throwIfAborted();

  // Fixed-size blocks: fewer hash and zlib calls, and compressed bytes that depend on the tar alone.
  const tar = rechunk(encodeTar(layerEntries(changes, upperDir, options)), COMPRESS_BLOCK_SIZE);
  async function* hashed(): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of tar) {
      diffHash.update(chunk);
      uncompressedSize += chunk.length;
      yield chunk;
    }
  }
  const level = options.level;
  const out = compressChunks(hashed(), compression, level === undefined ? {} : { level });
  for await (const chunk of out) {
    signal?.throwIfAborted();
    digestHash.update(chunk);
    size += chunk.length;
    await options.sink.write(chunk);
  }
  return {
    diffId: `sha256:${diffHash.digest("hex")}` as DiffId,
    digest: `sha256:${digestHash.digest("hex")}` as Digest,
    size,
    uncompressedSize,
    mediaType: MEDIA_TYPES[compression],
    compression,
  };
}

/**
 * Writes a layer holding the whole tree at `dir` (every entry an add), for
 * layers built on scratch.
 *
 * @example
 * ```ts
 * import { writeLayerFromTree } from "./layer.ts";
 * import { fs, os, path } from "../runtime/mod.ts";
 * const dir = fs.mkdtempSync(path.join(os.tmpdir(), "layer-"));
 * fs.mkdirSync(path.join(dir, "etc"));
 * const res = await writeLayerFromTree(dir, { sink: { write: () => {} }, compression: "none" });
 * console.assert(res.uncompressedSize === 512 + 1024);
 * fs.rmSync(dir, { recursive: true });
 * ```
 */
export function writeLayerFromTree(dir: string, options: LayerOptions): Promise<LayerResult> {
  return writeLayer(diffTrees(undefined, dir), dir, options);
}

/** Whole seconds (floor) of a nanosecond time. */
function seconds(ns: bigint): number {
  let s = ns / 1_000_000_000n;
  if (ns % 1_000_000_000n < 0n) s -= 1n;
  return Number(s);
}

/** Linux `major()`/`minor()` of a device number. */
function deviceNumbers(rdev: number): { devmajor: number; devminor: number } {
  const r = BigInt(rdev);
  const major = ((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn);
  const minor = (r & 0xffn) | ((r >> 12n) & ~0xffn);
  return { devmajor: Number(major), devminor: Number(minor) };
}

function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

async function* layerEntries(
  changes: readonly Change[],
  upperDir: string,
  options: LayerOptions,
): AsyncGenerator<TarWriterEntry, void, undefined> {
  const epoch = options.rewriteTimestamp ? options.sourceDateEpoch : undefined;
  const mtimeOf = (st: ChangeStat) => {
    const t = seconds(st.mtimeNs);
    return epoch !== undefined && t > epoch ? epoch : t;
  };
  const written = new Set<string>(); // directories already in the tar
  const inodes = new Map<string, string>(); // dev:ino → first tar name
  const replaced = new Set<string>();
  for (const c of changes) if (c.kind !== "delete") replaced.add(c.path);
  // A directory deleted and added again (overlayfs' opaque dir, `rm -rf d && mkdir d`):
  // the new one must hide the old one's children, which an opaque marker says.
  const deletedDirs = new Set<string>();
  for (const c of changes) {
    if (c.kind === "delete" && c.stat.kind === "dir") deletedDirs.add(c.path);
  }

  const headerFor = (p: string, st: ChangeStat, linkTarget: string | undefined): TarHeader => {
    const h: TarHeader = {
      name: st.kind === "dir" ? `${p}/` : p,
      type: "file",
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      mtime: mtimeOf(st),
    };
    switch (st.kind) {
      case "dir":
        h.type = "directory";
        break;
      case "symlink":
        h.type = "symlink";
        h.linkname = linkTarget ?? fs.readlinkSync(nodePath.join(upperDir, p));
        break;
      case "char":
      case "block":
        h.type = st.kind;
        Object.assign(h, deviceNumbers(st.rdev));
        break;
      case "fifo":
        h.type = "fifo";
        break;
      default:
        h.size = st.size;
    }
    return h;
  };

  /** Entries for the parents of `p` that are not in the tar yet, outermost first. */
  const parents = (p: string): TarWriterEntry[] => {
    const missing: string[] = [];
    for (let d = parentOf(p); d !== "" && !written.has(d); d = parentOf(d)) missing.push(d);
    const out: TarWriterEntry[] = [];
    for (const d of missing.reverse()) {
      const st = lstatChange(nodePath.join(upperDir, d));
      if (st.kind !== "dir") {
        throw new Error(
          `layer: parent ${JSON.stringify(d)} of ${JSON.stringify(p)} is not a directory`,
        );
      }
      written.add(d);
      out.push({ header: headerFor(d, st, undefined) });
    }
    return out;
  };

  for (const change of changes) {
    options.signal?.throwIfAborted();
    const p = change.path;
    if (change.kind === "delete") {
      if (replaced.has(p)) continue;
      yield* parents(p);
      yield { header: whiteoutHeader(p, { mtime: 0 }) };
      continue;
    }
    const st = change.stat;
    if (st.kind === "socket") continue;
    yield* parents(p);
    const header = headerFor(p, st, change.linkTarget);
    if (st.kind === "dir") {
      written.add(p);
      yield { header };
      if (deletedDirs.has(p)) yield { header: whiteoutHeader(p, { mtime: 0, opaque: true }) };
      continue;
    }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = inodes.get(key);
      if (first !== undefined) {
        yield { header: { ...header, type: "link", linkname: first, size: 0 } };
        continue;
      }
      inodes.set(key, p);
    }
    if (st.kind === "file" && st.size > 0) {
      yield { header, body: fileBody(nodePath.join(upperDir, p), st.size) };
    } else {
      yield { header };
    }
  }
}

/** The bytes of a file, which must still be `size` long. */
function fileBody(file: string, size: number): Uint8Array | Iterable<Uint8Array> {
  if (size <= READ_CHUNK) {
    const data = fs.readFileSync(file);
    if (data.length !== size) throw changedError(file, size, data.length);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return fileChunks(file, size);
}

function* fileChunks(file: string, size: number): Generator<Uint8Array, void, undefined> {
  const fd = fs.openSync(file, "r");
  try {
    let left = size;
    while (left > 0) {
      const buf = new Uint8Array(Math.min(READ_CHUNK, left));
      let n = 0;
      while (n < buf.length) {
        const r = fs.readSync(fd, buf, n, buf.length - n, null);
        if (r === 0) throw changedError(file, size, size - left + n);
        n += r;
      }
      left -= n;
      yield buf;
    }
    const extra = fs.readSync(fd, new Uint8Array(1), 0, 1, null);
    if (extra !== 0) throw changedError(file, size, size + extra);
  } finally {
    fs.closeSync(fd);
  }
}

function changedError(file: string, size: number, got: number): Error {
  return new Error(
    `layer: ${file} changed while it was being written (expected ${size} bytes, read ${got}${
      got > size ? "+" : ""
    })`,
  );
}
