// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The copy engine of the file op, with the semantics of tonistiigi/fsutil's
 * `copy.Copy` (`cp -a` like) as BuildKit calls it: wildcard resolution per
 * path segment, "into the directory" rules for the destination, include and
 * exclude patterns with lazily created parent directories, hardlinks kept,
 * ownership, mode and timestamp overrides.
 *
 * Every source path is resolved inside the source root and every destination
 * inside the destination root ({@linkcode resolveInRoot}); entries below a
 * copied directory are never followed through symbolic links, and an existing
 * file at a target is unlinked before the new one is created (so a file the
 * snapshot store shares by hardlink is never written in place).
 *
 * @module
 */

import {
  applySymbolicMode,
  type ChmodSpec,
  EMPTY_MATCH_INFO,
  filepathMatch,
  type MatchInfo,
  PatternMatcher,
} from "../dockerfile/mod.ts";
import { fs, fsp, lchownSquash, path, process, spawnSync } from "../runtime/mod.ts";
import type { Owner } from "./file_owner.ts";
import { resolveInRoot } from "./path_safe.ts";

type Stats = Awaited<ReturnType<typeof lstatBig>>;

function lstatBig(p: string) {
  return fsp.lstat(p, { bigint: true });
}

/** Error codes that mean "nothing at this path". */
function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstatBig(p);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(p, { bigint: true });
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/**
 * `lchown` that is best effort when the process is not root (an unprivileged
 * builder cannot give files away; the error is then ignored).
 */
export async function lchownPath(p: string, uid: number, gid: number): Promise<void> {
  try {
    await lchownSquash(p, uid, gid);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (!isRoot && (code === "EPERM" || code === "EINVAL")) return;
    throw e;
  }
}

/** A point in time as whole seconds plus nanoseconds. */
export interface FileTime {
  sec: number;
  nsec: number;
}

function toSeconds(t: FileTime): number {
  // Microsecond precision is what a double holds for present-day seconds.
  return t.sec + Math.floor(t.nsec / 1000) / 1e6;
}

function fromNs(ns: bigint): FileTime {
  const sec = ns / 1_000_000_000n;
  const nsec = ns - sec * 1_000_000_000n;
  return nsec < 0n
    ? { sec: Number(sec) - 1, nsec: Number(nsec + 1_000_000_000n) }
    : { sec: Number(sec), nsec: Number(nsec) };
}

/** Sets atime and mtime of `p` without following a final symlink. */
export async function setTimes(p: string, atime: FileTime, mtime: FileTime): Promise<void> {
  await fsp.lutimes(p, toSeconds(atime), toSeconds(mtime));
}

/** Sets both times of `p` to `sec` (Unix seconds), without following a final symlink. */
export async function setTimestamp(p: string, sec: number): Promise<void> {
  const t = { sec, nsec: 0 };
  await setTimes(p, t, t);
}

/** Kinds of special files {@linkcode makeSpecialFile} creates. */
export type SpecialKind = "char" | "block" | "fifo";

/**
 * Creates a device node or fifo at `p` with the `mknod` program (the runtime
 * has no mknod call). Device nodes need root.
 */
export function makeSpecialFile(
  p: string,
  kind: SpecialKind,
  options: { major?: number; minor?: number } = {},
): void {
  const args = kind === "fifo"
    ? [p, "p"]
    : [p, kind === "char" ? "c" : "b", String(options.major ?? 0), String(options.minor ?? 0)];
  const r = spawnSync("mknod", args, { stdio: ["ignore", "ignore", "pipe"] });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error?.message ?? String(r.stderr ?? "").trim();
    throw new Error(`failed to create ${kind} file ${p}: ${why}`);
  }
}

function devNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/**
 * Creates `hostPath` and its missing parents (fsutil's `MkdirAll`): each new
 * directory gets `perm`, `owner` when given, and `time` (Unix seconds) when
 * given. An existing non-directory on the way is an error (`ENOTDIR`).
 * `hostPath` must already be resolved inside its root (no symlinks on the way).
 * Returns the directories created, parents first.
 */
export async function mkdirAll(
  hostPath: string,
  perm: number,
  options: { owner?: Owner | undefined; time?: number | undefined } = {},
): Promise<string[]> {
  const missing: string[] = [];
  let cur = path.resolve(hostPath);
  while (true) {
    const st = await lstatOrUndefined(cur);
    if (st !== undefined) {
      if (!st.isDirectory()) {
        const err = new Error(`mkdir ${cur}: not a directory`) as Error & { code: string };
        err.code = "ENOTDIR";
        throw err;
      }
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  const created: string[] = [];
  for (const dir of missing.reverse()) {
    try {
      await fsp.mkdir(dir, { mode: perm & 0o777 });
    } catch (e) {
      if ((e as { code?: unknown }).code === "EEXIST") {
        const st = await lstatBig(dir);
        if (st.isDirectory()) continue;
      }
      throw e;
    }
    await fsp.chmod(dir, perm & 0o777);
    if (options.owner !== undefined) await lchownPath(dir, options.owner.uid, options.owner.gid);
    if (options.time !== undefined) await setTimestamp(dir, options.time);
    created.push(dir);
  }
  return created;
}

/** Re-applies the timestamp of created directories, deepest first (children changed their mtime). */
export async function fixCreatedDirTimes(dirs: readonly string[], time: number | undefined) {
  if (time === undefined) return;
  for (const d of [...dirs].reverse()) await setTimestamp(d, time);
}

/**
 * BuildKit's `cleanPath` of a file-op path: joined to `/` and cleaned, keeping
 * a trailing `/` or `/.` (they mean "a directory").
 *
 * @example
 * ```ts
 * import { cleanOpPath } from "./file_copy.ts";
 * console.assert(cleanOpPath("a/../b/") === "/b/");
 * console.assert(cleanOpPath("/x/.") === "/x/.");
 * console.assert(cleanOpPath("/") === "/");
 * ```
 */
export function cleanOpPath(p: string): string {
  let out = path.posix.join("/", p);
  if (out.length > 1 && out.endsWith("/")) out = out.slice(0, -1);
  if (p.endsWith("/.")) {
    if (out !== "/") out += "/";
    out += ".";
  } else if (p.endsWith("/") && out !== "/") {
    out += "/";
  }
  return out;
}

/** Whether a path segment holds a `filepath.Match` meta character (`\` escapes). */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === "\\") i++;
    else if (ch === "*" || ch === "?" || ch === "[") return true;
  }
  return false;
}

function splitWildcards(p: string): { base: string; pattern: string } {
  const parts = path.posix.normalize(p).split("/");
  const base: string[] = [];
  const rest: string[] = [];
  let found = false;
  for (const part of parts) {
    if (!found && containsWildcards(part)) found = true;
    (found ? rest : base).push(part === "" ? "/" : part);
  }
  const join = (xs: string[]) => (xs.length === 0 ? "" : path.posix.join(...xs));
  return { base: join(base), pattern: join(rest) };
}

/**
 * Host path of `p` in `root`: fully resolved when `followLinks`, else with
 * only its parent resolved (the last component kept, even if a symlink).
 */
export async function rootPath(root: string, p: string, followLinks: boolean): Promise<string> {
  const clean = path.posix.join("/", p);
  if (clean === "/") return root;
  return await resolveInRoot(root, clean, { followFinal: followLinks });
}

/**
 * fsutil's `ResolveWildcards`: the paths (relative to `root`, `/`-joined,
 * without a leading `/`) matching `src`, whose segments from the first one
 * with a wildcard on are `filepath.Match` patterns. A matching directory is
 * not searched further. Without wildcards, `[src]` itself (even if absent).
 * A missing base directory gives no match.
 */
export async function resolveWildcards(
  root: string,
  src: string,
  options: { followLinks?: boolean; signal?: AbortSignal | undefined } = {},
): Promise<string[]> {
  const { base, pattern } = splitWildcards(src);
  if (pattern === "") return [base];
  const baseHost = await rootPath(root, base, options.followLinks ?? false);
  const depth = pattern.split("/").length;
  const out: string[] = [];
  const walk = async (dir: string, rel: string, level: number): Promise<void> => {
    options.signal?.throwIfAborted();
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    names.sort(compareBytes);
    for (const name of names) {
      const childRel = rel === "" ? name : rel + "/" + name;
      const host = path.join(dir, name);
      let matched = false;
      try {
        matched = filepathMatch(pattern, childRel);
      } catch {
        matched = false;
      }
      const st = await lstatOrUndefined(host);
      if (st === undefined) continue;
      if (matched) {
        out.push(host);
        continue;
      }
      if (st.isDirectory() && level + 1 < depth) await walk(host, childRel, level + 1);
    }
  };
  const st = await lstatOrUndefined(baseHost);
  if (st === undefined || !st.isDirectory()) return [];
  await walk(baseHost, "", 0);
  return out.map((m) => path.relative(root, m));
}

/** Orders names by UTF-16 code units (Go's byte order for BMP names). */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What {@linkcode copyPath} does with one source (already resolved options of a copy action). */
export interface CopyPathOptions {
  /** Source path in the source root (relative or absolute; cleaned). */
  src: string;
  /** Destination as given by the action, after {@linkcode cleanOpPath}. */
  dest: string;
  /** Copy a directory's contents, not the directory. */
  copyDirContents?: boolean;
  /** Resolve a symlink given as `src` itself. */
  followLinks?: boolean;
  /** New owner of every copied entry and created directory; default: keep the source's. */
  owner?: Owner | undefined;
  /** Numeric mode for every copied entry (and created parents). */
  mode?: number | undefined;
  /** Symbolic mode applied to each entry's mode (wins over `mode`). */
  modeSpec?: ChmodSpec | undefined;
  /** Unix seconds given to every copied entry and created directory. */
  timestamp?: number | undefined;
  /** Unix seconds for created parent directories when `timestamp` is not set. */
  createdDirTime?: number | undefined;
  includePatterns?: readonly string[] | undefined;
  excludePatterns?: readonly string[] | undefined;
  /** Replace an existing destination entry of another type (a dir by a file …). */
  alwaysReplaceExistingDestPaths?: boolean;
  signal?: AbortSignal | undefined;
}

interface ParentDir {
  src: string;
  dst: string;
  copied: boolean;
}

/**
 * Copies one source (one match of a wildcard) from `srcRoot` into
 * `destRoot`, as fsutil's `Copy` with a single source. Throws an error whose
 * message ends in `not found` when the source does not exist.
 */
export async function copyPath(
  srcRoot: string,
  destRoot: string,
  options: CopyPathOptions,
): Promise<void> {
  const o = options;
  const perm = o.mode ?? 0o755;
  const dirTime = o.timestamp ?? o.createdDirTime;
  const created: string[] = [];
  try {
    // Parent of the destination (or the destination itself when it ends in `/`).
    const ensure = splitDest(o.dest);
    if (ensure !== "") {
      const host = await resolveInRoot(destRoot, ensure);
      created.push(...await mkdirAll(host, perm, { owner: o.owner, time: dirTime }));
    }
    let dst = await resolveInRoot(destRoot, path.posix.normalize(o.dest));

    const srcFollowed = await rootPath(srcRoot, o.src, o.followLinks ?? false);
    const fiSrc = await lstatOrUndefined(srcFollowed);
    if (fiSrc === undefined) throw notFound(o.src);
    const fiDest = await statOrUndefined(dst);
    const srcIsDir = fiSrc.isDirectory();
    if (
      (!o.copyDirContents && srcIsDir && fiDest !== undefined) ||
      (!srcIsDir && fiDest !== undefined && fiDest.isDirectory())
    ) {
      dst = path.join(dst, path.posix.basename(path.posix.join("/", o.src)));
    }
    let target = path.dirname(dst);
    if (o.copyDirContents && srcIsDir && fiDest === undefined) target = dst;
    created.push(...await mkdirAll(target, perm, { owner: o.owner, time: dirTime }));

    const copier = new Copier(o);
    await copier.copy(srcFollowed, "", dst, false, EMPTY_MATCH_INFO, EMPTY_MATCH_INFO);
  } finally {
    await fixCreatedDirTimes(created, dirTime);
  }
}

/** The directory to create before copying (Go's `filepath.Split` of the destination). */
function splitDest(dest: string): string {
  const i = dest.lastIndexOf("/");
  const base = dest.slice(i + 1);
  return base !== "" && base !== "." ? dest.slice(0, i + 1) : dest;
}

/** The error for a source that does not exist (BuildKit: `"/x": not found`). */
export function notFound(p: string): Error {
  const err = new Error(`"${path.posix.join("/", p)}": not found`) as Error & { code: string };
  err.code = "ENOENT";
  return err;
}

class Copier {
  #o: CopyPathOptions;
  #inodes = new Map<string, string>();
  #parents: ParentDir[] = [];
  #include: PatternMatcher | undefined;
  #exclude: PatternMatcher | undefined;

  constructor(o: CopyPathOptions) {
    this.#o = o;
    if (o.includePatterns !== undefined && o.includePatterns.length > 0) {
      this.#include = newMatcher(o.includePatterns, "includepatterns");
    }
    if (o.excludePatterns !== undefined && o.excludePatterns.length > 0) {
      this.#exclude = newMatcher(o.excludePatterns, "excludepatterns");
    }
  }

  async copy(
    src: string,
    comps: string,
    target: string,
    overwrite: boolean,
    parentInc: MatchInfo,
    parentExc: MatchInfo,
  ): Promise<void> {
    this.#o.signal?.throwIfAborted();
    let include = true;
    let excluded = false;
    let incInfo = EMPTY_MATCH_INFO;
    let excInfo = EMPTY_MATCH_INFO;
    if (comps !== "") {
      if (this.#include !== undefined) {
        const r = this.#include.matchesUsingParentResults(comps, parentInc);
        include = r.matched;
        incInfo = r.info;
      }
      if (this.#exclude !== undefined) {
        const r = this.#exclude.matchesUsingParentResults(comps, parentExc);
        excInfo = r.info;
        if (r.matched) {
          include = false;
          excluded = true;
        }
      }
      const canSkip = !include && this.#include === undefined &&
        (this.#exclude === undefined || !this.#exclude.exclusions());
      if (canSkip) return;
    }

    const fi = await lstatBig(src);
    if (!include && !fi.isDirectory()) return;
    const targetFi = await lstatOrUndefined(target);

    if (include) {
      if (
        this.#o.alwaysReplaceExistingDestPaths === true && targetFi !== undefined &&
        !(fi.isDirectory() && targetFi.isDirectory())
      ) {
        await fsp.rm(target, { recursive: true, force: true });
      }
      await this.#createParentDirs(overwrite);
    }

    if (!fi.isDirectory()) await ensureEmptyFileTarget(target);

    let copyInfo = include;
    let restoreTime = false;
    if (fi.isDirectory()) {
      const created = await this.#copyDirectory(
        src,
        comps,
        target,
        fi,
        overwrite,
        include,
        excluded,
        incInfo,
        excInfo,
      );
      if (!overwrite) {
        copyInfo = created;
        restoreTime = !created;
      }
    } else if (fi.isFile()) {
      const link = this.#linkSource(target, fi);
      if (link !== undefined) {
        await fsp.link(link, target);
      } else {
        await fsp.copyFile(src, target, fs.constants.COPYFILE_EXCL);
      }
    } else if (fi.isSymbolicLink()) {
      await fsp.symlink(await fsp.readlink(src), target);
    } else if (fi.isCharacterDevice() || fi.isBlockDevice()) {
      makeSpecialFile(target, fi.isCharacterDevice() ? "char" : "block", devNumbers(fi.rdev));
    } else if (fi.isFIFO()) {
      makeSpecialFile(target, "fifo");
    } else {
      // Sockets cannot be recreated meaningfully; they are skipped.
      return;
    }

    if (copyInfo) {
      await this.#copyFileInfo(fi, target);
    } else if (restoreTime && targetFi !== undefined) {
      await this.#copyTimes(fi, target);
    }
  }

  #linkSource(target: string, fi: Stats): string | undefined {
    if (fi.isDirectory() || fi.nlink <= 1n) return undefined;
    const key = `${fi.dev}:${fi.ino}`;
    const first = this.#inodes.get(key);
    if (first === undefined) this.#inodes.set(key, target);
    return first;
  }

  async #createParentDirs(overwrite: boolean): Promise<void> {
    for (const p of this.#parents) {
      if (p.copied) continue;
      const fi = await fsp.stat(p.src, { bigint: true });
      if (!fi.isDirectory()) throw new Error(`${p.src} is not a directory`);
      const created = await copyDirectoryOnly(p.dst, fi, overwrite);
      if (created) await this.#copyFileInfo(fi, p.dst);
      p.copied = true;
    }
  }

  async #copyDirectory(
    src: string,
    comps: string,
    dst: string,
    fi: Stats,
    overwrite: boolean,
    include: boolean,
    excluded: boolean,
    incInfo: MatchInfo,
    excInfo: MatchInfo,
  ): Promise<boolean> {
    let created = false;
    const parent: ParentDir = { src, dst, copied: false };
    if (include) {
      created = await copyDirectoryOnly(dst, fi, overwrite);
      parent.copied = true;
    }
    this.#parents.push(parent);
    try {
      if (excluded && (this.#exclude === undefined || !this.#exclude.exclusions())) return false;
      const names = (await fsp.readdir(src)).sort(compareBytes);
      for (const name of names) {
        await this.copy(
          path.join(src, name),
          comps === "" ? name : comps + "/" + name,
          path.join(dst, name),
          true,
          incInfo,
          excInfo,
        );
      }
    } finally {
      this.#parents.pop();
    }
    return created;
  }

  async #copyFileInfo(fi: Stats, target: string): Promise<void> {
    const o = this.#o;
    const uid = o.owner?.uid ?? Number(fi.uid);
    const gid = o.owner?.gid ?? Number(fi.gid);
    const cur = await lstatBig(target);
    if (Number(cur.uid) !== uid || Number(cur.gid) !== gid) await lchownPath(target, uid, gid);
    if (!fi.isSymbolicLink()) {
      const srcMode = Number(fi.mode) & 0o7777;
      let m = srcMode;
      if (o.modeSpec !== undefined) {
        m = applySymbolicMode(o.modeSpec, srcMode, { isDir: fi.isDirectory() });
      } else if (o.mode !== undefined) {
        m = o.mode & 0o7777;
      }
      await fsp.chmod(target, m);
    }
    await this.#copyTimes(fi, target);
  }

  async #copyTimes(fi: Stats, target: string): Promise<void> {
    if (this.#o.timestamp !== undefined) {
      await setTimestamp(target, this.#o.timestamp);
      return;
    }
    await setTimes(target, fromNs(fi.atimeNs), fromNs(fi.mtimeNs));
  }
}

function newMatcher(patterns: readonly string[], what: string): PatternMatcher {
  try {
    return new PatternMatcher(patterns);
  } catch (e) {
    throw new Error(`invalid ${what}: [${patterns.join(" ")}]: ${(e as Error).message}`);
  }
}

/** Creates directory `dst` with the source's mode, or checks an existing one. */
async function copyDirectoryOnly(dst: string, fi: Stats, overwrite: boolean): Promise<boolean> {
  const st = await lstatOrUndefined(dst);
  const mode = Number(fi.mode) & 0o7777;
  if (st === undefined) {
    await fsp.mkdir(dst, { mode });
    return true;
  }
  if (!st.isDirectory()) throw new Error(`cannot copy to non-directory: ${dst}`);
  if (overwrite) await fsp.chmod(dst, mode);
  return false;
}

async function ensureEmptyFileTarget(dst: string): Promise<void> {
  const st = await lstatOrUndefined(dst);
  if (st === undefined) return;
  if (st.isDirectory()) throw new Error(`cannot replace to directory ${dst} with file`);
  await fsp.unlink(dst);
}
