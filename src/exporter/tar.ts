// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The `tar` exporter (`-o type=tar,dest=FILE` or `-o -`): the final root file
 * system as one tar stream, entries in walk order (sorted names), numeric
 * owners, hardlinks as link entries, file times set to SOURCE_DATE_EPOCH when
 * given. Streamed: file bodies are read as the tar is written. The file is
 * written under a temporary name and renamed at the end.
 *
 * @module
 */

import { createTarStream, type TarHeader, type TarWriterEntry } from "../archive/mod.ts";
import { fsp } from "../runtime/mod.ts";
import { devMajor, devMinor, type TreeEntry, walkTree } from "./_tree.ts";
import { writeTar } from "./oci_layout.ts";

/** Options of {@linkcode exportTar} and {@linkcode treeTarStream}. */
export interface ExportTarOptions {
  /** SOURCE_DATE_EPOCH: every entry's mtime is set to it. */
  sourceDateEpoch?: number;
}

async function* fileBody(file: string, size: number): AsyncGenerator<Uint8Array, void, undefined> {
  const handle = await fsp.open(file, "r");
  try {
    let left = size;
    while (left > 0) {
      const buf = new Uint8Array(Math.min(left, 1 << 20));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function header(entry: TreeEntry, mtime: number): TarHeader | undefined {
  const base = { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime };
  switch (entry.kind) {
    case "dir":
      return { ...base, name: `${entry.rel}/`, type: "directory" };
    case "file":
      return { ...base, name: entry.rel, type: "file", size: entry.size };
    case "symlink":
      return { ...base, name: entry.rel, type: "symlink", linkname: entry.link ?? "" };
    case "hardlink":
      return { ...base, name: entry.rel, type: "link", linkname: entry.link ?? "" };
    case "char":
    case "block":
      return {
        ...base,
        name: entry.rel,
        type: entry.kind,
        devmajor: devMajor(entry.rdev),
        devminor: devMinor(entry.rdev),
      };
    case "fifo":
      return { ...base, name: entry.rel, type: "fifo" };
    default:
      return undefined; // sockets cannot be archived
  }
}

async function* treeEntries(
  root: string,
  options: ExportTarOptions,
): AsyncGenerator<TarWriterEntry, void, undefined> {
  for await (const entry of walkTree(root)) {
    const mtime = options.sourceDateEpoch ?? Math.floor(entry.mtimeMs / 1000);
    const h = header(entry, mtime);
    if (h === undefined) continue;
    if (entry.kind === "file") {
      yield { header: h, body: { [Symbol.asyncIterator]: () => fileBody(entry.abs, entry.size) } };
    } else {
      yield { header: h };
    }
  }
}

/**
 * A tar stream of the tree under `root` (the root itself not included).
 *
 * @example
 * ```ts ignore
 * import { treeTarStream } from "./tar.ts";
 * const tar = treeTarStream("/var/lib/snap/rootfs", { sourceDateEpoch: 0 });
 * ```
 */
export function treeTarStream(
  root: string,
  options: ExportTarOptions = {},
): ReadableStream<Uint8Array> {
  return createTarStream(treeEntries(root, options));
}

/**
 * Writes the tree under `root` as a tar file at `dest` (or stdout for `-`).
 *
 * @throws {ExportError} on I/O errors; an existing `dest` is left untouched.
 *
 * @example
 * ```ts ignore
 * import { exportTar } from "./tar.ts";
 * await exportTar("/var/lib/snap/rootfs", "rootfs.tar");
 * ```
 */
export async function exportTar(
  root: string,
  dest: string,
  options: ExportTarOptions = {},
): Promise<void> {
  await writeTar(dest, treeTarStream(root, options));
}
