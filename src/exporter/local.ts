// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The `local` exporter (`-o type=local,dest=DIR` or `-o DIR`): copies the
 * final root file system into a directory, keeping modes, symlinks, hardlinks
 * and modification times (set to SOURCE_DATE_EPOCH when given), and
 * ownership when running as root. Like BuildKit, files are written into
 * `dest` (existing files with the same name are replaced, others are kept).
 * Each file is written under a temporary name and renamed into place.
 * Device nodes, fifos and sockets cannot be created from here and are
 * reported in the result instead.
 *
 * @module
 */

import { fsp, path, process } from "../runtime/mod.ts";
import { errorText, tempSibling } from "./_io.ts";
import { type TreeEntry, walkTree } from "./_tree.ts";
import { ExportError } from "./errors.ts";

/** Options of {@linkcode exportLocal}. */
export interface ExportLocalOptions {
  /** SOURCE_DATE_EPOCH: every file's mtime (and atime) is set to it. */
  sourceDateEpoch?: number;
}

/** What {@linkcode exportLocal} did. */
export interface ExportLocalResult {
  /** Entries copied. */
  copied: number;
  /** Paths not copied (device nodes, fifos, sockets), relative to the root. */
  skipped: string[];
}

async function removeIfNotDir(file: string): Promise<void> {
  try {
    const st = await fsp.lstat(file);
    if (!st.isDirectory()) await fsp.rm(file, { force: true });
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") throw e;
  }
}

async function placeAtomically(
  target: string,
  make: (tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = tempSibling(target);
  try {
    await make(tmp);
    try {
      await fsp.rename(tmp, target);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== "EISDIR" && code !== "ENOTEMPTY" && code !== "EEXIST") throw e;
      await fsp.rm(target, { recursive: true, force: true });
      await fsp.rename(tmp, target);
    }
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/**
 * Copies the tree under `root` into `dest`.
 *
 * @throws {ExportError} on I/O errors.
 *
 * @example
 * ```ts ignore
 * import { exportLocal } from "./local.ts";
 * await exportLocal("/var/lib/snap/rootfs", "./out", { sourceDateEpoch: 0 });
 * ```
 */
export async function exportLocal(
  root: string,
  dest: string,
  options: ExportLocalOptions = {},
): Promise<ExportLocalResult> {
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const dirs: TreeEntry[] = [];
  const skipped: string[] = [];
  let copied = 0;
  const times = (e: TreeEntry): [number, number] =>
    options.sourceDateEpoch !== undefined
      ? [options.sourceDateEpoch, options.sourceDateEpoch]
      : [e.atimeMs / 1000, e.mtimeMs / 1000];
  try {
    await fsp.mkdir(dest, { recursive: true });
    for await (const entry of walkTree(root)) {
      const target = path.join(dest, ...entry.rel.split("/"));
      switch (entry.kind) {
        case "dir":
          await removeIfNotDir(target);
          await fsp.mkdir(target, { recursive: true });
          dirs.push(entry);
          break;
        case "file":
          await placeAtomically(target, async (tmp) => {
            await fsp.copyFile(entry.abs, tmp);
            if (asRoot) await fsp.lchown(tmp, entry.uid, entry.gid);
            await fsp.chmod(tmp, entry.mode);
            const [a, m] = times(entry);
            await fsp.utimes(tmp, a, m);
          });
          break;
        case "hardlink":
          await placeAtomically(target, async (tmp) => {
            await fsp.link(path.join(dest, ...(entry.link ?? "").split("/")), tmp);
          });
          break;
        case "symlink":
          await placeAtomically(target, async (tmp) => {
            await fsp.symlink(entry.link ?? "", tmp);
            if (asRoot) await fsp.lchown(tmp, entry.uid, entry.gid);
            const [a, m] = times(entry);
            await fsp.lutimes(tmp, a, m);
          });
          break;
        default:
          skipped.push(entry.rel);
          continue;
      }
      copied++;
    }
    // Directory metadata last (deepest first), so writing children does not change it.
    for (const entry of dirs.reverse()) {
      const target = path.join(dest, ...entry.rel.split("/"));
      if (asRoot) await fsp.lchown(target, entry.uid, entry.gid);
      await fsp.chmod(target, entry.mode);
      const [a, m] = times(entry);
      await fsp.utimes(target, a, m);
    }
  } catch (e) {
    throw new ExportError(`failed to export to ${dest}: ${errorText(e)}`, { cause: e });
  }
  return { copied, skipped };
}
