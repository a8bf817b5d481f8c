// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Applying a layer to a directory: decompress (detected by magic bytes), read
 * the tar, and change the tree as the OCI layer spec says: whiteouts delete,
 * opaque markers hide the directory's existing children, everything else is
 * created or replaced.
 *
 * Safety rules (a layer is untrusted input):
 * - entry names are cleaned: a leading `/` is dropped, `.` and `a/..` are
 *   folded; a name whose `..` climbs above the root is refused;
 * - the parent of every entry is resolved component by component inside the
 *   root: a symlink met on the way is followed as if the root were `/`
 *   (absolute targets start at the root), and one whose target climbs above
 *   the root is refused; the last component is never followed;
 * - hardlink targets are resolved the same way and must exist inside the root;
 * - an existing path is replaced by unlink + create, never written in place
 *   (snapshots share inodes by hardlink); a directory entry keeps an existing
 *   directory and only updates its metadata.
 *
 * Metadata: mode always; uid/gid and device nodes only when privileged (root
 * by default; otherwise devices are skipped with a warning); mtimes on
 * directories are set after all entries. Extended attributes cannot be set
 * from this runtime (no xattr API in node:fs): each entry carrying them adds a
 * warning.
 *
 * @module
 */

import type { DiffId } from "../oci/mod.ts";
import {
  createHash,
  fs,
  lchownSquashSync,
  path as nodePath,
  process,
  spawnSync,
} from "../runtime/mod.ts";
import { type Compression, decompressChunks, detectCompression } from "./compression.ts";
import type { TarEntryHeader } from "./tar_header.ts";
import { readTar, type TarEntry } from "./tar_reader.ts";
import { generatorStream } from "./tar_writer.ts";
import { parseWhiteout } from "./whiteout.ts";

/** Options for {@linkcode applyLayer}. */
export interface ApplyOptions {
  /** The stream's compression; default `"auto"` (detected from its first bytes). */
  compression?: Compression | "auto";
  /**
   * Whether to chown entries and create device nodes. Default: the process
   * runs as root.
   */
  privileged?: boolean;
  /** Stops the apply; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@linkcode applyLayer} did. */
export interface ApplyResult {
  /** sha256 of the uncompressed tar, to compare with the expected diffID. */
  diffId: DiffId;
  /** Length of the uncompressed tar. */
  uncompressedSize: number;
  /** The compression that was read. */
  compression: Compression;
  /** Entries skipped or partly applied (devices when unprivileged, xattrs). */
  warnings: string[];
}

/** Thrown for a layer entry that would write outside the target directory. */
export class UnsafeLayerError extends Error {
  /** The offending entry name. */
  readonly entry: string;
  /** Builds the error. */
  constructor(entry: string, why: string) {
    super(`refusing layer entry ${JSON.stringify(entry)}: ${why}`);
    this.name = "UnsafeLayerError";
    this.entry = entry;
  }
}

const MAX_SYMLINKS = 255;

/**
 * Cleans an entry name into root-relative components. Throws an
 * {@linkcode UnsafeLayerError} when `..` climbs above the root.
 *
 * @example
 * ```ts
 * import { cleanEntryPath } from "./apply.ts";
 * console.assert(cleanEntryPath("/usr/./bin/../lib/").join("/") === "usr/lib");
 * let threw = false;
 * try { cleanEntryPath("a/../../etc"); } catch { threw = true; }
 * console.assert(threw);
 * ```
 */
export function cleanEntryPath(name: string): string[] {
  const out: string[] = [];
  for (const seg of name.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) throw new UnsafeLayerError(name, "the path climbs above the root");
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out;
}

/** Resolves directory components inside a root, following symlinks chroot-style. */
class RootResolver {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  /**
   * The real directory that `parts` names, every component inside the root.
   * With `create`, missing directories are made (mode 0755).
   */
  resolveDir(parts: readonly string[], entry: string, create: boolean): string {
    const stack: string[] = [];
    const todo = [...parts].reverse();
    let hops = 0;
    while (todo.length > 0) {
      const c = todo.pop()!;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        if (stack.length === 0) {
          throw new UnsafeLayerError(entry, "a symlink in its path climbs above the root");
        }
        stack.pop();
        continue;
      }
      const abs = nodePath.join(this.root, ...stack, c);
      let st: ReturnType<typeof fs.lstatSync> | undefined;
      try {
        st = fs.lstatSync(abs);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (st === undefined) {
        if (!create) throw notFound(entry, stack, c);
        fs.mkdirSync(abs, { mode: 0o755 });
        stack.push(c);
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINKS) {
          throw new UnsafeLayerError(entry, "too many symlinks in its path");
        }
        const target = fs.readlinkSync(abs);
        if (target.startsWith("/")) {
          stack.length = 0;
          // The root's `..` is the root itself, as for "/" on a real system.
          const cleaned = nodePath.posix.normalize(target).split("/");
          for (let i = cleaned.length - 1; i >= 0; i--) {
            if (cleaned[i] !== "..") todo.push(cleaned[i]!);
          }
        } else {
          const segs = target.split("/");
          for (let i = segs.length - 1; i >= 0; i--) todo.push(segs[i]!);
        }
        continue;
      }
      if (!st.isDirectory()) {
        throw new Error(
          `layer entry ${JSON.stringify(entry)}: ${[...stack, c].join("/")} is not a directory`,
        );
      }
      stack.push(c);
    }
    return nodePath.join(this.root, ...stack);
  }
}

function notFound(entry: string, stack: string[], c: string): Error {
  return new Error(
    `layer entry ${JSON.stringify(entry)}: ${[...stack, c].join("/")} does not exist`,
  );
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === "ENOENT";
}

function lstatOrUndefined(p: string): ReturnType<typeof fs.lstatSync> | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Removes whatever is at `p` (a file, a symlink, or a whole directory tree). */
function removeAll(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}

/** Reads the first bytes of a stream to detect its compression; yields everything. */
async function* withHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  onHead: (head: Uint8Array) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const head: Uint8Array[] = [];
  let n = 0;
  let done = false;
  try {
    while (n < 6) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        break;
      }
      head.push(r.value);
      n += r.value.length;
    }
    const first = new Uint8Array(n);
    let off = 0;
    for (const h of head) {
      first.set(h, off);
      off += h.length;
    }
    onHead(first);
    if (n > 0) yield first;
    while (!done) {
      const r = await reader.read();
      if (r.done) break;
      yield r.value;
    }
    done = true;
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Applies a layer (a possibly compressed tar stream) to `targetDir`, which
 * must exist. Returns the diffID computed over the uncompressed tar, so the
 * caller can check it against the image config.
 *
 * @example
 * ```ts
 * import { applyLayer } from "./apply.ts";
 * import { createTarStream } from "./tar_writer.ts";
 * import { fs, os, path } from "../runtime/mod.ts";
 * const dir = fs.mkdtempSync(path.join(os.tmpdir(), "apply-"));
 * const tar = createTarStream([{ header: { name: "etc/", type: "directory" } }]);
 * const res = await applyLayer(tar, dir);
 * console.assert(fs.statSync(path.join(dir, "etc")).isDirectory());
 * console.assert(res.diffId.startsWith("sha256:"));
 * fs.rmSync(dir, { recursive: true });
 * ```
 */
export async function applyLayer(
  stream: ReadableStream<Uint8Array>,
  targetDir: string,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const root = nodePath.resolve(targetDir);
  if (!fs.statSync(root).isDirectory()) throw new Error(`apply: ${root} is not a directory`);
  const privileged = options.privileged ?? process.getuid?.() === 0;

  let compression: Compression = "none";
  const wanted = options.compression ?? "auto";
  const raw = withHead(stream.getReader(), (head) => {
    if (wanted !== "auto") {
      compression = wanted;
      return;
    }
    const d = detectCompression(head);
    if (d === "bzip2" || d === "xz") {
      throw new Error(`apply: ${d} layers are not supported (only gzip, zstd and plain tar)`);
    }
    compression = d;
  });
  // The decompressor is chosen once the head has been seen.
  async function* decompressed(): AsyncGenerator<Uint8Array, void, undefined> {
    const first = await raw.next();
    if (first.done) return;
    async function* all(): AsyncGenerator<Uint8Array, void, undefined> {
      yield first.value as Uint8Array;
      yield* raw;
    }
    yield* decompressChunks(all(), compression);
  }
  const hash = createHash("sha256");
  let uncompressedSize = 0;
  async function* hashed(): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const c of decompressed()) {
      hash.update(c);
      uncompressedSize += c.length;
      yield c;
    }
  }

  const applier = new Applier(root, privileged);
  for await (const entry of readTar(generatorStream(hashed()))) {
    signal?.throwIfAborted();
    await applier.apply(entry);
  }
  applier.finish();
  return {
    diffId: `sha256:${hash.digest("hex")}` as DiffId,
    uncompressedSize,
    compression,
    warnings: applier.warnings,
  };
}

/** Metadata of a directory, set once all entries are written. */
interface DirMetadata {
  path: string;
  mode: number;
  atime: number;
  mtime: number;
}

class Applier {
  readonly root: string;
  readonly privileged: boolean;
  readonly warnings: string[] = [];
  readonly #resolver: RootResolver;
  /** Root-relative paths written by this layer (kept by opaque markers). */
  readonly #unpacked = new Set<string>();
  readonly #dirs: DirMetadata[] = [];

  constructor(root: string, privileged: boolean) {
    this.root = root;
    this.privileged = privileged;
    this.#resolver = new RootResolver(root);
  }

  async apply(entry: TarEntry): Promise<void> {
    const h = entry.header;
    const parts = cleanEntryPath(h.name);
    const rel = parts.join("/");
    const wh = parseWhiteout(rel);
    if (wh !== undefined) {
      await entry.skip();
      if (wh.kind === "meta") return;
      if (wh.kind === "opaque") return this.#opaque(wh.path, h.name);
      return this.#whiteout(wh.path, h.name);
    }
    if (parts.length === 0) {
      await entry.skip();
      if (h.type !== "directory") {
        throw new UnsafeLayerError(h.name, "a non-directory entry names the root");
      }
      this.#setMetadata(this.root, h, true);
      return;
    }
    const dir = this.#resolver.resolveDir(parts.slice(0, -1), h.name, true);
    const target = nodePath.join(dir, parts[parts.length - 1]!);
    const existing = lstatOrUndefined(target);
    this.#unpacked.add(rel);

    switch (h.type) {
      case "directory":
        if (existing && !existing.isDirectory()) removeAll(target);
        if (!existing || !existing.isDirectory()) fs.mkdirSync(target, { mode: 0o700 });
        await entry.skip();
        this.#setMetadata(target, h, true);
        return;
      case "file":
        if (existing) removeAll(target);
        await this.#writeFile(target, entry);
        this.#setMetadata(target, h, false);
        return;
      case "symlink":
        await entry.skip();
        if (existing) removeAll(target);
        fs.symlinkSync(h.linkname, target);
        this.#setMetadata(target, h, false);
        return;
      case "link": {
        await entry.skip();
        const source = this.#hardlinkSource(h);
        if (existing) {
          if (source === target) return;
          removeAll(target);
        }
        fs.linkSync(source, target);
        return;
      }
      case "char":
      case "block":
      case "fifo":
        await entry.skip();
        if (!this.privileged && h.type !== "fifo") {
          this.warnings.push(`skipped ${h.type} device ${rel}: not privileged`);
          this.#unpacked.delete(rel);
          return;
        }
        if (existing) removeAll(target);
        this.#mknod(target, h, rel);
        return;
      default:
        await entry.skip();
        this.warnings.push(
          `skipped ${rel}: unsupported tar entry type ${JSON.stringify(h.typeflag)}`,
        );
        this.#unpacked.delete(rel);
    }
  }

  /**
   * Sets directory modes and times last, deepest first: writing children would
   * change a directory's mtime, and a read-only mode would stop the writes.
   */
  finish(): void {
    for (let i = this.#dirs.length - 1; i >= 0; i--) {
      const d = this.#dirs[i]!;
      const st = lstatOrUndefined(d.path);
      if (!st?.isDirectory()) continue; // removed or replaced later in the layer
      fs.chmodSync(d.path, d.mode);
      fs.utimesSync(d.path, d.atime, d.mtime);
    }
  }

  #whiteout(path: string, entry: string): void {
    const parts = cleanEntryPath(path);
    if (parts.length === 0) throw new UnsafeLayerError(entry, "a whiteout names the root");
    let dir: string;
    try {
      dir = this.#resolver.resolveDir(parts.slice(0, -1), entry, false);
    } catch (e) {
      if (e instanceof UnsafeLayerError) throw e;
      return; // the parent does not exist: nothing to delete
    }
    removeAll(nodePath.join(dir, parts[parts.length - 1]!));
  }

  #opaque(path: string, entry: string): void {
    const parts = cleanEntryPath(path);
    const dir = this.#resolver.resolveDir(parts, entry, true);
    const prefix = parts.join("/");
    this.#unpacked.add(prefix);
    const clear = (abs: string, rel: string) => {
      for (const name of fs.readdirSync(abs)) {
        const childRel = rel === "" ? name : `${rel}/${name}`;
        const childAbs = nodePath.join(abs, name);
        if (!this.#unpacked.has(childRel)) {
          removeAll(childAbs);
        } else if (fs.lstatSync(childAbs).isDirectory()) {
          clear(childAbs, childRel);
        }
      }
    };
    clear(dir, prefix);
  }

  #hardlinkSource(h: TarEntryHeader): string {
    const parts = cleanEntryPath(h.linkname);
    if (parts.length === 0) throw new UnsafeLayerError(h.name, "a hardlink to the root");
    const dir = this.#resolver.resolveDir(parts.slice(0, -1), h.name, false);
    const source = nodePath.join(dir, parts[parts.length - 1]!);
    const st = lstatOrUndefined(source);
    if (st === undefined) {
      throw new Error(
        `layer entry ${JSON.stringify(h.name)}: hardlink target ${
          JSON.stringify(h.linkname)
        } does not exist in the layer or below`,
      );
    }
    if (st.isDirectory()) {
      throw new UnsafeLayerError(h.name, "a hardlink to a directory");
    }
    return source;
  }

  async #writeFile(target: string, entry: TarEntry): Promise<void> {
    const c = fs.constants;
    const fd = fs.openSync(
      target,
      c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW,
      0o600,
    );
    try {
      const reader = entry.body.getReader();
      while (true) {
        const r = await reader.read();
        if (r.done) break;
        let off = 0;
        while (off < r.value.length) {
          off += fs.writeSync(fd, r.value, off, r.value.length - off);
        }
      }
      reader.releaseLock();
    } finally {
      fs.closeSync(fd);
    }
  }

  #mknod(target: string, h: TarEntryHeader, rel: string): void {
    const kind = h.type === "char" ? "c" : h.type === "block" ? "b" : "p";
    const args = ["-m", (h.mode & 0o7777).toString(8), target, kind];
    if (kind !== "p") args.push(String(h.devmajor), String(h.devminor));
    const r = spawnSync("mknod", args, { stdio: ["ignore", "ignore", "pipe"] });
    if (r.error || r.status !== 0) {
      const why = r.error?.message ?? String(r.stderr ?? "").trim();
      this.warnings.push(`skipped ${h.type} ${rel}: mknod failed: ${why}`);
      this.#unpacked.delete(rel);
      return;
    }
    this.#setMetadata(target, h, false);
  }

  #setMetadata(target: string, h: TarEntryHeader, isDir: boolean): void {
    const isLink = h.type === "symlink";
    if (this.privileged) lchownSquashSync(target, h.uid, h.gid);
    // chmod after chown: chown clears setuid/setgid. Symlinks have no mode on Linux.
    if (!isLink && !isDir) fs.chmodSync(target, h.mode & 0o7777);
    if (Object.keys(h.xattrs).length > 0) {
      this.warnings.push(
        `xattrs of ${h.name} not applied (${Object.keys(h.xattrs).join(", ")}): ` +
          "this runtime cannot set extended attributes",
      );
    }
    const mtime = h.mtime + h.mtimeNsec / 1e9;
    const atimeRecord = h.paxRecords["atime"];
    const atime = atimeRecord !== undefined && /^-?\d+(\.\d+)?$/.test(atimeRecord)
      ? Math.max(Number(atimeRecord), mtime)
      : mtime;
    if (isDir) this.#dirs.push({ path: target, mode: h.mode & 0o7777, atime, mtime });
    else fs.lutimesSync(target, atime, mtime);
  }
}
