// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * File helpers private to src/store: atomic writes, directory syncs, temporary
 * names that carry the writer's pid (so a cleaner can tell a crashed writer's
 * leftovers from a live one's), and digest parsing.
 *
 * @module
 */

import { fs, fsp, os, path, process, randomBytes } from "../runtime/mod.ts";

const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;

/** The hex part of a `sha256:<hex>` digest; throws a TypeError for anything else. */
export function sha256Hex(digest: string): string {
  const m = SHA256_DIGEST.exec(digest);
  if (m === null) {
    throw new TypeError(
      `Cannot use digest ${JSON.stringify(digest)}: the store holds sha256 digests only`,
    );
  }
  return m[1]!;
}

/** A temporary name `<pid>-<random>` (see {@linkcode tempOwnerPid}). */
export function tempName(): string {
  return `${process.pid}-${randomBytes(8).toString("hex")}`;
}

/** The pid encoded in a {@linkcode tempName}, or `undefined` for a foreign name. */
export function tempOwnerPid(name: string): number | undefined {
  const m = /^(\d+)-[0-9a-f]+/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Whether a process with this pid exists on this host. */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as { code?: string }).code === "EPERM";
  }
}

/** This host's name, as written in lock files. */
export function hostName(): string {
  return os.hostname();
}

/** Syncs a directory so that a rename into it survives a power loss (best effort). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Some file systems and runtimes refuse to sync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes `data` to `file` atomically: a temporary file in the same directory,
 * fsync, rename over the target, sync of the directory. A crash leaves either
 * the old content or the new one, never a mix.
 */
export async function atomicWriteFile(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.tmp-${tempName()}-${path.basename(file)}`);
  const fh = await fsp.open(tmp, "wx", 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** Synchronous {@linkcode atomicWriteFile}, for small files written at start-up. */
export function atomicWriteFileSync(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.tmp-${tempName()}-${path.basename(file)}`);
  const fd = fs.openSync(tmp, "wx", 0o644);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** Whether an error is ENOENT (or ENOTDIR). */
export function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Reads a JSON file; `undefined` when it does not exist. Other errors (and bad JSON) throw. */
export function readJsonFileSync(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  return JSON.parse(text);
}
