// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The walking differ: the changes that turn a lower directory tree into an
 * upper one, for writing a layer. Both trees are walked together, in the order
 * a tar layer lists its entries (pre-order, names sorted by their UTF-8 bytes
 * within each directory; see {@linkcode comparePaths}).
 *
 * Rules:
 * - A non-directory with the same inode (dev+ino) on both sides is unchanged
 *   without being read: the snapshot store clones trees by hardlinking files.
 * - Otherwise an entry is modified when its type, mode (permissions and
 *   setuid/setgid/sticky), uid, gid, mtime (to the millisecond), size (not for
 *   directories), device number or symlink target differs. Regular files with
 *   different inodes and equal metadata count as modified, unless
 *   `compareContent` is set, which compares their bytes.
 * - A directory replaced by a non-directory (or the reverse) gives a delete and
 *   then an add of the same path; a deleted directory is one delete (its
 *   children are implied); an added directory is followed by adds of all its
 *   children.
 * - Extended attributes are not compared (out of scope for now): an xattr-only
 *   change is not seen.
 *
 * @module
 */

import { fs, path as nodePath } from "../runtime/mod.ts";

/** What a change does to its path. */
export type ChangeKind = "add" | "modify" | "delete";

/** File types a tree can hold. */
export type FileKind = "file" | "dir" | "symlink" | "char" | "block" | "fifo" | "socket";

/** The lstat information the differ and the layer writer use. */
export interface ChangeStat {
  /** File type. */
  kind: FileKind;
  /** Permission bits plus setuid/setgid/sticky (`mode & 0o7777`). */
  mode: number;
  /** Numeric owner. */
  uid: number;
  /** Numeric group. */
  gid: number;
  /** Size in bytes (as lstat reports; meaningful for regular files and symlinks). */
  size: number;
  /** Modification time in nanoseconds since the Unix epoch. */
  mtimeNs: bigint;
  /** Device of the file system holding the entry. */
  dev: bigint;
  /** Inode number. */
  ino: bigint;
  /** Hard link count. */
  nlink: number;
  /** Device number, for char and block devices. */
  rdev: number;
}

/** One change between two trees. */
export interface Change {
  /** What happened. */
  kind: ChangeKind;
  /** Path relative to the tree root, `/`-separated, without a leading or trailing `/`. */
  path: string;
  /** The upper entry's stat for add and modify; the lower entry's for delete. */
  stat: ChangeStat;
  /** Symlink target (of the upper entry), for symlink adds and modifies. */
  linkTarget?: string;
}

/** Options for {@linkcode diffTrees}. */
export interface DiffOptions {
  /**
   * Compare the bytes of regular files whose inodes differ but whose metadata
   * is equal (default false: such files count as modified).
   */
  compareContent?: boolean;
}

const encoder = new TextEncoder();

/**
 * Orders paths the way a layer lists them: component by component, each
 * component compared by UTF-8 bytes. So a directory comes right before its
 * children, and `a/b` sorts before `a-c` (which plain string order would not
 * do, as `-` < `/`).
 *
 * @example
 * ```ts
 * import { comparePaths } from "./diff.ts";
 * console.assert(["a-c", "a/b", "a"].sort(comparePaths).join(" ") === "a a/b a-c");
 * ```
 */
export function comparePaths(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = compareNames(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/** Compares two names by their UTF-8 bytes (equal to UTF-16 order for ASCII). */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : 1;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** lstat of one entry as a {@linkcode ChangeStat}. */
export function lstatChange(file: string): ChangeStat {
  return toChangeStat(fs.lstatSync(file, { bigint: true }));
}

/** The fields of a bigint lstat result the differ reads. */
interface BigStat {
  mode: bigint;
  uid: bigint;
  gid: bigint;
  size: bigint;
  mtimeNs: bigint;
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  rdev: bigint;
}

function toChangeStat(st: BigStat): ChangeStat {
  const fmt = Number(st.mode) & 0o170000;
  return {
    kind: kindOf(fmt),
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    dev: st.dev,
    ino: st.ino,
    nlink: Number(st.nlink),
    rdev: Number(st.rdev),
  };
}

function kindOf(fmt: number): FileKind {
  switch (fmt) {
    case 0o040000:
      return "dir";
    case 0o120000:
      return "symlink";
    case 0o020000:
      return "char";
    case 0o060000:
      return "block";
    case 0o010000:
      return "fifo";
    case 0o140000:
      return "socket";
    default:
      return "file";
  }
}

function sortedNames(dir: string): string[] {
  const names = fs.readdirSync(dir);
  return names.sort(compareNames);
}

/**
 * Lists the changes from `lowerDir` to `upperDir`, in layer order (see
 * {@linkcode comparePaths}). With `lowerDir` undefined every entry of the
 * upper tree is an add. The roots themselves are never reported.
 *
 * @example
 * ```ts
 * import { diffTrees } from "./diff.ts";
 * import { fs, os, path } from "../runtime/mod.ts";
 * const dir = fs.mkdtempSync(path.join(os.tmpdir(), "diff-"));
 * fs.writeFileSync(path.join(dir, "a"), "x");
 * const changes = diffTrees(undefined, dir);
 * console.assert(changes.length === 1 && changes[0]!.kind === "add");
 * fs.rmSync(dir, { recursive: true });
 * ```
 */
export function diffTrees(
  lowerDir: string | undefined,
  upperDir: string,
  options: DiffOptions = {},
): Change[] {
  const out: Change[] = [];
  const compareContent = options.compareContent ?? false;

  const addTree = (rel: string, abs: string, st: ChangeStat) => {
    out.push(addOrModify("add", rel, abs, st));
    if (st.kind !== "dir") return;
    for (const name of sortedNames(abs)) {
      const childAbs = nodePath.join(abs, name);
      addTree(join(rel, name), childAbs, lstatChange(childAbs));
    }
  };

  const walk = (rel: string, lowerAbs: string, upperAbs: string) => {
    const lower = sortedNames(lowerAbs);
    const upper = sortedNames(upperAbs);
    let i = 0;
    let j = 0;
    while (i < lower.length || j < upper.length) {
      const l = lower[i];
      const u = upper[j];
      const c = l === undefined ? 1 : u === undefined ? -1 : compareNames(l, u);
      if (c < 0) {
        const p = join(rel, l!);
        out.push({ kind: "delete", path: p, stat: lstatChange(nodePath.join(lowerAbs, l!)) });
        i++;
        continue;
      }
      if (c > 0) {
        const abs = nodePath.join(upperAbs, u!);
        addTree(join(rel, u!), abs, lstatChange(abs));
        j++;
        continue;
      }
      i++;
      j++;
      const p = join(rel, u!);
      const la = nodePath.join(lowerAbs, l!);
      const ua = nodePath.join(upperAbs, u!);
      const ls = lstatChange(la);
      const us = lstatChange(ua);
      if ((ls.kind === "dir") !== (us.kind === "dir")) {
        out.push({ kind: "delete", path: p, stat: ls });
        addTree(p, ua, us);
        continue;
      }
      if (us.kind === "dir") {
        if (!sameMetadata(ls, us)) out.push({ kind: "modify", path: p, stat: us });
        walk(p, la, ua);
        continue;
      }
      if (!sameEntry(ls, us, la, ua, compareContent)) {
        out.push(addOrModify("modify", p, ua, us));
      }
    }
  };

  const rootStat = lstatChange(upperDir);
  if (rootStat.kind !== "dir") throw new Error(`diff: ${upperDir} is not a directory`);
  if (lowerDir === undefined) {
    for (const name of sortedNames(upperDir)) {
      const abs = nodePath.join(upperDir, name);
      addTree(name, abs, lstatChange(abs));
    }
  } else {
    if (lstatChange(lowerDir).kind !== "dir") {
      throw new Error(`diff: ${lowerDir} is not a directory`);
    }
    walk("", lowerDir, upperDir);
  }
  return out;
}

function join(rel: string, name: string): string {
  return rel === "" ? name : `${rel}/${name}`;
}

function addOrModify(kind: "add" | "modify", rel: string, abs: string, st: ChangeStat): Change {
  if (st.kind === "symlink") return { kind, path: rel, stat: st, linkTarget: fs.readlinkSync(abs) };
  return { kind, path: rel, stat: st };
}

/**
 * Metadata every kind shares: type, mode, owner, mtime. Times compare to the
 * millisecond: a cloned tree gets its directory times back through utimes, which
 * takes float seconds (and Deno keeps only milliseconds), so sub-millisecond
 * digits of a clone differ from its source although nothing changed. Comparing
 * nanoseconds made the same build give different layers under Deno and Bun.
 */
function sameMetadata(a: ChangeStat, b: ChangeStat): boolean {
  return a.kind === b.kind && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid &&
    a.mtimeNs / 1_000_000n === b.mtimeNs / 1_000_000n;
}

function sameEntry(
  a: ChangeStat,
  b: ChangeStat,
  aPath: string,
  bPath: string,
  compareContent: boolean,
): boolean {
  if (a.dev === b.dev && a.ino === b.ino) return true;
  if (!sameMetadata(a, b) || a.size !== b.size) return false;
  switch (b.kind) {
    case "symlink":
      return fs.readlinkSync(aPath) === fs.readlinkSync(bPath);
    case "char":
    case "block":
      return a.rdev === b.rdev;
    case "file":
      return compareContent && sameContent(aPath, bPath, b.size);
    default:
      return true;
  }
}

const CHUNK = 1 << 20;

function sameContent(a: string, b: string, size: number): boolean {
  if (size <= CHUNK) {
    const x = fs.readFileSync(a);
    const y = fs.readFileSync(b);
    return x.length === y.length && x.equals(y);
  }
  const fa = fs.openSync(a, "r");
  try {
    const fb = fs.openSync(b, "r");
    try {
      const ba = new Uint8Array(CHUNK);
      const bb = new Uint8Array(CHUNK);
      while (true) {
        const na = readFull(fa, ba);
        const nb = readFull(fb, bb);
        if (na !== nb) return false;
        if (na === 0) return true;
        for (let i = 0; i < na; i++) if (ba[i] !== bb[i]) return false;
      }
    } finally {
      fs.closeSync(fb);
    }
  } finally {
    fs.closeSync(fa);
  }
}

function readFull(fd: number, buf: Uint8Array): number {
  let n = 0;
  while (n < buf.length) {
    const r = fs.readSync(fd, buf, n, buf.length - n, null);
    if (r === 0) break;
    n += r;
  }
  return n;
}
