// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The solver's result cache on disk: one JSON record per cache key under
 * `cache/records/<hex of sha256(key)>.json`, and the last key record of each
 * step under `cache/explain/` to explain later misses.
 *
 * A record is a hit only while everything it references is still there: its
 * blobs must be in the content store; a missing snapshot is tolerated (the hit
 * comes back without `snapshotId` and the worker re-creates the tree from the
 * layers). Records are validated when read; a corrupt one is a miss, reported
 * once.
 *
 * @module
 */

import { z } from "zod";
import type { KeyRecord, ResultCache } from "../solver/mod.ts";
import { createHash, fs, fsp, path } from "../runtime/mod.ts";
import type { CacheResult, ContentStore } from "./types.ts";
import type { SnapshotStore } from "./snapshots.ts";
import { atomicWriteFile, isNotFound, isPidAlive, tempOwnerPid } from "./_fs.ts";

const TOUCH_INTERVAL_MS = 60_000;

const keyRecordSchema = z.object({
  key: z.string(),
  definition: z.string(),
  deps: z.array(z.object({
    kind: z.enum(["key", "content"]),
    value: z.string(),
    name: z.string(),
    selector: z.string().optional(),
  })),
});

const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/);

const layerSchema = z.object({
  mediaType: z.string(),
  digest: digestSchema,
  size: z.number().int().nonnegative(),
  diffId: z.string(),
  uncompressedSize: z.number().int().nonnegative().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  created: z.string().optional(),
});

const cacheResultSchema = z.object({
  snapshotId: z.string().optional(),
  layers: z.array(layerSchema),
  config: digestSchema.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

const recordFileSchema = z.object({
  version: z.literal(1),
  key: z.string(),
  result: cacheResultSchema,
  record: keyRecordSchema,
  createdAt: z.string(),
  lastUsed: z.string(),
});

const explainFileSchema = z.object({
  version: z.literal(1),
  explainId: z.string(),
  record: keyRecordSchema,
});

/** A cache record as stored. */
export interface StoredCacheRecord {
  /** The cache key. */
  key: string;
  /** The cached result. */
  result: CacheResult;
  /** What the key was computed from. */
  record: KeyRecord;
  /** ISO time of the save. */
  createdAt: string;
  /**
   * ISO time of the save. The live last use is the record file's mtime, bumped
   * by hits (a cheap utimes instead of a rewrite).
   */
  lastUsed: string;
}

/** A record file as listed for du/prune. */
export interface CacheRecordEntry {
  /** The record file. */
  file: string;
  /** Its size in bytes. */
  size: number;
  /** Last use (the file's mtime), in ms since the epoch. */
  lastUsedMs: number;
  /** The record, or `undefined` when the file is corrupt. */
  stored: StoredCacheRecord | undefined;
}

/** Options of {@linkcode CacheRecordStore}. */
export interface CacheRecordStoreOptions {
  /** Blobs the records reference. */
  content: ContentStore;
  /** Snapshots the records reference. */
  snapshots: SnapshotStore;
  /** Told once about each corrupt record file. */
  onWarning?: (message: string) => void;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function removeUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * The on-disk {@linkcode ResultCache} of the solver.
 *
 * @example
 * ```ts
 * import { openStore } from "./root.ts";
 * import { mkdtempSync } from "node:fs";
 * const store = openStore(mkdtempSync("/tmp/store-"));
 * const record = { key: "k", definition: "d", deps: [] };
 * await store.cache.save("k", { layers: [] }, record);
 * const hit = await store.cache.load("k", new AbortController().signal);
 * console.assert(hit !== undefined && hit.layers.length === 0);
 * ```
 */
export class CacheRecordStore implements ResultCache<CacheResult> {
  /** `cache/records`. */
  readonly recordsDir: string;
  /** `cache/explain`. */
  readonly explainDir: string;
  /** Warnings given so far (corrupt records). */
  readonly warnings: string[] = [];
  #content: ContentStore;
  #snapshots: SnapshotStore;
  #onWarning: ((message: string) => void) | undefined;
  #reported = new Set<string>();

  /** Opens (and creates) the cache area of the store at `root`. */
  constructor(root: string, options: CacheRecordStoreOptions) {
    this.recordsDir = path.join(root, "cache", "records");
    this.explainDir = path.join(root, "cache", "explain");
    fs.mkdirSync(this.recordsDir, { recursive: true });
    fs.mkdirSync(this.explainDir, { recursive: true });
    this.#content = options.content;
    this.#snapshots = options.snapshots;
    this.#onWarning = options.onWarning;
  }

  /** The file of the record for `key`. */
  recordPath(key: string): string {
    return path.join(this.recordsDir, `${sha256Hex(key)}.json`);
  }

  #warn(file: string, why: string): void {
    if (this.#reported.has(file)) return;
    this.#reported.add(file);
    const message = `Ignoring corrupt cache record ${JSON.stringify(file)}: ${why}`;
    this.warnings.push(message);
    this.#onWarning?.(message);
  }

  /** Reads and validates a record file; `undefined` when absent or corrupt (reported). */
  readRecordFile(file: string): StoredCacheRecord | undefined {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      this.#warn(file, `not JSON: ${(e as Error).message}`);
      return undefined;
    }
    const parsed = recordFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.#warn(file, `${issue?.path.join(".") || "record"}: ${issue?.message ?? "invalid"}`);
      return undefined;
    }
    const { version: _v, ...stored } = parsed.data;
    return stored as StoredCacheRecord;
  }

  /**
   * The cached result for `key`, when the record exists, is valid and its
   * blobs are all present; without `snapshotId` when the snapshot is gone.
   */
  async load(key: string, signal?: AbortSignal): Promise<CacheResult | undefined> {
    signal?.throwIfAborted();
    const file = this.recordPath(key);
    const stored = this.readRecordFile(file);
    if (stored === undefined) return undefined;
    if (stored.key !== key) {
      this.#warn(file, "it holds another key");
      return undefined;
    }
    const result = stored.result;
    const blobs = result.layers.map((l) => l.digest);
    if (result.config !== undefined) blobs.push(result.config);
    for (const d of blobs) {
      if (!(await this.#content.has(d))) return undefined;
    }
    const out: CacheResult = { ...result };
    if (out.snapshotId !== undefined) {
      if (this.#snapshots.exists(out.snapshotId)) {
        await this.#snapshots.touch(out.snapshotId);
      } else {
        delete out.snapshotId;
      }
    }
    this.#touch(file);
    return out;
  }

  /** Bumps the record's last use (its mtime) at most once a minute. */
  #touch(file: string): void {
    try {
      const now = Date.now();
      if (now - fs.statSync(file).mtimeMs < TOUCH_INTERVAL_MS) return;
      const t = new Date(now);
      fs.utimesSync(file, t, t);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Writes the record for `key` atomically. */
  async save(key: string, result: CacheResult, record: KeyRecord): Promise<void> {
    const now = new Date().toISOString();
    const body = removeUndefined({
      version: 1,
      key,
      result,
      record,
      createdAt: now,
      lastUsed: now,
    });
    await atomicWriteFile(this.recordPath(key), JSON.stringify(body));
  }

  /** Removes the record for `key`. */
  async delete(key: string): Promise<boolean> {
    try {
      await fsp.unlink(this.recordPath(key));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /** The key record saved last for a step, to explain a miss. */
  lastRecord(explainId: string): Promise<KeyRecord | undefined> {
    const file = path.join(this.explainDir, `${sha256Hex(explainId)}.json`);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      if (isNotFound(e)) return Promise.resolve(undefined);
      return Promise.reject(e);
    }
    try {
      const parsed = explainFileSchema.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.explainId === explainId) {
        return Promise.resolve(parsed.data.record as KeyRecord);
      }
      this.#warn(file, "invalid explain record");
    } catch (e) {
      this.#warn(file, `not JSON: ${(e as Error).message}`);
    }
    return Promise.resolve(undefined);
  }

  /** Remembers that `explainId` was last computed as `record`. */
  async remember(explainId: string, record: KeyRecord): Promise<void> {
    const file = path.join(this.explainDir, `${sha256Hex(explainId)}.json`);
    await atomicWriteFile(file, JSON.stringify(removeUndefined({ version: 1, explainId, record })));
  }

  /** Every record file with its size and last use (corrupt ones included, `stored` unset). */
  list(): CacheRecordEntry[] {
    const out: CacheRecordEntry[] = [];
    for (const name of fs.readdirSync(this.recordsDir)) {
      const file = path.join(this.recordsDir, name);
      if (!/^[0-9a-f]{64}\.json$/.test(name)) {
        // A temporary file of a writer that died.
        const pid = tempOwnerPid(name.slice(".tmp-".length));
        if (name.startsWith(".tmp-") && (pid === undefined || !isPidAlive(pid))) {
          const st = fs.statSync(file, { throwIfNoEntry: false });
          if (st !== undefined) {
            out.push({ file, size: st.size, lastUsedMs: st.mtimeMs, stored: undefined });
          }
        }
        continue;
      }
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st === undefined) continue;
      out.push({ file, size: st.size, lastUsedMs: st.mtimeMs, stored: this.readRecordFile(file) });
    }
    return out;
  }
}
