// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The store root: where it is, and opening every part of the store under it.
 *
 * ```
 * <root>/oci-layout, index.json, blobs/sha256/<hex>   an OCI image layout (tagged images)
 * <root>/ingest/                                      temporary blob files
 * <root>/snapshots/<id>/{fs/,meta.json}, .work/       snapshots and working directories
 * <root>/cache/records/, cache/explain/               cache records
 * <root>/locks/                                       inter-process locks
 * ```
 *
 * @module
 */

import { fs, path } from "../runtime/mod.ts";
import { FileContentStore } from "./content_store.ts";
import { LockManager } from "./lock.ts";
import { SnapshotStore } from "./snapshots.ts";
import { CacheRecordStore } from "./cache_records.ts";
import { ensureLayout, ImageStore } from "./image_store.ts";

/** Inputs of {@linkcode resolveStoreRoot}. */
export interface StoreRootInputs {
  /** A path given explicitly (e.g. a `--cache-dir` flag); wins over everything. */
  explicit?: string;
  /** The environment (`BUILDKIT_CACHE_DIR`, `XDG_CACHE_HOME`). */
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory. */
  home: string;
  /** Directory that relative paths are resolved against; left relative when absent. */
  cwd?: string;
}

/**
 * Where the store lives: the explicit path, else `$BUILDKIT_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/buildkit` (when absolute, as the XDG spec requires), else
 * `<home>/.cache/buildkit`. Pure: reads nothing but its argument.
 *
 * @example
 * ```ts
 * import { resolveStoreRoot } from "./root.ts";
 * console.assert(resolveStoreRoot({ env: {}, home: "/home/u" }) === "/home/u/.cache/buildkit");
 * console.assert(
 *   resolveStoreRoot({ env: { XDG_CACHE_HOME: "/xdg" }, home: "/home/u" }) === "/xdg/buildkit",
 * );
 * ```
 */
export function resolveStoreRoot(inputs: StoreRootInputs): string {
  const pick = (p: string) =>
    inputs.cwd !== undefined ? path.posix.resolve(inputs.cwd, p) : path.posix.normalize(p);
  if (inputs.explicit !== undefined && inputs.explicit !== "") return pick(inputs.explicit);
  const fromEnv = inputs.env["BUILDKIT_CACHE_DIR"];
  if (fromEnv !== undefined && fromEnv !== "") return pick(fromEnv);
  const xdg = inputs.env["XDG_CACHE_HOME"];
  if (xdg !== undefined && xdg.startsWith("/")) return path.posix.join(xdg, "buildkit");
  return path.posix.join(inputs.home, ".cache", "buildkit");
}

/** Every part of an opened store. */
export interface Store {
  /** The root directory. */
  readonly root: string;
  /** Blobs by digest. */
  readonly content: FileContentStore;
  /** File trees. */
  readonly snapshots: SnapshotStore;
  /** The solver's result cache. */
  readonly cache: CacheRecordStore;
  /** Tagged images (the root's OCI layout index). */
  readonly images: ImageStore;
  /** Named inter-process locks. */
  readonly locks: LockManager;
}

/** Options of {@linkcode openStore}. */
export interface OpenStoreOptions {
  /** Told about recoverable problems (corrupt cache records). */
  onWarning?: (message: string) => void;
}

/**
 * Opens the store at `root`, creating its directories and OCI layout files
 * when missing.
 *
 * @example
 * ```ts
 * import { openStore } from "./root.ts";
 * import { existsSync, mkdtempSync } from "node:fs";
 * const store = openStore(mkdtempSync("/tmp/store-"));
 * console.assert(existsSync(store.root + "/oci-layout"));
 * ```
 */
export function openStore(root: string, options: OpenStoreOptions = {}): Store {
  fs.mkdirSync(root, { recursive: true });
  const content = new FileContentStore(root);
  ensureLayout(root);
  const locks = new LockManager(path.join(root, "locks"));
  const snapshots = new SnapshotStore(root);
  const cacheOptions = options.onWarning !== undefined
    ? { content, snapshots, onWarning: options.onWarning }
    : { content, snapshots };
  const cache = new CacheRecordStore(root, cacheOptions);
  const images = new ImageStore(root, { content, locks });
  return { root, content, snapshots, cache, images, locks };
}
