// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Disk usage and garbage collection of the store (`buildctl du` / `prune`).
 *
 * What is kept: blobs reachable from a tagged image are never removed (untag
 * first); a snapshot or blob referenced by a remaining cache record stays.
 * What goes: cache records oldest-use first, then whatever only they
 * referenced; snapshots and blobs nothing references; temporary files of
 * writers that are gone.
 *
 * Prune runs under the `index` lock so that no image is tagged meanwhile. It
 * has no leases: results of a build still running in another process are not
 * referenced by any record yet, so pass `until` (e.g. `1h`) when builds may
 * be running.
 *
 * @module
 */

import { fs, path, process } from "../runtime/mod.ts";
import type { Store } from "./root.ts";
import { isActiveIngest } from "./content_store.ts";
import { treeInodes } from "./snapshots.ts";
import type { CacheRecordEntry } from "./cache_records.ts";
import { isNotFound, isPidAlive, tempOwnerPid } from "./_fs.ts";

/** Kind of a du entry. */
export type UsageKind = "blob" | "snapshot" | "cache-record" | "temp";

/** One line of `du`. */
export interface UsageEntry {
  kind: UsageKind;
  /** Digest, snapshot id, record file name (hex of the key's sha256) or temp path. */
  id: string;
  /** Bytes; for snapshots each inode counted once within the snapshot. */
  size: number;
  /** ISO time of the last use. */
  lastUsed: string;
  description: string | undefined;
  /** Reachable from a tagged image (blobs) or referenced by a cache record (snapshots, blobs). */
  inUse?: boolean;
  /** Snapshots: whether some files are hard links shared with another snapshot. */
  shared?: boolean;
}

/** Totals of `du`, in bytes. */
export interface UsageTotals {
  blobs: number;
  /** Snapshots, each inode counted once across all of them. */
  snapshots: number;
  cacheRecords: number;
  temp: number;
  total: number;
  /** What `prune({ all: true })` would free (approximately, for shared inodes exactly). */
  reclaimable: number;
}

/** Result of {@linkcode diskUsage}. */
export interface DiskUsage {
  entries: UsageEntry[];
  totals: UsageTotals;
}

/** Options of {@linkcode prune}. */
export interface PruneOptions {
  /** Also remove cache records whose blobs all belong to tagged images (the blobs stay). */
  all?: boolean;
  /** Stop once the store uses at most this many bytes. */
  keepStorage?: number;
  /** Keep entries used within this many milliseconds. */
  until?: number;
  /** The current time in ms (tests). */
  now?: number;
}

/** What prune removed. */
export interface PruneResult {
  removed: Array<{ kind: UsageKind; id: string; size: number }>;
  /** Bytes freed. */
  freed: number;
}

interface Model {
  records: Array<CacheRecordEntry & { blobs: string[]; snapshot: string | undefined }>;
  blobs: Map<string, { size: number; lastUsedMs: number }>;
  snapshots: Map<string, { lastUsedMs: number; inodes: Map<string, number>; description?: string }>;
  /** Blobs reachable from tagged images, with the refs reaching them. */
  pinned: Map<string, string[]>;
  blobRefs: Map<string, number>;
  snapRefs: Map<string, number>;
  inodeRefs: Map<string, number>;
  inodeSize: Map<string, number>;
  temp: Array<{ path: string; size: number; lastUsedMs: number }>;
}

function inc(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function dec(m: Map<string, number>, k: string): number {
  const n = (m.get(k) ?? 0) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
  return Math.max(n, 0);
}

function pathSize(p: string): number {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of fs.readdirSync(p)) total += pathSize(path.join(p, name));
  return total;
}

function collectTemp(store: Store): Model["temp"] {
  const out: Model["temp"] = [];
  const add = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (st !== undefined) out.push({ path: p, size: pathSize(p), lastUsedMs: st.mtimeMs });
  };
  const gone = (name: string) => {
    const pid = tempOwnerPid(name);
    return pid === undefined || !isPidAlive(pid);
  };
  for (const name of fs.readdirSync(store.content.ingestDir)) {
    const p = path.join(store.content.ingestDir, name);
    const pid = tempOwnerPid(name);
    const orphan = pid === process.pid ? !isActiveIngest(p) : gone(name);
    if (orphan) add(p);
  }
  for (const name of fs.readdirSync(store.snapshots.workBase)) {
    if (gone(name)) add(path.join(store.snapshots.workBase, name));
  }
  for (const dir of [store.root, path.join(store.root, "blobs", "sha256")]) {
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith(".tmp-") && gone(name.slice(5))) add(path.join(dir, name));
    }
  }
  return out;
}

/** Digests reachable from a manifest or index blob (itself included). */
async function reachable(store: Store, digest: string, into: Set<string>): Promise<void> {
  if (into.has(digest)) return;
  into.add(digest);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder().decode(await store.content.readBytes(digest)));
  } catch {
    return; // absent, corrupt or not JSON: nothing more to pin
  }
  const next: string[] = [];
  const take = (d: unknown) => {
    const digest = (d as { digest?: unknown } | null)?.digest;
    if (typeof digest === "string") next.push(digest);
  };
  take(doc["config"]);
  take(doc["subject"]);
  for (const key of ["layers", "manifests", "blobs"]) {
    const list = doc[key];
    if (Array.isArray(list)) list.forEach(take);
  }
  for (const d of next) {
    if (/^sha256:[0-9a-f]{64}$/.test(d)) await reachable(store, d, into);
  }
}

async function buildModel(store: Store): Promise<Model> {
  const blobs = new Map<string, { size: number; lastUsedMs: number }>();
  for (const b of await store.content.list()) {
    const st = fs.statSync(store.content.path(b.digest), { throwIfNoEntry: false });
    if (st !== undefined) blobs.set(b.digest, { size: st.size, lastUsedMs: st.mtimeMs });
  }
  const snapshots: Model["snapshots"] = new Map();
  const inodeRefs = new Map<string, number>();
  const inodeSize = new Map<string, number>();
  for (const s of await store.snapshots.list({ size: false })) {
    const inodes = treeInodes(store.snapshots.dir(s.id));
    for (const [k, size] of inodes) {
      inc(inodeRefs, k);
      inodeSize.set(k, size);
    }
    const entry: { lastUsedMs: number; inodes: Map<string, number>; description?: string } = {
      lastUsedMs: Date.parse(s.lastUsed) || 0,
      inodes,
    };
    if (s.description !== undefined) entry.description = s.description;
    snapshots.set(s.id, entry);
  }
  const pinned = new Map<string, string[]>();
  for (const image of await store.images.list()) {
    const set = new Set<string>();
    await reachable(store, image.digest, set);
    for (const d of set) pinned.set(d, [...(pinned.get(d) ?? []), image.ref]);
  }
  const blobRefs = new Map<string, number>();
  const snapRefs = new Map<string, number>();
  const records: Model["records"] = [];
  for (const r of store.cache.list()) {
    const result = r.stored?.result;
    const refsBlobs = result === undefined ? [] : [
      ...new Set([
        ...result.layers.map((l) => l.digest),
        ...(result.config !== undefined ? [result.config] : []),
      ]),
    ];
    const snapshot = result?.snapshotId;
    refsBlobs.forEach((d) => inc(blobRefs, d));
    if (snapshot !== undefined) inc(snapRefs, snapshot);
    records.push({ ...r, blobs: refsBlobs, snapshot });
  }
  return {
    records,
    blobs,
    snapshots,
    pinned,
    blobRefs,
    snapRefs,
    inodeRefs,
    inodeSize,
    temp: collectTemp(store),
  };
}

function recordDescription(r: CacheRecordEntry): string | undefined {
  if (r.stored === undefined) {
    return path.basename(r.file).startsWith(".tmp-") ? "temporary" : "corrupt";
  }
  const d = r.stored.result.meta?.["description"];
  return typeof d === "string" ? d : undefined;
}

function recordId(r: CacheRecordEntry): string {
  return path.basename(r.file).replace(/\.json$/, "");
}

/**
 * Lists what the store holds (like `buildctl du -v`), with totals.
 *
 * @example
 * ```ts
 * import { openStore } from "./root.ts";
 * import { diskUsage } from "./usage.ts";
 * import { mkdtempSync } from "node:fs";
 * const store = openStore(mkdtempSync("/tmp/store-"));
 * await store.content.ingest(new Blob(["abc"]).stream());
 * const du = await diskUsage(store);
 * console.assert(du.totals.blobs === 3);
 * ```
 */
export async function diskUsage(store: Store): Promise<DiskUsage> {
  const m = await buildModel(store);
  const entries: UsageEntry[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  let blobsTotal = 0;
  let reclaimable = 0;
  for (const [digest, b] of m.blobs) {
    const refs = m.pinned.get(digest);
    const inUse = refs !== undefined || m.blobRefs.has(digest);
    entries.push({
      kind: "blob",
      id: digest,
      size: b.size,
      lastUsed: iso(b.lastUsedMs),
      description: refs !== undefined ? `image ${refs.join(", ")}` : undefined,
      inUse,
    });
    blobsTotal += b.size;
    if (refs === undefined) reclaimable += b.size;
  }
  for (const [id, s] of m.snapshots) {
    let size = 0;
    let shared = false;
    for (const [k, n] of s.inodes) {
      size += n;
      if ((m.inodeRefs.get(k) ?? 0) > 1) shared = true;
    }
    entries.push({
      kind: "snapshot",
      id,
      size,
      lastUsed: iso(s.lastUsedMs),
      description: s.description,
      inUse: m.snapRefs.has(id),
      shared,
    });
  }
  let snapshotsTotal = 0;
  for (const n of m.inodeSize.values()) snapshotsTotal += n;
  reclaimable += snapshotsTotal;
  let recordsTotal = 0;
  for (const r of m.records) {
    entries.push({
      kind: "cache-record",
      id: recordId(r),
      size: r.size,
      lastUsed: iso(r.lastUsedMs),
      description: recordDescription(r),
    });
    recordsTotal += r.size;
  }
  reclaimable += recordsTotal;
  let tempTotal = 0;
  for (const t of m.temp) {
    entries.push({
      kind: "temp",
      id: t.path,
      size: t.size,
      lastUsed: iso(t.lastUsedMs),
      description: "left by a writer that is gone",
    });
    tempTotal += t.size;
  }
  reclaimable += tempTotal;
  return {
    entries,
    totals: {
      blobs: blobsTotal,
      snapshots: snapshotsTotal,
      cacheRecords: recordsTotal,
      temp: tempTotal,
      total: blobsTotal + snapshotsTotal + recordsTotal + tempTotal,
      reclaimable,
    },
  };
}

/**
 * Frees space: temporary files of dead writers, then cache records and
 * unreferenced snapshots and blobs, oldest last use first, until the store
 * uses at most `keepStorage` bytes (everything eligible without it). Entries
 * used within `until` ms are kept; blobs reachable from tagged images are
 * always kept.
 *
 * @example
 * ```ts
 * import { openStore } from "./root.ts";
 * import { prune } from "./usage.ts";
 * import { mkdtempSync } from "node:fs";
 * const store = openStore(mkdtempSync("/tmp/store-"));
 * const { digest } = await store.content.ingest(new Blob(["garbage"]).stream());
 * const res = await prune(store);
 * console.assert(res.freed === 7 && !(await store.content.has(digest)));
 * ```
 */
export function prune(store: Store, options: PruneOptions = {}): Promise<PruneResult> {
  return store.locks.withLock("index", () => pruneLocked(store, options));
}

async function pruneLocked(store: Store, options: PruneOptions): Promise<PruneResult> {
  const now = options.now ?? Date.now();
  const cutoff = options.until !== undefined ? now - options.until : undefined;
  const fresh = (ms: number) => cutoff !== undefined && ms > cutoff;
  const removed: PruneResult["removed"] = [];
  let freed = 0;
  const m = await buildModel(store);

  for (const t of m.temp) {
    try {
      fs.rmSync(t.path, { recursive: true, force: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    removed.push({ kind: "temp", id: t.path, size: t.size });
    freed += t.size;
  }

  let total = 0;
  for (const b of m.blobs.values()) total += b.size;
  for (const n of m.inodeSize.values()) total += n;
  for (const r of m.records) total += r.size;
  const under = () => options.keepStorage !== undefined && total <= options.keepStorage;

  const removeBlob = async (digest: string) => {
    const b = m.blobs.get(digest);
    if (b === undefined || m.pinned.has(digest) || m.blobRefs.has(digest)) return;
    m.blobs.delete(digest);
    if (await store.content.delete(digest)) {
      removed.push({ kind: "blob", id: digest, size: b.size });
      freed += b.size;
      total -= b.size;
    }
  };
  const removeSnapshot = async (id: string) => {
    const s = m.snapshots.get(id);
    if (s === undefined || m.snapRefs.has(id)) return;
    m.snapshots.delete(id);
    let size = 0;
    for (const k of s.inodes.keys()) {
      if (dec(m.inodeRefs, k) === 0) size += m.inodeSize.get(k) ?? 0;
    }
    if (await store.snapshots.remove(id)) {
      removed.push({ kind: "snapshot", id, size });
      freed += size;
      total -= size;
    }
  };

  type Candidate = { lastUsedMs: number; order: number; run: () => Promise<void> };
  const candidates: Candidate[] = [];
  // Garbage first among equals: snapshots and blobs nothing references (order 0).
  for (const [digest, b] of m.blobs) {
    if (m.pinned.has(digest) || m.blobRefs.has(digest) || fresh(b.lastUsedMs)) continue;
    candidates.push({ lastUsedMs: b.lastUsedMs, order: 0, run: () => removeBlob(digest) });
  }
  for (const [id, s] of m.snapshots) {
    if (m.snapRefs.has(id) || fresh(s.lastUsedMs)) continue;
    candidates.push({ lastUsedMs: s.lastUsedMs, order: 0, run: () => removeSnapshot(id) });
  }
  for (const r of m.records) {
    if (fresh(r.lastUsedMs)) continue;
    const imageBacked = r.blobs.length > 0 && r.blobs.every((d) => m.pinned.has(d));
    if (imageBacked && options.all !== true) continue;
    candidates.push({
      lastUsedMs: r.lastUsedMs,
      order: 1,
      run: async () => {
        try {
          fs.unlinkSync(r.file);
        } catch (e) {
          if (!isNotFound(e)) throw e;
          return;
        }
        removed.push({ kind: "cache-record", id: recordId(r), size: r.size });
        freed += r.size;
        total -= r.size;
        // Then what only this record held, unless used recently itself.
        if (r.snapshot !== undefined && dec(m.snapRefs, r.snapshot) === 0) {
          const s = m.snapshots.get(r.snapshot);
          if (s !== undefined && !fresh(s.lastUsedMs)) await removeSnapshot(r.snapshot);
        }
        for (const d of r.blobs) {
          if (dec(m.blobRefs, d) === 0) {
            const b = m.blobs.get(d);
            if (b !== undefined && !fresh(b.lastUsedMs)) await removeBlob(d);
          }
        }
      },
    });
  }
  candidates.sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.order - b.order);
  for (const c of candidates) {
    if (under()) break;
    await c.run();
  }
  return { removed, freed };
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/**
 * Parses a size like `10GB`, `512MiB`, `1.5g` or `1048576` into bytes. As in
 * Docker's `RAMInBytes` (used by `buildx prune --keep-storage`), every unit is
 * binary: `KB` = `KiB` = 1024.
 *
 * @throws {SyntaxError} for anything else.
 *
 * @example
 * ```ts
 * import { parseSize } from "./usage.ts";
 * console.assert(parseSize("512MiB") === 512 * 1024 * 1024);
 * console.assert(parseSize("10GB") === 10 * 1024 ** 3);
 * ```
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*$/i.exec(text);
  if (m === null || (m[3]!.toLowerCase() === "i")) {
    throw new SyntaxError(
      `Cannot parse size ${JSON.stringify(text)}: expected e.g. 10GB or 512MiB`,
    );
  }
  return Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration like `24h`, `1h30m`, `90s` or `7d` (Go's units plus `d`)
 * into milliseconds.
 *
 * @throws {SyntaxError} for anything else.
 *
 * @example
 * ```ts
 * import { parseUntil } from "./usage.ts";
 * console.assert(parseUntil("24h") === 86_400_000);
 * console.assert(parseUntil("1h30m") === 5_400_000);
 * ```
 */
export function parseUntil(text: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (s === "" || pos !== s.length) {
    throw new SyntaxError(
      `Cannot parse duration ${JSON.stringify(text)}: expected e.g. 24h or 90m`,
    );
  }
  return total;
}
