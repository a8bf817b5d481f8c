// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Lazy views over imported caches: a content store that fetches a blob from
 * the remote caches the first time it is read, and a result cache that answers
 * a key from the remote caches without downloading anything.
 *
 * @module
 */

import type { KeyRecord, ResultCache } from "../solver/mod.ts";
import {
  type BlobInfo,
  BlobNotFoundError,
  type BlobWriter,
  type CacheResult,
  type ContentStore,
  type ExpectedBlob,
} from "../store/mod.ts";
import type { RemoteCache } from "./types.ts";

function remoteFor(remotes: readonly RemoteCache[], digest: string): RemoteCache | undefined {
  return remotes.find((r) => r.has(digest));
}

/** A stream whose bytes come from `open()` once it resolves. */
function deferredStream(
  open: () => Promise<ReadableStream<Uint8Array>>,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async start() {
      reader = (await open()).getReader();
    },
    async pull(controller) {
      try {
        const { done, value } = await reader!.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
}

/** A content store that fetches missing blobs from remote caches before reading them. */
class LazyContentStore implements ContentStore {
  #local: ContentStore;
  #remotes: readonly RemoteCache[];

  constructor(local: ContentStore, remotes: readonly RemoteCache[]) {
    this.#local = local;
    this.#remotes = remotes;
    const p = local.path;
    if (p !== undefined) this.path = (digest: string) => p.call(local, digest);
  }

  path?: (digest: string) => string;

  async #ensure(digest: string): Promise<void> {
    if (await this.#local.has(digest)) return;
    const remote = remoteFor(this.#remotes, digest);
    if (remote === undefined) throw new BlobNotFoundError(digest);
    await remote.fetchBlob(digest);
  }

  ingest(stream: ReadableStream<Uint8Array>, expected?: ExpectedBlob): Promise<BlobInfo> {
    return this.#local.ingest(stream, expected);
  }

  writer(): Promise<BlobWriter> {
    return this.#local.writer();
  }

  get(digest: string): ReadableStream<Uint8Array> {
    try {
      return this.#local.get(digest);
    } catch (e) {
      if (!(e instanceof BlobNotFoundError) || remoteFor(this.#remotes, digest) === undefined) {
        throw e;
      }
    }
    return deferredStream(async () => {
      await this.#ensure(digest);
      return this.#local.get(digest);
    });
  }

  async readBytes(digest: string): Promise<Uint8Array> {
    await this.#ensure(digest);
    return await this.#local.readBytes(digest);
  }

  async has(digest: string): Promise<boolean> {
    return (await this.#local.has(digest)) || remoteFor(this.#remotes, digest) !== undefined;
  }

  async size(digest: string): Promise<number | undefined> {
    const local = await this.#local.size(digest);
    if (local !== undefined) return local;
    for (const r of this.#remotes) {
      const l = r.has(digest) ? r.layer(digest) : undefined;
      if (l !== undefined) return l.size;
    }
    return undefined;
  }

  delete(digest: string): Promise<boolean> {
    return this.#local.delete(digest);
  }

  list(): Promise<BlobInfo[]> {
    return this.#local.list();
  }
}

/**
 * A content store that serves blobs from `local` and, when one is missing
 * there, fetches it from the first remote cache that has it (verified, into
 * `local`) before serving it. `has` counts remote blobs as present; writes,
 * `list` and `delete` go to `local`.
 *
 * @example
 * ```ts ignore
 * import { importCache, lazyContentStore } from "./mod.ts";
 * const remote = await importCache({ type: "local", src: "/tmp/cache" }, { store: local });
 * const content = lazyContentStore(local, [remote]);
 * const bytes = await content.readBytes(digest); // downloaded on first read
 * ```
 */
export function lazyContentStore(
  local: ContentStore,
  remotes: readonly RemoteCache[],
): ContentStore {
  return new LazyContentStore(local, remotes);
}

/**
 * A result cache that answers from `local` first, then from the remote caches
 * in order. A remote hit is returned as is (its layers are not downloaded: read
 * them through {@linkcode lazyContentStore}). Saves and explanations go to
 * `local`.
 *
 * @example
 * ```ts ignore
 * import { layeredResultCache } from "./mod.ts";
 * const cache = layeredResultCache(store.cache, [remote]);
 * const hit = await cache.load(key, signal);
 * ```
 */
export function layeredResultCache(
  local: ResultCache<CacheResult>,
  remotes: readonly RemoteCache[],
): ResultCache<CacheResult> {
  const out: ResultCache<CacheResult> = {
    async load(key: string, signal: AbortSignal): Promise<CacheResult | undefined> {
      const hit = await local.load(key, signal);
      if (hit !== undefined) return hit;
      signal.throwIfAborted();
      for (const r of remotes) {
        const found = r.lookup(key);
        if (found !== undefined) return found;
      }
      return undefined;
    },
    save(key: string, result: CacheResult, record: KeyRecord): Promise<void> {
      return local.save(key, result, record);
    },
  };
  if (local.lastRecord) out.lastRecord = (id) => local.lastRecord!(id);
  if (local.remember) out.remember = (id, record) => local.remember!(id, record);
  return out;
}
