// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Snapshots: file trees on disk under `snapshots/<id>/fs`, with their metadata
 * in `snapshots/<id>/meta.json`.
 *
 * A new snapshot starts as a working directory under `snapshots/.work/`,
 * cloned from its parent, and is committed by one rename into place: a crash
 * never leaves a half-made tree under an id.
 *
 * ## THE SHARING CONTRACT (read this before writing into a snapshot)
 *
 * By default a clone shares every regular file with its parent through a hard
 * link (`cp -al`). The file's bytes, mode, owner and times are ONE inode for
 * both trees. Therefore code that changes a file in a mutable snapshot MUST
 * REPLACE it: unlink (or rename over) the path and create a new file. It must
 * never open an existing file for writing, truncate it, append to it, chmod,
 * chown or utimes it in place: that would silently change the parent snapshot
 * and every other snapshot sharing the inode (and corrupt the cache). Callers
 * that cannot honour this (e.g. a RUN step executing arbitrary programs in the
 * tree) must ask for `deepCopy: true`.
 *
 * @module
 */

import { fs, lchownSquashSync, path, process, randomBytes, spawnSync } from "../runtime/mod.ts";
import {
  atomicWriteFile,
  fsyncDir,
  isNotFound,
  isPidAlive,
  readJsonFileSync,
  tempName,
  tempOwnerPid,
} from "./_fs.ts";

/** Metadata of a committed snapshot. */
export interface SnapshotMeta {
  /** The snapshot id. */
  id: string;
  /** The snapshot it was cloned from. */
  parent?: string;
  /** ISO time of the commit. */
  createdAt: string;
  /** ISO time of the last use (bumped at most once a minute). */
  lastUsed: string;
  /** Human description (e.g. the step that made it). */
  description?: string;
}

/** A file the clone could not reproduce. */
export interface CloneError {
  /** Path relative to the tree root. */
  path: string;
  /** Why. */
  message: string;
}

/** A working directory that becomes a snapshot on commit. */
export interface MutableSnapshot {
  /** The directory holding the file tree; write here (honouring the sharing contract). */
  readonly dir: string;
  /** The snapshot it was cloned from. */
  readonly parentId: string | undefined;
  /** Entries of the parent that could not be cloned (devices when not root, sockets). */
  readonly cloneErrors: readonly CloneError[];
  /** Whether regular files were copied rather than hard-linked. */
  readonly deepCopy: boolean;
  /** @internal The working directory (parent of `dir`). */
  readonly workDir: string;
}

/** Options of {@linkcode SnapshotStore.create}. */
export interface CreateSnapshotOptions {
  /** Copy regular files instead of hard-linking them (for writers that modify in place). */
  deepCopy?: boolean;
}

/** Options of {@linkcode SnapshotStore.commit}. */
export interface CommitSnapshotOptions {
  /** Human description stored in the metadata. */
  description?: string;
}

/** A committed snapshot with its size. */
export interface SnapshotInfo extends SnapshotMeta {
  /** Bytes of the tree, each inode counted once (0 when sizes were not asked for). */
  size: number;
}

/** Options of {@linkcode cloneTree}. */
export interface CloneTreeOptions {
  /** Copy regular files (reflink where the file system can) instead of hard-linking. */
  deep?: boolean;
}

const TOUCH_INTERVAL_MS = 60_000;
const SNAPSHOT_ID = /^[0-9a-f]{32}$/;

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function rdevParts(rdev: number): [number, number] {
  // Linux dev_t encoding (glibc gnu_dev_major/minor).
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xfff00);
  return [major, minor >>> 0];
}

/**
 * Clones the tree at `src` into `dst` (which must not exist): directories are
 * recreated with the same mode, owner and times, symlinks recreated, regular
 * files hard-linked (or copied with `deep`), devices and fifos recreated with
 * mknod when running as root. Returns what could not be cloned.
 *
 * @example
 * ```ts
 * import { cloneTree } from "./snapshots.ts";
 * import { mkdtempSync, writeFileSync, statSync } from "node:fs";
 * const src = mkdtempSync("/tmp/src-");
 * writeFileSync(src + "/a", "x");
 * const dst = mkdtempSync("/tmp/dst-") + "/t";
 * cloneTree(src, dst);
 * console.assert(statSync(dst + "/a").ino === statSync(src + "/a").ino);
 * ```
 */
export function cloneTree(src: string, dst: string, options: CloneTreeOptions = {}): CloneError[] {
  const errors: CloneError[] = [];
  const ctx = {
    deep: options.deep === true,
    root: isRoot(),
    errors,
    copied: new Map<string, string>(),
  };
  cloneDir(src, dst, "", fs.lstatSync(src), ctx);
  return errors;
}

interface CloneCtx {
  deep: boolean;
  root: boolean;
  errors: CloneError[];
  /** In deep mode: `dev:ino` of a source file → its first copy, to keep hard links. */
  copied: Map<string, string>;
}

function cloneDir(src: string, dst: string, rel: string, st: fs.Stats, ctx: CloneCtx): void {
  fs.mkdirSync(dst, { mode: 0o700 });
  for (const ent of fs.readdirSync(src, { withFileTypes: true })) {
    const name = ent.name;
    const s = path.join(src, name);
    const d = path.join(dst, name);
    const r = rel === "" ? name : `${rel}/${name}`;
    if (ent.isDirectory()) {
      cloneDir(s, d, r, fs.lstatSync(s), ctx);
    } else if (ent.isFile()) {
      if (!ctx.deep) fs.linkSync(s, d);
      else copyFile(s, d, ctx);
    } else if (ent.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(s), d);
      const ls = fs.lstatSync(s);
      if (ctx.root) lchownSquashSync(d, ls.uid, ls.gid);
      try {
        fs.lutimesSync(d, ls.atime, ls.mtime);
      } catch {
        // lutimes is missing on some platforms; symlink times rarely matter.
      }
    } else {
      cloneSpecial(s, d, r, ctx);
    }
  }
  fs.chmodSync(dst, st.mode & 0o7777);
  if (ctx.root) lchownSquashSync(dst, st.uid, st.gid);
  fs.utimesSync(dst, st.atime, st.mtime);
}

function copyFile(s: string, d: string, ctx: CloneCtx): void {
  const st = fs.lstatSync(s);
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = ctx.copied.get(key);
    if (first !== undefined) {
      fs.linkSync(first, d);
      return;
    }
    ctx.copied.set(key, d);
  }
  fs.copyFileSync(s, d, fs.constants.COPYFILE_FICLONE);
  if (ctx.root) lchownSquashSync(d, st.uid, st.gid);
  fs.chmodSync(d, st.mode & 0o7777);
  fs.utimesSync(d, st.atime, st.mtime);
}

function cloneSpecial(s: string, d: string, rel: string, ctx: CloneCtx): void {
  // lstat, not the Dirent: some runtimes' Dirents do not tell fifos and devices apart.
  const st = fs.lstatSync(s);
  let type: string;
  if (st.isFIFO()) type = "p";
  else if (st.isCharacterDevice()) type = "c";
  else if (st.isBlockDevice()) type = "b";
  else {
    ctx.errors.push({ path: rel, message: "sockets are not cloned" });
    return;
  }
  if (!ctx.root && type !== "p") {
    ctx.errors.push({ path: rel, message: "device files are recreated only when running as root" });
    return;
  }
  const args = ["-m", (st.mode & 0o7777).toString(8), d, type];
  if (type !== "p") args.push(...rdevParts(st.rdev).map(String));
  const res = spawnSync("mknod", args, { encoding: "utf8" });
  if (res.status !== 0) {
    const why = res.error?.message ?? String(res.stderr).trim();
    ctx.errors.push({ path: rel, message: `mknod failed: ${why}` });
    return;
  }
  if (ctx.root) lchownSquashSync(d, st.uid, st.gid);
  fs.utimesSync(d, st.atime, st.mtime);
}

/** Removes a tree, making directories writable first when a plain removal is refused. */
export function removeTree(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== "EACCES" && code !== "EPERM") throw e;
    makeWritable(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function makeWritable(dir: string): void {
  try {
    fs.chmodSync(dir, 0o700);
  } catch {
    return;
  }
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (ent.isDirectory()) makeWritable(path.join(dir, ent.name));
  }
}

/**
 * Bytes used by a tree, counting each inode once (hard links within the tree,
 * and inodes already in `seen`, shared across calls).
 */
export function treeSize(dir: string, seen: Set<string> = new Set()): number {
  let total = 0;
  for (const [key, size] of treeInodes(dir)) {
    if (seen.has(key)) continue;
    seen.add(key);
    total += size;
  }
  return total;
}

/**
 * The inodes of a tree's regular files and symlinks with their sizes, keyed
 * `dev:ino` (for accounting shared hard links across snapshots).
 */
export function treeInodes(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    for (const ent of ents) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) {
        stack.push(p);
        continue;
      }
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (st !== undefined) out.set(`${st.dev}:${st.ino}`, st.size);
    }
  }
  return out;
}

/**
 * Snapshots under `<root>/snapshots`.
 *
 * @example
 * ```ts
 * import { SnapshotStore } from "./snapshots.ts";
 * import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
 * const snaps = new SnapshotStore(mkdtempSync("/tmp/snaps-"));
 * const m = await snaps.create();
 * writeFileSync(m.dir + "/hello", "hi");
 * const id = await snaps.commit(m, { description: "hello" });
 * console.assert(existsSync(snaps.dir(id) + "/hello"));
 * ```
 */
export class SnapshotStore {
  /** `<root>/snapshots`. */
  readonly base: string;
  /** `<root>/snapshots/.work`, for working directories. */
  readonly workBase: string;

  /** Opens (and creates) the snapshot area of the store at `root`. */
  constructor(root: string) {
    this.base = path.join(root, "snapshots");
    this.workBase = path.join(this.base, ".work");
    fs.mkdirSync(this.workBase, { recursive: true });
  }

  /** The file tree of a committed snapshot. */
  dir(id: string): string {
    return path.join(this.#snapDir(id), "fs");
  }

  #snapDir(id: string): string {
    if (!SNAPSHOT_ID.test(id)) throw new TypeError(`Invalid snapshot id ${JSON.stringify(id)}`);
    return path.join(this.base, id);
  }

  /** Whether a committed snapshot exists. */
  exists(id: string): boolean {
    return SNAPSHOT_ID.test(id) && fs.existsSync(path.join(this.base, id, "meta.json"));
  }

  /**
   * Starts a new snapshot: an empty tree, or a clone of `parentId` (hard links
   * unless `deepCopy`; see the sharing contract in this module's docs).
   */
  create(parentId?: string, options: CreateSnapshotOptions = {}): Promise<MutableSnapshot> {
    const workDir = path.join(this.workBase, tempName());
    fs.mkdirSync(workDir);
    const dir = path.join(workDir, "fs");
    let cloneErrors: CloneError[] = [];
    try {
      if (parentId === undefined) fs.mkdirSync(dir, { mode: 0o755 });
      else {
        if (!this.exists(parentId)) throw new Error(`Snapshot ${parentId} does not exist`);
        cloneErrors = cloneTree(this.dir(parentId), dir, { deep: options.deepCopy === true });
      }
    } catch (e) {
      removeTree(workDir);
      return Promise.reject(e);
    }
    return Promise.resolve({
      dir,
      workDir,
      parentId,
      cloneErrors,
      deepCopy: options.deepCopy === true,
    });
  }

  /** Makes a working directory a snapshot (one atomic rename); returns its new id. */
  commit(mutable: MutableSnapshot, options: CommitSnapshotOptions = {}): Promise<string> {
    const id = randomBytes(16).toString("hex");
    const now = new Date().toISOString();
    const meta: SnapshotMeta = { id, createdAt: now, lastUsed: now };
    if (mutable.parentId !== undefined) meta.parent = mutable.parentId;
    if (options.description !== undefined) meta.description = options.description;
    try {
      const metaFile = path.join(mutable.workDir, "meta.json");
      const fd = fs.openSync(metaFile, "wx", 0o644);
      try {
        fs.writeSync(fd, JSON.stringify(meta));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(mutable.workDir, path.join(this.base, id));
      fsyncDir(this.base);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(id);
  }

  /** Drops a working directory that will not be committed. */
  discard(mutable: MutableSnapshot): Promise<void> {
    removeTree(mutable.workDir);
    return Promise.resolve();
  }

  /** Removes a snapshot: it disappears at once (rename), then its tree is deleted. */
  remove(id: string): Promise<boolean> {
    const from = this.#snapDir(id);
    const to = path.join(this.workBase, `${tempName()}-removing`);
    try {
      fs.renameSync(from, to);
    } catch (e) {
      if (isNotFound(e)) return Promise.resolve(false);
      return Promise.reject(e);
    }
    removeTree(to);
    return Promise.resolve(true);
  }

  /** Metadata of a snapshot, or `undefined` when absent or unreadable. */
  meta(id: string): SnapshotMeta | undefined {
    if (!SNAPSHOT_ID.test(id)) return undefined;
    try {
      const v = readJsonFileSync(path.join(this.base, id, "meta.json")) as SnapshotMeta | undefined;
      if (v === undefined || typeof v.createdAt !== "string") return undefined;
      return v;
    } catch {
      return undefined;
    }
  }

  /** Records a use of the snapshot (rewrites its metadata at most once a minute). */
  async touch(id: string, now: Date = new Date()): Promise<void> {
    const meta = this.meta(id);
    if (meta === undefined) return;
    if (now.getTime() - Date.parse(meta.lastUsed) < TOUCH_INTERVAL_MS) return;
    meta.lastUsed = now.toISOString();
    try {
      await atomicWriteFile(path.join(this.base, id, "meta.json"), JSON.stringify(meta));
    } catch (e) {
      if (!isNotFound(e)) throw e; // removed meanwhile
    }
  }

  /** Committed snapshots, with their sizes unless `size: false`. */
  list(options: { size?: boolean } = {}): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    for (const name of fs.readdirSync(this.base)) {
      if (!SNAPSHOT_ID.test(name)) continue;
      const meta = this.meta(name);
      if (meta === undefined) continue;
      const size = options.size === false ? 0 : treeSize(this.dir(name));
      out.push({ ...meta, size });
    }
    return Promise.resolve(out);
  }

  /**
   * Removes working directories left by processes that are gone (crashes, or
   * removals cut short). Returns the paths removed.
   */
  cleanupWork(): string[] {
    const removed: string[] = [];
    for (const name of fs.readdirSync(this.workBase)) {
      const pid = tempOwnerPid(name);
      if (pid !== undefined && isPidAlive(pid)) continue;
      const p = path.join(this.workBase, name);
      removeTree(p);
      removed.push(p);
    }
    return removed;
  }
}
