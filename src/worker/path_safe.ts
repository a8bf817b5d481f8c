// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Paths resolved inside a root directory as if the root were `/` (a chroot):
 * `..` stops at the root, symbolic links are followed but an absolute target
 * restarts at the root and a relative one cannot climb above it. This is the
 * rule of containerd's `fs.RootPath`, which BuildKit's file op uses for every
 * source and destination path.
 *
 * @module
 */

import { fs, fsp, path } from "../runtime/mod.ts";

/** Most symbolic links followed while resolving one path (containerd's limit). */
export const MAX_SYMLINKS = 255;

/** Options of {@linkcode resolveInRoot}. */
export interface ResolveInRootOptions {
  /**
   * Follow a symbolic link in the last component too. Default true. With
   * false the last component is kept as is (for lstat, unlink, or creating a
   * link in its place); its parent directories are still resolved.
   */
  followFinal?: boolean;
}

/** Thrown when resolving a path meets too many symbolic links (a loop). */
export class SymlinkLoopError extends Error {
  /** `ELOOP`, as the kernel reports it. */
  readonly code = "ELOOP";
  /** Builds the error for the path `p` (as given, relative to the root). */
  constructor(p: string) {
    super(`${p}: too many levels of symbolic links`);
    this.name = "SymlinkLoopError";
  }
}

/**
 * Cleans `p` as an absolute path inside a root: joins it to `/`, removes `.`
 * and empty segments and applies `..` lexically without climbing above `/`.
 *
 * @example
 * ```ts
 * import { cleanInRoot } from "./path_safe.ts";
 * console.assert(cleanInRoot("../../a/./b/../c") === "/a/c");
 * console.assert(cleanInRoot("") === "/");
 * ```
 */
export function cleanInRoot(p: string): string {
  return "/" + pushSegments([], p.split("/")).join("/");
}

function pushSegments(out: string[], parts: readonly string[]): string[] {
  for (const part of parts) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out;
}

interface Lstat {
  isSymbolicLink(): boolean;
}

type Fs = {
  lstat(p: string): Lstat | undefined;
  readlink(p: string): string;
};

function resolveWith(
  root: string,
  p: string,
  followFinal: boolean,
  io: Fs,
): string {
  const resolved: string[] = [];
  // Segments still to walk, in order (a stack: last element first to walk).
  let pending = p.split("/").filter((s) => s !== "" && s !== ".").reverse();
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    if (part === ".") continue;
    const isLast = pending.length === 0;
    resolved.push(part);
    if (missing || (isLast && !followFinal)) continue;
    const host = path.join(root, ...resolved);
    const st = io.lstat(host);
    if (st === undefined) {
      // Nothing there: the rest is taken lexically (it will be created or reported missing).
      missing = true;
      continue;
    }
    if (!st.isSymbolicLink()) continue;
    if (++links > MAX_SYMLINKS) throw new SymlinkLoopError(p);
    const target = io.readlink(host);
    resolved.pop();
    if (target.startsWith("/")) resolved.length = 0;
    const next = target.split("/").filter((s) => s !== "" && s !== ".").reverse();
    pending = pending.concat(next);
  }
  return resolved.length === 0 ? root : path.join(root, ...resolved);
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

const syncIo: Fs = {
  lstat(p) {
    try {
      return fs.lstatSync(p);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  },
  readlink(p) {
    return fs.readlinkSync(p);
  },
};

/**
 * The host path of `p` (a path inside the tree at `root`, `/`-separated,
 * absolute or relative to the root) with every symbolic link resolved inside
 * the root. The result is always `root` or below it. Components that do not
 * exist are kept lexically. Throws {@linkcode SymlinkLoopError} after
 * {@linkcode MAX_SYMLINKS} links.
 *
 * @example
 * ```ts ignore
 * import { resolveInRoot } from "./path_safe.ts";
 * // /tmp/root/etc/x -> /../../../passwd resolves to /tmp/root/passwd
 * const p = await resolveInRoot("/tmp/root", "/etc/x");
 * ```
 */
export function resolveInRoot(
  root: string,
  p: string,
  options: ResolveInRootOptions = {},
): Promise<string> {
  // The walk is a handful of lstat calls; doing it synchronously keeps the
  // result consistent (no interleaving with other work on the same tree).
  try {
    return Promise.resolve(resolveWith(root, p, options.followFinal ?? true, syncIo));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous form of {@linkcode resolveInRoot}. */
export function resolveInRootSync(
  root: string,
  p: string,
  options: ResolveInRootOptions = {},
): string {
  return resolveWith(root, p, options.followFinal ?? true, syncIo);
}

/**
 * The path of `hostPath` relative to `root` as an absolute in-root path
 * (`/a/b`), or undefined when `hostPath` is not `root` or below it.
 *
 * @example
 * ```ts
 * import { inRootPath } from "./path_safe.ts";
 * console.assert(inRootPath("/r", "/r/a/b") === "/a/b");
 * console.assert(inRootPath("/r", "/rx") === undefined);
 * ```
 */
export function inRootPath(root: string, hostPath: string): string | undefined {
  const rel = path.relative(root, hostPath);
  if (rel === "") return "/";
  if (rel === ".." || rel.startsWith("../") || path.isAbsolute(rel)) return undefined;
  return "/" + rel;
}

/** Whether an lstat of `p` finds something (a dangling symlink counts). */
export async function lexists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}
