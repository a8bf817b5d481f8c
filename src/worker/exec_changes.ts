// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The changes a RUN step made, read from its overlay upper directory, as the
 * archive's {@linkcode Change} list that `writeLayer(changes, upperDir, …)`
 * turns into a layer.
 *
 * overlayfs records a deletion as a character device 0/0 in the upper
 * directory, and a directory whose lower contents are hidden (removed, then
 * made again) as a directory with the xattr `trusted.overlay.opaque=y`. The
 * runtimes here cannot read xattrs (Node, Deno and Bun have no xattr API, and
 * `getfattr` is not always installed), so opaque directories are found while
 * the overlay is still mounted: a directory of the upper dir is opaque when a
 * lower entry it had, neither in the upper dir nor whited out, is missing
 * from the merged view ({@linkcode findOpaqueDirs}; `runContainer` returns the
 * list as `ExecResult.opaqueDirs`).
 *
 * Conversion ({@linkcode upperToChanges}):
 * - a 0/0 character device → `delete` of its path;
 * - an opaque directory → `delete` of the directory then `add` of it and of
 *   everything under it (the same layer content as an opaque marker);
 * - any other entry → `add` (absent from the lower layers) or `modify`; a
 *   directory whose type, mode, owner and mtime equal the lower one's (an
 *   overlay copy-up of a parent) is not reported itself, only its changed
 *   children; a type change (directory ↔ non-directory) → `delete` + `add`.
 *
 * @module
 */

import { type Change, compareNames, lstatChange } from "../archive/mod.ts";
import { fs, path } from "../runtime/mod.ts";

function isWhiteout(abs: string): boolean {
  const st = fs.lstatSync(abs);
  return st.isCharacterDevice() && st.rdev === 0;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The lower layers as overlayfs sees them: directories bottom first, and for each the
 * directories that are opaque there (they hide everything below them in lower layers).
 * Opaque markers are xattrs this runtime cannot read, so the caller passes them.
 */
interface Lowers {
  dirs: readonly string[];
  opaque: ReadonlyArray<ReadonlySet<string>>;
}

/** Whether `rel` or one of its parents is opaque in lower `i` (hiding the layers below). */
function hiddenBelow(lowers: Lowers, i: number, rel: string): boolean {
  const set = lowers.opaque[i];
  if (set === undefined || set.size === 0) return false;
  for (let p = rel; p !== ""; p = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "") {
    if (set.has(p)) return true;
  }
  return false;
}

/** The lower entry of `rel`: the topmost lower layer holding it, unless whited out or hidden. */
function lowerEntry(lowers: Lowers, rel: string): string | undefined {
  for (let i = lowers.dirs.length - 1; i >= 0; i--) {
    const abs = path.join(lowers.dirs[i]!, rel);
    const st = lstatOrUndefined(abs);
    if (st !== undefined) {
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      return abs;
    }
    // An opaque parent in this layer hides the entry in every layer below.
    const parent = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
    if (parent !== "" && hiddenBelow(lowers, i, parent)) return undefined;
  }
  return undefined;
}

/** Names in directory `rel` of the lower layers (whiteouts and what opaque dirs hide excluded). */
function lowerNames(lowers: Lowers, rel: string): Set<string> {
  const names = new Set<string>();
  const hidden = new Set<string>();
  for (let i = lowers.dirs.length - 1; i >= 0; i--) {
    const abs = path.join(lowers.dirs[i]!, rel);
    const st = lstatOrUndefined(abs);
    if (st === undefined) {
      if (rel !== "" && hiddenBelow(lowers, i, rel)) break;
      continue;
    }
    if (!st.isDirectory()) break;
    for (const n of fs.readdirSync(abs)) {
      if (hidden.has(n) || names.has(n)) continue;
      const cst = fs.lstatSync(path.join(abs, n));
      if (cst.isCharacterDevice() && cst.rdev === 0) hidden.add(n);
      else names.add(n);
    }
    if (rel !== "" && hiddenBelow(lowers, i, rel)) break;
  }
  return names;
}

function lowersOf(
  dirs: readonly string[],
  opaque: ReadonlyArray<readonly string[]> | undefined,
): Lowers {
  return { dirs, opaque: dirs.map((_, i) => new Set(opaque?.[i] ?? [])) };
}

function join(rel: string, name: string): string {
  return rel === "" ? name : `${rel}/${name}`;
}

/**
 * Finds the opaque directories of an upper directory while its overlay is
 * mounted at `merged` (paths relative to the root, `/`-separated, sorted).
 *
 * @example
 * ```ts ignore
 * import { findOpaqueDirs } from "./exec_changes.ts";
 * const opaque = findOpaqueDirs("/bundle/rootfs", { upperDir: "/up", lowerDirs: ["/low"] });
 * ```
 */
export function findOpaqueDirs(
  merged: string,
  options: {
    upperDir: string;
    lowerDirs: readonly string[];
    /** Opaque dirs of each lower layer (bottom first), for lowers that were upper dirs. */
    lowerOpaque?: ReadonlyArray<readonly string[]>;
  },
): string[] {
  const lowers = lowersOf(options.lowerDirs, options.lowerOpaque);
  const out: string[] = [];
  const walk = (rel: string) => {
    const upperAbs = path.join(options.upperDir, rel);
    const names = fs.readdirSync(upperAbs).sort(compareNames);
    for (const name of names) {
      const childRel = join(rel, name);
      const st = fs.lstatSync(path.join(upperAbs, name));
      if (!st.isDirectory()) continue;
      const low = lowerEntry(lowers, childRel);
      if (low === undefined || !fs.lstatSync(low).isDirectory()) continue;
      const inUpper = new Set(fs.readdirSync(path.join(upperAbs, name)));
      let opaque = false;
      for (const n of lowerNames(lowers, childRel)) {
        if (inUpper.has(n)) continue;
        if (lstatOrUndefined(path.join(merged, childRel, n)) === undefined) opaque = true;
        break;
      }
      if (opaque) out.push(childRel);
      else walk(childRel);
    }
  };
  walk("");
  return out;
}

/** Options of {@linkcode upperToChanges}. */
export interface UpperToChangesOptions {
  /** The lower layers, bottom first, to tell adds from modifies and to skip copied-up dirs. */
  lowerDirs?: readonly string[];
  /** Opaque directories (from `ExecResult.opaqueDirs` / {@linkcode findOpaqueDirs}). */
  opaqueDirs?: readonly string[];
  /** Opaque dirs of each lower layer (bottom first), for lowers that were upper dirs. */
  lowerOpaque?: ReadonlyArray<readonly string[]>;
}

/**
 * The changes recorded in an overlay upper directory, in layer order.
 * Without `lowerDirs` every non-whiteout entry is an `add`.
 *
 * @example
 * ```ts ignore
 * import { upperToChanges } from "./exec_changes.ts";
 * const changes = upperToChanges("/up", { lowerDirs: ["/low"], opaqueDirs: [] });
 * for (const c of changes) console.log(c.kind, c.path);
 * ```
 */
export function upperToChanges(upperDir: string, options: UpperToChangesOptions = {}): Change[] {
  const lowers = options.lowerDirs === undefined
    ? undefined
    : lowersOf(options.lowerDirs, options.lowerOpaque);
  const opaque = new Set(options.opaqueDirs ?? []);
  const out: Change[] = [];

  const add = (kind: "add" | "modify", rel: string, abs: string) => {
    const st = lstatChange(abs);
    if (st.kind === "symlink") {
      out.push({ kind, path: rel, stat: st, linkTarget: fs.readlinkSync(abs) });
    } else {
      out.push({ kind, path: rel, stat: st });
    }
  };
  const addTree = (rel: string, abs: string) => {
    add("add", rel, abs);
    if (!fs.lstatSync(abs).isDirectory()) return;
    for (const name of fs.readdirSync(abs).sort(compareNames)) {
      const child = path.join(abs, name);
      if (isWhiteout(child)) continue;
      addTree(join(rel, name), child);
    }
  };

  const walk = (rel: string) => {
    const dirAbs = path.join(upperDir, rel);
    for (const name of fs.readdirSync(dirAbs).sort(compareNames)) {
      const childRel = join(rel, name);
      const abs = path.join(dirAbs, name);
      const low = lowers === undefined ? undefined : lowerEntry(lowers, childRel);
      if (isWhiteout(abs)) {
        const stat = lstatChange(low ?? abs);
        out.push({ kind: "delete", path: childRel, stat });
        continue;
      }
      const st = lstatChange(abs);
      if (opaque.has(childRel) || low === undefined) {
        if (low !== undefined) out.push({ kind: "delete", path: childRel, stat: lstatChange(low) });
        addTree(childRel, abs);
        continue;
      }
      const ls = lstatChange(low);
      if ((ls.kind === "dir") !== (st.kind === "dir")) {
        out.push({ kind: "delete", path: childRel, stat: ls });
        addTree(childRel, abs);
        continue;
      }
      if (st.kind === "dir") {
        const same = ls.mode === st.mode && ls.uid === st.uid && ls.gid === st.gid &&
          ls.mtimeNs / 1_000_000n === st.mtimeNs / 1_000_000n;
        if (!same) add("modify", childRel, abs);
        walk(childRel);
        continue;
      }
      add("modify", childRel, abs);
    }
  };
  walk("");
  return out;
}
