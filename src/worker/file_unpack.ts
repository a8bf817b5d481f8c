// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * `ADD` of a local archive (BuildKit's `solver/llbsolver/file/unpack.go`):
 * a source file that is a tar archive — plain, gzip, bzip2, xz or zstd,
 * recognised by its magic bytes and by a readable first tar header — is
 * extracted into the destination directory instead of being copied.
 *
 * Extraction follows Docker's `Untar` (moby/go-archive): entries are confined
 * to the destination as if it were `/` (symlinks on the way resolved inside
 * it, `..` cannot climb out, hardlink targets and relative symlink targets
 * that leave it are refused), an existing entry is replaced unless both are
 * directories, missing parents are created 0755 and owned by root, ownership
 * comes from the headers unless a chown is given, directory times are set
 * last. Whiteout files (`.wh.*`) are NOT interpreted: they are extracted like
 * any file. Extended attributes are not restored.
 *
 * gzip and zstd are decoded with the runtime's zlib; bzip2 and xz with the
 * `bzip2` and `xz` programs. When a decoder is missing the file is not
 * treated as an archive (it is copied as is) and a note is given.
 *
 * @module
 */

import { readTar, type TarEntryHeader } from "../archive/mod.ts";
import { fs, fsp, path, process, spawn, spawnSync, zlib } from "../runtime/mod.ts";
import { lchownPath, makeSpecialFile, mkdirAll, setTimes } from "./file_copy.ts";
import type { Owner } from "./file_owner.ts";
import { resolveInRoot } from "./path_safe.ts";

/** Compressions recognised for archives. */
export type ArchiveCompression = "none" | "gzip" | "bzip2" | "xz" | "zstd";

/** Options of {@linkcode tryUnpack} and {@linkcode extractArchive}. */
export interface UnpackOptions {
  /** Owner of every extracted entry (default: the headers' uid/gid). */
  owner?: Owner | undefined;
  /** Unix seconds for the destination directory when it is created. */
  time?: number | undefined;
  /** Receives notes (e.g. a missing decoder). */
  log?: ((message: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** Detects a compression from the first bytes of a file. */
export function detectArchiveCompression(head: Uint8Array): ArchiveCompression {
  const starts = (magic: number[]) =>
    head.length >= magic.length && magic.every((b, i) => head[i] === b);
  if (starts([0x1f, 0x8b, 0x08])) return "gzip";
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (starts([0x42, 0x5a, 0x68])) return "bzip2";
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  return "none";
}

const programs = new Map<string, boolean>();

function hasProgram(name: string): boolean {
  let ok = programs.get(name);
  if (ok === undefined) {
    const r = spawnSync(name, ["--help"], { stdio: "ignore" });
    ok = r.error === undefined;
    programs.set(name, ok);
  }
  return ok;
}

function zstdDecoder(): (() => NodeLikeStream) | undefined {
  const z = zlib as unknown as Record<string, unknown>;
  const f = z["createZstdDecompress"];
  return typeof f === "function" ? () => (f as () => NodeLikeStream)() : undefined;
}

// deno-lint-ignore no-explicit-any
type NodeLikeStream = any;

async function readHead(file: string, n: number): Promise<Uint8Array> {
  const fh = await fsp.open(file, "r");
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A decoded byte stream of `file` plus a check of the decoder's exit. */
interface Decoded {
  stream: ReadableStream<Uint8Array>;
  /** Resolves when the decoder ended well; rejects with its error otherwise. */
  done: Promise<void>;
  /** Stops the decoder. */
  close(): void;
}

function nodeToWeb(src: NodeLikeStream, onCancel: () => void): ReadableStream<Uint8Array> {
  const it = (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.length));
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel() {
      onCancel();
      await it.return?.();
    },
  });
}

/** Opens a decoded stream, or undefined when this compression cannot be decoded here. */
function openDecoded(
  file: string,
  compression: ArchiveCompression,
): Decoded | undefined {
  if (compression === "bzip2" || compression === "xz") {
    const prog = compression;
    if (!hasProgram(prog)) return undefined;
    const child = spawn(prog, ["-dc", file], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Uint8Array) => {
      stderr += new TextDecoder().decode(d);
    });
    let killed = false;
    const done = new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code: number | null) => {
        if (code === 0 || killed) resolve();
        else reject(new Error(`${prog} failed (exit ${code}): ${stderr.trim()}`));
      });
    });
    const close = () => {
      if (child.exitCode === null) {
        killed = true;
        child.kill();
      }
    };
    return { stream: nodeToWeb(child.stdout, close), done, close };
  }
  const input = fs.createReadStream(file);
  let decoder: NodeLikeStream | undefined;
  if (compression === "gzip") decoder = zlib.createGunzip();
  else if (compression === "zstd") {
    const make = zstdDecoder();
    if (make === undefined) {
      input.destroy();
      return undefined;
    }
    decoder = make();
  }
  const out: NodeLikeStream = decoder === undefined ? input : input.pipe(decoder);
  let failure: unknown;
  input.on("error", (e: unknown) => {
    failure = e;
    out.destroy(e);
  });
  const close = () => {
    input.destroy();
    if (out !== input) out.destroy();
  };
  const done = new Promise<void>((resolve, reject) => {
    out.on("end", () => (failure === undefined ? resolve() : reject(failure)));
    out.on("close", () => (failure === undefined ? resolve() : reject(failure)));
    out.on("error", (e: unknown) => reject(e));
  });
  done.catch(() => {});
  return { stream: nodeToWeb(out, close), done, close };
}

/**
 * The compression of `file` if it is a tar archive this runtime can read
 * (its first header decodes), else undefined. Symlinks and non-regular files
 * are never archives.
 */
export async function detectArchive(
  file: string,
  options: { log?: ((message: string) => void) | undefined } = {},
): Promise<ArchiveCompression | undefined> {
  const st = await fsp.lstat(file);
  if (!st.isFile()) return undefined;
  const compression = detectArchiveCompression(await readHead(file, 8));
  const decoded = openDecoded(file, compression);
  if (decoded === undefined) {
    options.log?.(
      `cannot decode ${compression} here (missing decoder): ${path.basename(file)} is copied as is`,
    );
    return undefined;
  }
  try {
    for await (const _entry of readTar(decoded.stream, { drain: false })) {
      return compression;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    decoded.close();
  }
}

/**
 * Extracts `file` when it is a tar archive into `destDir` (a host path
 * already resolved inside its root; created 0755 when missing). Returns false
 * (and does nothing) when the file is not an archive.
 */
export async function tryUnpack(
  file: string,
  destDir: string,
  options: UnpackOptions = {},
): Promise<boolean> {
  const compression = await detectArchive(file, { log: options.log });
  if (compression === undefined) return false;
  await mkdirAll(destDir, 0o755, { owner: options.owner, time: options.time });
  await extractArchive(file, destDir, { ...options, compression });
  return true;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function outside(name: string): Error {
  return new Error(`archive path "${name}" is outside extraction root`);
}

/** A tar entry name made relative to the extraction root; "" for the root itself. */
function cleanEntryName(name: string): string {
  const parts = name.split("/");
  const out: string[] = [];
  for (const p of parts) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (out.length === 0) throw outside(name);
      out.pop();
    } else out.push(p);
  }
  return out.join("/");
}

function entryTimes(h: TarEntryHeader) {
  const mtime = { sec: h.mtime, nsec: h.mtimeNsec };
  let atime = mtime;
  const rec = h.paxRecords["atime"];
  if (rec !== undefined && /^-?\d+(\.\d+)?$/.test(rec)) {
    const [s, f = ""] = rec.split(".");
    const a = { sec: Number(s), nsec: Number((f + "000000000").slice(0, 9)) };
    if (a.sec > mtime.sec || (a.sec === mtime.sec && a.nsec > mtime.nsec)) atime = a;
  }
  const bound = (t: { sec: number; nsec: number }) =>
    t.sec < 0 || t.sec > 2 ** 33 ? { sec: 0, nsec: 0 } : t;
  return { atime: bound(atime), mtime: bound(mtime) };
}

/**
 * Extracts the tar archive `file` (of the given compression) into `destDir`
 * with Docker's `Untar` rules (see the module doc).
 */
export async function extractArchive(
  file: string,
  destDir: string,
  options: UnpackOptions & { compression: ArchiveCompression },
): Promise<void> {
  const decoded = openDecoded(file, options.compression);
  if (decoded === undefined) throw new Error(`cannot decode ${options.compression} archive`);
  const dirs: { p: string; times: ReturnType<typeof entryTimes> }[] = [];
  try {
    for await (const entry of readTar(decoded.stream)) {
      options.signal?.throwIfAborted();
      const h = entry.header;
      const name = cleanEntryName(h.name);
      if (name === "") {
        await entry.skip();
        continue;
      }
      // Parents are resolved inside destDir; a missing one is created 0755, root-owned.
      const parentRel = path.posix.dirname(name);
      const parent = await resolveInRoot(destDir, parentRel);
      const pst = await fsp.lstat(parent).catch(() => undefined);
      if (pst === undefined) {
        await mkdirAll(parent, 0o755, { owner: { uid: 0, gid: 0 } });
      } else if (!pst.isDirectory()) {
        throw new Error(`mkdir ${path.posix.join("/", parentRel)}: not a directory`);
      }
      const target = path.join(parent, path.posix.basename(name));
      const existing = await fsp.lstat(target).catch(() => undefined);
      if (existing !== undefined && !(existing.isDirectory() && h.type === "directory")) {
        await fsp.rm(target, { recursive: true, force: true });
      }
      const mode = h.mode & 0o7777;
      switch (h.type) {
        case "directory":
          if (existing === undefined || !existing.isDirectory()) {
            await fsp.mkdir(target, { mode: mode & 0o777 });
          }
          break;
        case "file": {
          const fh = await fsp.open(target, "wx", mode & 0o777);
          try {
            const reader = entry.body.getReader();
            while (true) {
              const r = await reader.read();
              if (r.done) break;
              await fh.write(r.value);
            }
          } finally {
            await fh.close();
          }
          break;
        }
        case "link": {
          const linkName = cleanEntryName(h.linkname);
          if (linkName === "") {
            throw new Error(`archive hardlink "${h.name}" targets extraction root`);
          }
          const src = await resolveInRoot(destDir, linkName, { followFinal: false });
          await fsp.link(src, target);
          break;
        }
        case "symlink": {
          if (!h.linkname.startsWith("/")) {
            const joined = path.posix.join(path.posix.dirname(name), h.linkname);
            if (joined === ".." || joined.startsWith("../")) {
              throw new Error(
                `invalid symlink "${h.name}" -> "${h.linkname}": points outside extraction root`,
              );
            }
          }
          await fsp.symlink(h.linkname, target);
          break;
        }
        case "char":
        case "block":
        case "fifo":
          if (!isRoot && h.type !== "fifo") {
            options.log?.(`skipped device ${h.name}: not running as root`);
            continue;
          }
          makeSpecialFile(target, h.type, { major: h.devmajor, minor: h.devminor });
          break;
        default:
          throw new Error(`unhandled tar header type ${JSON.stringify(h.typeflag)} for ${h.name}`);
      }
      const uid = options.owner?.uid ?? h.uid;
      const gid = options.owner?.gid ?? h.gid;
      await lchownPath(target, uid, gid);
      if (h.type !== "symlink") await fsp.chmod(target, mode);
      const times = entryTimes(h);
      if (h.type === "directory") dirs.push({ p: target, times });
      else await setTimes(target, times.atime, times.mtime);
    }
    await decoded.done;
  } finally {
    decoded.close();
  }
  for (const d of dirs.reverse()) await setTimes(d.p, d.times.atime, d.times.mtime);
}
