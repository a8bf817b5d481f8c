// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The on-disk store: a content store (blobs by digest, atomic writes, verified
 * on every read), snapshots (file trees cloned with hard links), the solver's
 * result cache, tagged images in an OCI image layout, named locks, and
 * du/prune.
 *
 * @example
 * ```ts
 * import { openStore, resolveStoreRoot } from "./mod.ts";
 * import { mkdtempSync } from "node:fs";
 * const root = resolveStoreRoot({ explicit: mkdtempSync("/tmp/store-"), env: {}, home: "/root" });
 * const store = openStore(root);
 * const { digest } = await store.content.ingest(new Blob(["hi"]).stream());
 * console.assert(await store.content.has(digest));
 * ```
 *
 * @module
 */

export * from "./types.ts";
export { FileContentStore, MemoryContentStore } from "./content_store.ts";
export { LockManager } from "./lock.ts";
export type { HeldLock, LockOptions, LockOwner } from "./lock.ts";
export { cloneTree, removeTree, SnapshotStore, treeSize } from "./snapshots.ts";
export type {
  CloneError,
  CloneTreeOptions,
  CommitSnapshotOptions,
  CreateSnapshotOptions,
  MutableSnapshot,
  SnapshotInfo,
  SnapshotMeta,
} from "./snapshots.ts";
export { CacheRecordStore } from "./cache_records.ts";
export type {
  CacheRecordEntry,
  CacheRecordStoreOptions,
  StoredCacheRecord,
} from "./cache_records.ts";
export {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_CREATED,
  ANNOTATION_REF_NAME,
  ensureLayout,
  ImageStore,
} from "./image_store.ts";
export type { ImageDescriptor, ImageStoreOptions, TaggedImage } from "./image_store.ts";
export { openStore, resolveStoreRoot } from "./root.ts";
export type { OpenStoreOptions, Store, StoreRootInputs } from "./root.ts";
export { diskUsage, parseSize, parseUntil, prune } from "./usage.ts";
export type {
  DiskUsage,
  PruneOptions,
  PruneResult,
  UsageEntry,
  UsageKind,
  UsageTotals,
} from "./usage.ts";
