// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Cache import: reads a cache manifest and its config (verified) from a
 * registry or a local OCI layout, or the inline cache of an image config,
 * and builds the key → layer chain map. Nothing else is downloaded until a
 * blob is asked for (`fetchBlob`), and every blob fetched is verified against
 * its digest and size before it becomes visible in the local store.
 *
 * Accepted manifests (as BuildKit's importer, `cache/remotecache/import.go`):
 * an image manifest whose config has media type
 * `application/vnd.buildkit.cacheconfig.v0`, an index (OCI or Docker list)
 * holding the layers and one such config descriptor, or, for anything else, an
 * image (or an index of images) whose config carries an inline cache.
 *
 * @module
 */

import {
  type Descriptor,
  type ImageConfig,
  isManifestMediaType,
  type Manifest,
  parseImageConfig,
  parseManifestOrIndex,
  parseReference,
} from "../oci/mod.ts";
import type { CacheResult, ContentStore, LayerRecord } from "../store/mod.ts";
import { clientFor, type RegistryClient, verifyStream, withRetry } from "../registry/mod.ts";
import { createHash, fs, fsp, path, readFileStream } from "../runtime/mod.ts";
import {
  CACHE_CONFIG_MEDIA_TYPE,
  type CacheConfig,
  type CacheLayer,
  INLINE_CACHE_KEY,
  type LayerDescriptorInfo,
  parseCacheConfig,
  parseInlineRecords,
  resolveCacheConfig,
  ZERO_TIME,
} from "./cache_config.ts";
import {
  CacheError,
  type CacheSource,
  type ImportCacheOptions,
  type RemoteCache,
} from "./types.ts";

/** Largest cache config or image config read whole (1 GiB: no small limit). */
const MAX_CONFIG_BYTES = 1024 * 1024 * 1024;
const ATTESTATION_TYPE = "vnd.docker.reference.type";

/** Where a blob of an imported cache comes from. */
interface BlobSource {
  /** Its descriptor. */
  descriptor: LayerDescriptorInfo;
  /** Opens its bytes (verified by the opener or by the ingest). */
  open(): Promise<ReadableStream<Uint8Array>>;
}

function cloneResult(r: CacheResult): CacheResult {
  const out: CacheResult = { layers: r.layers.map((l) => ({ ...l })) };
  if (r.meta !== undefined) out.meta = structuredClone(r.meta);
  return out;
}

/** An imported cache: results by key and blobs fetched on demand into a local store. */
class ImportedCache implements RemoteCache {
  readonly name: string;
  #results: Map<string, CacheResult>;
  #blobs: Map<string, BlobSource>;
  #layers = new Map<string, LayerRecord>();
  #store: ContentStore;
  #inflight = new Map<string, Promise<void>>();
  #fetched = 0;

  constructor(
    name: string,
    results: Map<string, CacheResult>,
    blobs: Map<string, BlobSource>,
    store: ContentStore,
  ) {
    this.name = name;
    this.#results = results;
    this.#blobs = blobs;
    this.#store = store;
    for (const r of results.values()) {
      for (const l of r.layers) if (!this.#layers.has(l.digest)) this.#layers.set(l.digest, l);
    }
  }

  get fetched(): number {
    return this.#fetched;
  }

  lookup(key: string): CacheResult | undefined {
    const r = this.#results.get(key);
    return r === undefined ? undefined : cloneResult(r);
  }

  has(digest: string): boolean {
    return this.#blobs.has(digest);
  }

  layer(digest: string): LayerRecord | undefined {
    const l = this.#layers.get(digest);
    return l === undefined ? undefined : { ...l };
  }

  keys(): string[] {
    return [...this.#results.keys()];
  }

  fetchBlob(digest: string): Promise<void> {
    let p = this.#inflight.get(digest);
    if (p === undefined) {
      p = this.#fetch(digest).finally(() => this.#inflight.delete(digest));
      this.#inflight.set(digest, p);
    }
    return p;
  }

  async #fetch(digest: string): Promise<void> {
    if (await this.#store.has(digest)) return;
    const src = this.#blobs.get(digest);
    if (src === undefined) throw new CacheError(`Blob ${digest} is not in the cache ${this.name}`);
    const { size } = src.descriptor;
    try {
      await withRetry(async () => {
        await this.#store.ingest(await src.open(), { digest, size });
      });
    } catch (e) {
      throw new CacheError(
        `Failed to fetch blob ${digest} from the cache ${this.name}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    this.#fetched++;
  }
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * The results of an image's inline cache: its layers form one chain (each
 * layer's parent is the one below), the records point into it.
 */
function inlineResults(
  rawConfig: Record<string, unknown>,
  config: ImageConfig,
  layers: readonly Descriptor[],
  name: string,
): Map<string, CacheResult> {
  const value = rawConfig[INLINE_CACHE_KEY];
  if (value === undefined || value === null) return new Map();
  if (typeof value !== "string") {
    throw new CacheError(`Invalid inline cache in ${name}: not base64`);
  }
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(value);
  } catch {
    throw new CacheError(`Invalid inline cache in ${name}: not base64`);
  }
  const records = parseInlineRecords(bytes);
  const diffIds = config.rootfs.diff_ids ?? [];
  if (diffIds.length !== layers.length) {
    throw new CacheError(
      `Invalid image ${name}: ${layers.length} layers but ${diffIds.length} diff_ids`,
    );
  }
  const created = (config.history ?? []).filter((h) => !h.empty_layer).map((h) => h.created);
  const cacheLayers: CacheLayer[] = layers.map((d, i) => ({
    blob: d.digest,
    parent: i - 1,
    annotations: {
      mediaType: d.mediaType,
      diffID: diffIds[i]!,
      size: d.size,
      createdAt: created[i] ?? ZERO_TIME,
    },
  }));
  const cc: CacheConfig = { layers: cacheLayers, records };
  const byDigest = new Map(layers.map((d) => [d.digest as string, d]));
  return resolveCacheConfig(cc, (blob) => byDigest.get(blob));
}

function descriptorInfo(d: Descriptor): LayerDescriptorInfo {
  const out: LayerDescriptorInfo = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations) out.annotations = d.annotations;
  return out;
}

/** The layers and config descriptor of a cache manifest, or `undefined` when it is an image. */
function cacheParts(
  bytes: Uint8Array,
): { kind: "cache"; config: Descriptor; layers: Descriptor[] } | {
  kind: "image";
  manifest: Manifest;
} | { kind: "index"; manifests: Descriptor[] } {
  const parsed = parseManifestOrIndex(bytes);
  if (parsed.kind === "index") {
    const entries = parsed.index.manifests as Descriptor[];
    const config = entries.find((m) => m.mediaType === CACHE_CONFIG_MEDIA_TYPE);
    if (config) {
      return {
        kind: "cache",
        config,
        layers: entries.filter((m) => m.mediaType !== CACHE_CONFIG_MEDIA_TYPE),
      };
    }
    return { kind: "index", manifests: entries };
  }
  const m = parsed.manifest;
  if (m.config.mediaType === CACHE_CONFIG_MEDIA_TYPE) {
    return { kind: "cache", config: m.config as Descriptor, layers: m.layers as Descriptor[] };
  }
  return { kind: "image", manifest: m };
}

function parseRawConfig(bytes: Uint8Array, name: string): {
  raw: Record<string, unknown>;
  config: ImageConfig;
} {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new CacheError(`Invalid image config in ${name}: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null) {
    throw new CacheError(`Invalid image config in ${name}`);
  }
  return { raw: raw as Record<string, unknown>, config: parseImageConfig(bytes) };
}

/** Reads a manifest tree through `read` and builds the cache it describes. */
async function loadCache(
  name: string,
  rootBytes: Uint8Array,
  read: (d: Descriptor, limit: number) => Promise<Uint8Array>,
  opener: (d: Descriptor) => () => Promise<ReadableStream<Uint8Array>>,
  options: ImportCacheOptions,
): Promise<RemoteCache> {
  const results = new Map<string, CacheResult>();
  const blobs = new Map<string, BlobSource>();
  const addBlobs = (layers: Descriptor[]) => {
    for (const d of layers) {
      if (!blobs.has(d.digest)) {
        blobs.set(d.digest, { descriptor: descriptorInfo(d), open: opener(d) });
      }
    }
  };
  const addImage = async (m: Manifest, what: string) => {
    if (m.layers.length === 0) return;
    const cfgBytes = await read(m.config as Descriptor, MAX_CONFIG_BYTES);
    const { raw, config } = parseRawConfig(cfgBytes, what);
    const layers = m.layers as Descriptor[];
    for (const [k, v] of inlineResults(raw, config, layers, what)) {
      if (!results.has(k)) results.set(k, v);
    }
    addBlobs(layers);
  };
  const parts = cacheParts(rootBytes);
  options.signal?.throwIfAborted();
  if (parts.kind === "cache") {
    const cfg = parseCacheConfig(await read(parts.config, MAX_CONFIG_BYTES));
    const byDigest = new Map(parts.layers.map((d) => [d.digest as string, d]));
    for (
      const [k, v] of resolveCacheConfig(cfg, (b) => {
        const d = byDigest.get(b);
        return d === undefined ? undefined : descriptorInfo(d);
      })
    ) results.set(k, v);
    addBlobs(parts.layers);
  } else if (parts.kind === "image") {
    await addImage(parts.manifest, name);
  } else {
    for (const entry of parts.manifests) {
      if (entry.annotations?.[ATTESTATION_TYPE] !== undefined) continue;
      if (!isManifestMediaType(entry.mediaType)) continue;
      options.signal?.throwIfAborted();
      const child = parseManifestOrIndex(await read(entry, MAX_CONFIG_BYTES));
      if (child.kind === "manifest") await addImage(child.manifest, `${name}@${entry.digest}`);
    }
  }
  return new ImportedCache(name, results, blobs, options.store);
}

async function importRegistry(refText: string, options: ImportCacheOptions): Promise<RemoteCache> {
  const ref = parseReference(refText);
  const repo = ref.path;
  const client: RegistryClient = options.client ?? clientFor(ref, options.registry ?? {});
  const reference = ref.digest ?? ref.tag ?? "latest";
  const name = `${ref.domain}/${repo}${ref.digest ? "@" : ":"}${reference}`;
  let root: Uint8Array;
  try {
    root = (await client.getManifest(repo, reference)).bytes;
  } catch (e) {
    throw new CacheError(`Cannot read the cache manifest ${name}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return await loadCache(
    name,
    root,
    async (d, limit) => {
      if (isManifestMediaType(d.mediaType)) return (await client.getManifest(repo, d.digest)).bytes;
      return await client.getBlobBytes(repo, d, { limit });
    },
    (d) => () => client.getBlob(repo, d),
    options,
  );
}

function blobFile(root: string, digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new CacheError(`Unsupported digest ${JSON.stringify(digest)}`);
  return path.join(root, "blobs", "sha256", m[1]!);
}

async function readVerified(
  root: string,
  d: { digest: string; size: number },
  limit: number,
): Promise<Uint8Array> {
  const file = blobFile(root, d.digest);
  let bytes: Uint8Array;
  try {
    const st = await fsp.stat(file);
    if (st.size > limit) throw new CacheError(`Blob ${d.digest} is too large to read whole`);
    bytes = new Uint8Array(await fsp.readFile(file));
  } catch (e) {
    if (e instanceof CacheError) throw e;
    throw new CacheError(
      `Cannot read blob ${d.digest} of the cache at ${root}: ${(e as Error).message}`,
    );
  }
  const actual = sha256Of(bytes);
  if (actual !== d.digest || (d.size >= 0 && bytes.byteLength !== d.size)) {
    throw new CacheError(
      `Corrupted blob in the cache at ${root}: ${d.digest} holds ${actual} (${bytes.byteLength} bytes)`,
    );
  }
  return bytes;
}

interface LayoutIndexEntry {
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** Resolves the manifest to import from a local OCI layout: `digest`, else `tag`, else the only entry. */
function resolveLayoutEntry(
  src: string,
  tag: string | undefined,
  digest: string | undefined,
): LayoutIndexEntry {
  const indexFile = path.join(src, "index.json");
  let text: string;
  try {
    text = fs.readFileSync(indexFile, "utf8");
  } catch {
    throw new CacheError(`No cache at ${src}: cannot read ${indexFile}`);
  }
  let entries: LayoutIndexEntry[];
  try {
    const parsed = JSON.parse(text) as { manifests?: unknown };
    entries = (Array.isArray(parsed.manifests) ? parsed.manifests : []).filter((
      m,
    ): m is LayoutIndexEntry =>
      typeof m === "object" && m !== null && typeof (m as LayoutIndexEntry).digest === "string" &&
      typeof (m as LayoutIndexEntry).size === "number"
    );
  } catch (e) {
    throw new CacheError(`Invalid ${indexFile}: ${(e as Error).message}`);
  }
  if (digest !== undefined) {
    const found = entries.find((m) => m.digest === digest);
    if (found) return found;
    const st = fs.statSync(blobFile(src, digest), { throwIfNoEntry: false });
    if (st === undefined) throw new CacheError(`No cache manifest ${digest} at ${src}`);
    return { digest, size: st.size };
  }
  const want = tag ?? "latest";
  const found = entries.find((m) => m.annotations?.["io.containerd.image.name"] === want) ??
    entries.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === want) ??
    (entries.length === 1 ? entries[0] : undefined);
  if (found === undefined) {
    throw new CacheError(`No cache tagged ${JSON.stringify(want)} at ${src}`);
  }
  return found;
}

async function importLocal(
  src: string,
  tag: string | undefined,
  digest: string | undefined,
  options: ImportCacheOptions,
): Promise<RemoteCache> {
  const entry = resolveLayoutEntry(src, tag, digest);
  const root = await readVerified(src, entry, MAX_CONFIG_BYTES);
  return await loadCache(
    `${src}@${entry.digest}`,
    root,
    (d, limit) => readVerified(src, d, limit),
    (d) => () => {
      const file = blobFile(src, d.digest);
      if (!fs.existsSync(file)) {
        return Promise.reject(
          new CacheError(`Blob ${d.digest} is missing from the cache at ${src}`),
        );
      }
      return Promise.resolve(
        verifyStream(
          readFileStream(file),
          { digest: d.digest, size: d.size },
          `blob ${d.digest} in ${src}`,
        ),
      );
    },
    options,
  );
}

function importInline(
  source: Extract<CacheSource, { type: "inline" }>,
  options: ImportCacheOptions,
): RemoteCache {
  const name = source.ref ?? "inline cache";
  let raw: Record<string, unknown>;
  let config: ImageConfig;
  if (source.config instanceof Uint8Array) {
    ({ raw, config } = parseRawConfig(source.config, name));
  } else {
    config = source.config;
    raw = source.config as unknown as Record<string, unknown>;
  }
  const results = inlineResults(raw, config, source.layers, name);
  const blobs = new Map<string, BlobSource>();
  if (source.ref !== undefined) {
    const ref = parseReference(source.ref);
    const client = options.client ?? clientFor(ref, options.registry ?? {});
    for (const d of source.layers) {
      blobs.set(d.digest, {
        descriptor: descriptorInfo(d),
        open: () => client.getBlob(ref.path, d),
      });
    }
  }
  return new ImportedCache(name, results, blobs, options.store);
}

/**
 * Imports a cache: reads its manifest and config (verified) and returns the
 * records; blobs are fetched into `options.store` only through `fetchBlob`.
 *
 * `type=registry` also accepts an image reference whose config carries an
 * inline cache (`--cache-from type=registry,ref=IMAGE`).
 *
 * @throws {CacheError} when the cache cannot be found or read, or is invalid.
 *
 * @example
 * ```ts ignore
 * import { importCache } from "./import.ts";
 * import { MemoryContentStore } from "../store/mod.ts";
 * const store = new MemoryContentStore();
 * const cache = await importCache({ type: "local", src: "/tmp/cache" }, { store });
 * const hit = cache.lookup("sha256:…");
 * if (hit) for (const l of hit.layers) await cache.fetchBlob(l.digest);
 * ```
 */
export async function importCache(
  source: CacheSource,
  options: ImportCacheOptions,
): Promise<RemoteCache> {
  options.signal?.throwIfAborted();
  switch (source.type) {
    case "registry":
      return await importRegistry(source.ref, options);
    case "local":
      return await importLocal(source.src, source.tag, source.digest, options);
    case "inline":
      return importInline(source, options);
  }
}
