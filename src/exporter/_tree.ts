// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Walking a root file system tree on disk (the final snapshot) for the
 * `local` and `tar` exporters: pre-order, names sorted by bytes per
 * directory, symlinks not followed, hardlinks detected by (dev, inode).
 *
 * @module
 */

import { fsp, path } from "../runtime/mod.ts";
import { byteCompare } from "./_io.ts";

/** Kind of a tree entry. */
export type TreeEntryKind =
  | "dir"
  | "file"
  | "symlink"
  | "hardlink"
  | "char"
  | "block"
  | "fifo"
  | "socket";

/** One entry of the tree. */
export interface TreeEntry {
  /** Path relative to the root, `/`-separated, no leading `./`. */
  rel: string;
  /** Absolute path on disk. */
  abs: string;
  /** Kind; `hardlink` for the second and later names of a multiply-linked file. */
  kind: TreeEntryKind;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** File size (regular files). */
  size: number;
  /** Modification time in ms. */
  mtimeMs: number;
  /** Access time in ms. */
  atimeMs: number;
  /** Symlink target, or the first path of a hardlinked file. */
  link?: string;
  /** Device numbers (char/block). */
  rdev: number;
}

/** Major number of a Linux `dev_t`. */
export function devMajor(rdev: number): number {
  const big = BigInt(rdev);
  return Number(((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn));
}

/** Minor number of a Linux `dev_t`. */
export function devMinor(rdev: number): number {
  const big = BigInt(rdev);
  return Number((big & 0xffn) | ((big >> 12n) & ~0xffn));
}

/** Walks `root` (which must be a directory) and yields its entries, root excluded. */
export async function* walkTree(root: string): AsyncGenerator<TreeEntry, void, undefined> {
  const links = new Map<string, string>();
  async function* visit(
    dirAbs: string,
    dirRel: string,
  ): AsyncGenerator<TreeEntry, void, undefined> {
    const names = (await fsp.readdir(dirAbs)).sort(byteCompare);
    for (const name of names) {
      const abs = path.join(dirAbs, name);
      const rel = dirRel === "" ? name : `${dirRel}/${name}`;
      const st = await fsp.lstat(abs);
      const entry: TreeEntry = {
        rel,
        abs,
        kind: "file",
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: 0,
        mtimeMs: st.mtimeMs,
        atimeMs: st.atimeMs,
        rdev: st.rdev,
      };
      if (st.isDirectory()) entry.kind = "dir";
      else if (st.isSymbolicLink()) {
        entry.kind = "symlink";
        entry.link = await fsp.readlink(abs);
      } else if (st.isFile()) {
        entry.size = st.size;
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          const first = links.get(key);
          if (first !== undefined) {
            entry.kind = "hardlink";
            entry.link = first;
            entry.size = 0;
          } else {
            links.set(key, rel);
          }
        }
      } else if (st.isCharacterDevice()) entry.kind = "char";
      else if (st.isBlockDevice()) entry.kind = "block";
      else if (st.isFIFO()) entry.kind = "fifo";
      else entry.kind = "socket";
      yield entry;
      if (entry.kind === "dir") yield* visit(abs, rel);
    }
  }
  yield* visit(root, "");
}
