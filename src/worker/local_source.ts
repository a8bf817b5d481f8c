// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The local build context as a source: a filtered walk of the context directory
 * (`.dockerignore`, the paths the Dockerfile reads) with a content checksum of every
 * file. Checksums cover content, mode, type, size and link targets, never mtimes;
 * mtimes, ctimes, sizes and inode numbers only decide whether a file's content
 * checksum from the previous build can be reused without reading it again, which
 * keeps a no-op rebuild of a large context fast.
 *
 * @module
 */

import { type FilterOptions, walkContext, type WalkFs, type WalkStat } from "../archive/mod.ts";
import { filepathMatch } from "../dockerfile/mod.ts";
import { createHash, fs, lstatFast, path, process, readdirFast } from "../runtime/mod.ts";

/** One entry of the context after filtering. */
export interface ContextEntry {
  /** `/`-separated path relative to the context root. */
  path: string;
  type: "file" | "dir" | "symlink";
  /** Permission bits (with setuid/setgid/sticky). */
  mode: number;
  size: number;
  target?: string;
  /** sha256 hex of a regular file's content; `special` for fifos, sockets and devices. */
  digest?: string;
}

/** A scanned context. */
export interface ContextScan {
  root: string;
  /** Entries in walk order (sorted by path). */
  entries: ContextEntry[];
  /** Checksum over every entry. */
  checksum: string;
  /** Files whose content was read (not taken from the checksum cache). */
  hashed: number;
}

interface SumEntry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  digest: string;
}

/**
 * Content checksums of the previous scan of a context, persisted as JSON so that
 * unchanged files are not read again.
 */
export class ContextSumCache {
  readonly file: string | undefined;
  #sums = new Map<string, SumEntry>();
  #dirty = false;

  /** `file` absent: an in-memory cache. */
  constructor(file?: string) {
    this.file = file;
    if (file === undefined) return;
    try {
      const data = JSON.parse(fs.readFileSync(file, "utf8")) as Record<
        string,
        [number, number, number, number, string]
      >;
      for (const [p, v] of Object.entries(data)) {
        if (Array.isArray(v) && v.length === 5 && typeof v[4] === "string") {
          this.#sums.set(p, { size: v[0], mtimeMs: v[1], ctimeMs: v[2], ino: v[3], digest: v[4] });
        }
      }
    } catch {
      // No cache yet, or an unreadable one: every file is hashed.
    }
  }

  lookup(
    rel: string,
    st: { size: number; mtimeMs: number; ctimeMs: number; ino: number },
  ): string | undefined {
    const s = this.#sums.get(rel);
    if (
      s && s.size === st.size && s.mtimeMs === st.mtimeMs && s.ctimeMs === st.ctimeMs &&
      s.ino === st.ino
    ) {
      return s.digest;
    }
    return undefined;
  }

  store(
    rel: string,
    st: { size: number; mtimeMs: number; ctimeMs: number; ino: number },
    digest: string,
  ): void {
    this.#sums.set(rel, {
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      ino: st.ino,
      digest,
    });
    this.#dirty = true;
  }

  /** Keeps only the given paths (drops files that left the context). */
  retain(paths: Set<string>): void {
    for (const p of this.#sums.keys()) {
      if (!paths.has(p)) {
        this.#sums.delete(p);
        this.#dirty = true;
      }
    }
  }

  /** Writes the cache (temp file + rename) when it changed. */
  save(): void {
    if (!this.#dirty || this.file === undefined) return;
    const out: Record<string, [number, number, number, number, string]> = {};
    for (const [p, s] of this.#sums) out[p] = [s.size, s.mtimeMs, s.ctimeMs, s.ino, s.digest];
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(out));
    fs.renameSync(tmp, this.file);
    this.#dirty = false;
  }
}

type FastStat = WalkStat & { ino: number; ctimeMs: number; special: boolean };

function walkFsAt(root: string): WalkFs {
  const abs = (p: string) => (p === "" ? root : `${root}/${p}`);
  return {
    readdir: (p) => readdirFast(abs(p)),
    lstat: (p): FastStat => {
      const s = lstatFast(abs(p));
      return {
        type: s.type === "other" ? "file" : s.type,
        mode: s.mode & 0o7777,
        size: s.type === "file" ? s.size : 0,
        uid: s.uid,
        gid: s.gid,
        // Whole milliseconds: Bun reports fractions, Deno does not; the checksum cache is
        // shared by both and must hit either way.
        mtimeMs: Math.trunc(s.mtimeMs),
        ino: s.ino,
        ctimeMs: Math.trunc(s.ctimeMs),
        special: s.type === "other",
      };
    },
    readlink: (p) => fs.readlinkSync(abs(p)),
  };
}

const HASH_CHUNK = 1 << 20;

/** sha256 hex of a file's content, read in 1 MiB chunks. */
export function hashFile(file: string): string {
  const h = createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buf = new Uint8Array(HASH_CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, HASH_CHUNK, null);
      if (n <= 0) break;
      h.update(n === HASH_CHUNK ? buf : buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

function entryLine(e: ContextEntry): string {
  return `${e.path}\0${e.type}\0${e.mode.toString(8)}\0${e.size}\0${e.target ?? ""}\0${
    e.digest ?? ""
  }\n`;
}

/**
 * Walks the context with its filters and checksums every entry.
 *
 * @example
 * ```ts
 * import { scanContext, ContextSumCache } from "./local_source.ts";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * const dir = mkdtempSync("/tmp/ctx-");
 * writeFileSync(dir + "/a.txt", "hello");
 * const scan = scanContext(dir, {}, new ContextSumCache());
 * console.assert(scan.entries.length === 1 && scan.checksum.startsWith("sha256:"));
 * ```
 */
export function scanContext(
  root: string,
  filter: FilterOptions,
  sums: ContextSumCache,
): ContextScan {
  const walked = walkContext(walkFsAt(root), filter);
  const h = createHash("sha256");
  const entries: ContextEntry[] = [];
  const seen = new Set<string>();
  let hashed = 0;
  for (const w of walked) {
    const st = w.stat as FastStat;
    const e: ContextEntry = { path: w.path, type: w.type, mode: st.mode, size: st.size };
    if (w.target !== undefined) e.target = w.target;
    if (w.type === "file") {
      if (st.special) e.digest = "special";
      else {
        seen.add(w.path);
        let d = sums.lookup(w.path, st);
        if (d === undefined) {
          d = hashFile(`${root}/${w.path}`);
          sums.store(w.path, st, d);
          hashed++;
        }
        e.digest = d;
      }
    }
    entries.push(e);
    h.update(entryLine(e));
  }
  sums.retain(seen);
  return { root, entries, checksum: `sha256:${h.digest("hex")}`, hashed };
}

/** What a COPY reads from the context: a source path (maybe a wildcard). */
export interface ContextSelector {
  /** Source path as in the copy action (leading `/` optional). */
  src: string;
  /** Whether `src` may hold wildcards. */
  wildcard: boolean;
}

/** Cleans a copy source to a context-relative path ("" for the root). */
export function cleanSource(src: string): string {
  const parts: string[] = [];
  for (const part of src.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

/**
 * Checksum of the entries a set of COPY sources selects: each matching entry and,
 * for directories, everything below it. Entries elsewhere in the context do not
 * take part, so editing them leaves the COPY's cache key unchanged.
 */
export function selectionChecksum(scan: ContextScan, selectors: ContextSelector[]): string {
  const h = createHash("sha256");
  for (const sel of selectors) {
    const src = cleanSource(sel.src);
    const pattern = sel.wildcard && /[*?[\\]/.test(src) ? src : undefined;
    const roots: string[] = [];
    let count = 0;
    h.update(`selector\0${src}\0${sel.wildcard}\n`);
    for (const e of scan.entries) {
      const under = roots.some((r) => r === "" || e.path.startsWith(r + "/"));
      let match = under;
      if (!match) {
        match = pattern !== undefined
          ? filepathMatch(pattern, e.path)
          : src === "" || e.path === src;
        if (match && e.type === "dir") roots.push(e.path);
      }
      if (match) {
        count++;
        h.update(entryLine(e));
      }
    }
    if (src === "") roots.push("");
    if (count === 0) h.update(`missing\0${src}\n`);
  }
  return `sha256:${h.digest("hex")}`;
}

/**
 * Makes `dest` hold the scanned entries a set of COPY sources selects (all of them
 * when `selectors` is empty), with their parent directories. Regular files are
 * hard-linked to the context's own files when on the same file system (readers only
 * read them; nothing ever writes into the view), copied otherwise; directories are
 * made with the context's modes and times, symlinks recreated. Ownership stays the
 * host's: the file op gives copies from the context to root.
 */
export function linkSelection(scan: ContextScan, selectors: ContextSelector[], dest: string): void {
  const wanted = selectedPaths(scan, selectors);
  const dirs: Array<[string, string, number]> = [];
  let canLink = true;
  for (const e of scan.entries) {
    if (wanted !== undefined && !wanted.has(e.path)) continue;
    const to = `${dest}/${e.path}`;
    const from = `${scan.root}/${e.path}`;
    if (e.type === "dir") {
      fs.mkdirSync(to);
      dirs.push([from, to, e.mode]);
    } else if (e.type === "symlink") {
      fs.symlinkSync(e.target ?? "", to);
    } else if (e.digest !== "special") {
      if (canLink) {
        try {
          fs.linkSync(from, to);
          continue;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK") throw err;
          canLink = false;
        }
      }
      fs.copyFileSync(from, to);
      fs.chmodSync(to, e.mode);
      const st = fs.statSync(from);
      fs.utimesSync(to, st.atime, st.mtime);
    }
  }
  // Directory modes and times last, deepest first, so adding children does not move them.
  for (const [from, to, mode] of dirs.reverse()) {
    fs.chmodSync(to, mode);
    const st = fs.statSync(from);
    fs.utimesSync(to, st.atime, st.mtime);
  }
}

/** The paths a set of selectors takes from a scan (entries, their trees and parents); undefined = all. */
function selectedPaths(scan: ContextScan, selectors: ContextSelector[]): Set<string> | undefined {
  if (selectors.length === 0) return undefined;
  const out = new Set<string>();
  for (const sel of selectors) {
    const src = cleanSource(sel.src);
    if (src === "") return undefined;
    const pattern = sel.wildcard && /[*?[\\]/.test(src) ? src : undefined;
    const roots: string[] = [];
    for (const e of scan.entries) {
      const under = roots.some((r) => e.path.startsWith(r + "/"));
      const match = under ||
        (pattern !== undefined ? filepathMatch(pattern, e.path) : e.path === src);
      if (!match) continue;
      out.add(e.path);
      if (!under && e.type === "dir") roots.push(e.path);
      if (!under) {
        // Parents of a selected root, so that the path exists in the view.
        let p = e.path;
        for (let i = p.lastIndexOf("/"); i > 0; i = p.lastIndexOf("/")) {
          p = p.slice(0, i);
          out.add(p);
        }
      }
    }
  }
  return out;
}
