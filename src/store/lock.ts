// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Named locks under `locks/<name>.lock`, held across processes and, through an
 * async mutex, across concurrent builds in one process.
 *
 * The lock file is created with O_EXCL and holds the owner's pid, hostname,
 * time and a random token. A lock whose owner is gone (same host, pid not
 * alive) is taken over; waiting is polling with backoff up to a timeout.
 *
 * @module
 */

import { fs, path, process, randomBytes } from "../runtime/mod.ts";
import { LockTimeoutError } from "./types.ts";
import { hostName, isNotFound, isPidAlive } from "./_fs.ts";

/** Options for taking a lock. */
export interface LockOptions {
  /** How long to wait before failing with {@linkcode LockTimeoutError}; default 120 s. */
  timeoutMs?: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
}

/** A held lock. */
export interface HeldLock {
  /** The lock file. */
  readonly path: string;
  /** Releases the lock (idempotent). */
  release(): void;
}

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  time: string;
  /** Random token telling two holders with the same pid apart. */
  token: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** A lock file left empty (its writer died between create and write) is stale after this. */
const EMPTY_LOCK_STALE_MS = 5_000;
/** A takeover guard older than this belongs to a dead process. */
const GUARD_STALE_MS = 10_000;

/** Tokens of the locks held by this process. */
const HELD_TOKENS = new Set<string>();
/** Tail of each in-process mutex chain, by lock file path. */
const TAILS = new Map<string, Promise<void>>();

function lockName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new TypeError(
      `Cannot use lock name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`,
    );
  }
  return `${name}.lock`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(t);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Reads a lock file: its owner, `null` when unreadable or partial, `undefined` when absent. */
function readOwner(file: string): { owner: LockOwner | null; mtimeMs: number } | undefined {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof v.pid === "number" && typeof v.hostname === "string" &&
      typeof v.token === "string" && typeof v.time === "string"
    ) {
      return { owner: v as LockOwner, mtimeMs };
    }
  } catch {
    // Partially written; judged by age below.
  }
  return { owner: null, mtimeMs };
}

function isStale(found: { owner: LockOwner | null; mtimeMs: number }): boolean {
  const { owner } = found;
  if (owner === null) return Date.now() - found.mtimeMs > EMPTY_LOCK_STALE_MS;
  if (owner.hostname !== hostName()) return false; // cannot tell; wait for the timeout
  if (owner.pid === process.pid) return !HELD_TOKENS.has(owner.token);
  return !isPidAlive(owner.pid);
}

function describe(owner: LockOwner | null | undefined): string | undefined {
  if (owner === undefined || owner === null) return undefined;
  return `pid ${owner.pid} on ${owner.hostname} since ${owner.time}`;
}

/** Removes a stale lock, guarded so that two waiters never remove a fresh one. */
function takeOver(file: string, stale: LockOwner | null): void {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = fs.openSync(guard, "wx");
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") throw e;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > GUARD_STALE_MS) {
        fs.rmSync(guard, { force: true });
      }
    } catch (e2) {
      if (!isNotFound(e2)) throw e2;
    }
    return;
  }
  fs.closeSync(fd);
  try {
    const now = readOwner(file);
    if (now === undefined) return;
    const same = stale === null ? now.owner === null : now.owner?.token === stale.token;
    if (same && isStale(now)) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Tries once to create the lock file; the owner record on success. */
function tryCreate(file: string): LockOwner | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx", 0o644);
  } catch (e) {
    if ((e as { code?: string }).code === "EEXIST") return undefined;
    throw e;
  }
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostName(),
    time: new Date().toISOString(),
    token: randomBytes(12).toString("hex"),
  };
  HELD_TOKENS.add(owner.token);
  try {
    fs.writeSync(fd, JSON.stringify(owner));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return owner;
}

/** Waits for the in-process mutex of `key`; resolves to its release function. */
async function lockInProcess(
  key: string,
  deadline: number,
  signal: AbortSignal | undefined,
  onTimeout: () => Error,
): Promise<() => void> {
  const prev = TAILS.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  TAILS.set(key, tail);
  const done = () => {
    release();
    if (TAILS.get(key) === tail) TAILS.delete(key);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      prev,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), Math.max(0, deadline - Date.now()));
        if (signal !== undefined) {
          onAbort = () => reject(signal.reason);
          if (signal.aborted) onAbort();
          else signal.addEventListener("abort", onAbort, { once: true });
        }
      }),
    ]);
  } catch (e) {
    // Give our turn away as soon as it comes, so later waiters are not stuck behind us.
    prev.then(done, done);
    throw e;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
  }
  return done;
}

/**
 * Named locks in one directory.
 *
 * @example
 * ```ts
 * import { LockManager } from "./lock.ts";
 * import { mkdtempSync } from "node:fs";
 * const locks = new LockManager(mkdtempSync("/tmp/locks-"));
 * const n = await locks.withLock("index", () => 42);
 * console.assert(n === 42);
 * ```
 */
export class LockManager {
  /** The directory holding `<name>.lock` files. */
  readonly dir: string;

  /** Uses (and creates) `dir`. */
  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
  }

  /** The lock file for `name`. */
  lockPath(name: string): string {
    return path.join(this.dir, lockName(name));
  }

  /**
   * Takes the lock `name`: first the in-process mutex, then the lock file.
   *
   * @throws {LockTimeoutError} when it cannot be taken within `timeoutMs`.
   */
  async acquire(name: string, options: LockOptions = {}): Promise<HeldLock> {
    const file = this.lockPath(name);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const timeoutError = () =>
      new LockTimeoutError(file, timeoutMs, describe(readOwner(file)?.owner));
    const unlockLocal = await lockInProcess(file, deadline, options.signal, timeoutError);
    try {
      let delay = 5;
      for (;;) {
        options.signal?.throwIfAborted();
        const owner = tryCreate(file);
        if (owner !== undefined) return heldLock(file, owner, unlockLocal);
        const found = readOwner(file);
        if (found === undefined) continue; // released meanwhile
        if (isStale(found)) {
          takeOver(file, found.owner);
          continue;
        }
        if (Date.now() >= deadline) {
          throw new LockTimeoutError(file, timeoutMs, describe(found.owner));
        }
        const wait = Math.min(delay, Math.max(1, deadline - Date.now()));
        await sleep(wait * (0.5 + Math.random()), options.signal);
        delay = Math.min(delay * 2, 250);
      }
    } catch (e) {
      unlockLocal();
      throw e;
    }
  }

  /** Runs `fn` holding the lock `name`; releases it however `fn` ends. */
  async withLock<T>(name: string, fn: () => T | Promise<T>, options: LockOptions = {}): Promise<T> {
    const lock = await this.acquire(name, options);
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }
}

function heldLock(file: string, owner: LockOwner, unlockLocal: () => void): HeldLock {
  let released = false;
  return {
    path: file,
    release() {
      if (released) return;
      released = true;
      try {
        const now = readOwner(file);
        if (now?.owner?.token === owner.token) fs.rmSync(file, { force: true });
      } finally {
        HELD_TOKENS.delete(owner.token);
        unlockLocal();
      }
    },
  };
}
