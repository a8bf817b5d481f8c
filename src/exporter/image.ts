// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Image assembly: the image config (rootfs, history, created, patched the way
 * BuildKit's image writer patches the frontend's config), the manifest (OCI or
 * Docker schema 2) and, for multi-platform builds, the index. Blobs are
 * written to the content store in ggcr's order (layers are already there,
 * then config, then manifest); every digest is over the exact bytes stored.
 *
 * BuildKit reference: `exporter/containerimage/writer.go`
 * (`normalizeLayersAndHistory`, `patchImageConfig`, `commitDistributionManifest`).
 *
 * @module
 */

import {
  type Descriptor,
  type DiffId,
  type Digest,
  type History,
  type ImageConfig,
  type ImageIndex,
  layerCompression,
  layerMediaType,
  type Manifest,
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  type OciPlatform,
  serializeImageConfig,
  serializeIndex,
  serializeManifest,
} from "../oci/mod.ts";
import type { ContentStore, LayerRecord } from "../store/mod.ts";
import { sha256Digest } from "./_io.ts";
import { epochToRfc3339, isAfterEpoch } from "./time.ts";
import { ExportError } from "./errors.ts";

/** `comment` of history entries the exporter adds for layers the config did not account for. */
export const EXPORTER_HISTORY_COMMENT = "buildkit.exporter.image.v0";
/** Layer annotation BuildKit sets on layers whose timestamps were clamped to the epoch. */
export const REWRITTEN_TIMESTAMP_ANNOTATION = "buildkit/rewritten-timestamp";
/** Descriptor annotation with the image creation time (set by the oci/docker exporters). */
export const CREATED_ANNOTATION = "org.opencontainers.image.created";
/** Top-level image config key of the inline cache. */
export const INLINE_CACHE_CONFIG_KEY = "moby.buildkit.cache.v0";

/** A layer to put in an image: the stored blob plus what the history back-fill needs. */
export interface ImageLayer extends LayerRecord {
  /** Description of the step that made the layer (`mount / from exec …`), for back-filled history. */
  createdBy?: string;
  /** When the layer was made (RFC 3339), for back-filled history. */
  created?: string;
}

/** Annotations of one image (BuildKit's `annotation-manifest.*` / `annotation-manifest-descriptor.*`). */
export interface ManifestAnnotations {
  /** Annotations inside the manifest. */
  manifest?: Record<string, string>;
  /** Annotations on the descriptor that points at the manifest. */
  manifestDescriptor?: Record<string, string>;
}

/** Options of {@linkcode buildImage}. */
export interface BuildImageOptions {
  /** Where config and manifest are written; the layer blobs are expected there already. */
  store: ContentStore;
  /** The layers, base first. */
  layers: readonly ImageLayer[];
  /** The image config from the frontend (Env, Cmd, history, …); rootfs is replaced. */
  config: ImageConfig;
  /** Platform recorded on the manifest descriptor; defaults to the config's. */
  platform?: OciPlatform;
  /** The base image's config: its history keeps its times and its layers are never re-stamped. */
  baseImage?: ImageConfig;
  /** SOURCE_DATE_EPOCH in seconds: clamps `created` and the times of our history entries. */
  sourceDateEpoch?: number;
  /**
   * `rewrite-timestamp=true`: the layers (after the base image's) carry file
   * times clamped to the epoch, which the manifest records with the
   * `buildkit/rewritten-timestamp` annotation (OCI media types only).
   */
  rewriteTimestamp?: boolean;
  /** OCI media types (default) or Docker schema 2. */
  ociMediaTypes?: boolean;
  /** Manifest and manifest-descriptor annotations. */
  annotations?: ManifestAnnotations;
  /** Inline cache blob to embed as `moby.buildkit.cache.v0` (base64 in the config). */
  inlineCache?: Uint8Array;
  /** Clock for layers without a creation time (defaults to the current time). */
  now?: () => Date;
}

/** The result of {@linkcode buildImage}. */
export interface BuiltImage {
  /** Descriptor of the manifest (media type, digest, size, platform, descriptor annotations). */
  manifestDescriptor: Descriptor;
  /** Descriptor of the config blob. */
  configDescriptor: Descriptor;
  /** The manifest as written. */
  manifest: Manifest;
  /** The config as written. */
  config: ImageConfig;
  /** The exact manifest bytes stored. */
  manifestBytes: Uint8Array;
  /** The exact config bytes stored. */
  configBytes: Uint8Array;
}

function sameHistory(a: History, b: History): boolean {
  const time = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));
  return time(a.created) === time(b.created) && (a.created_by ?? "") === (b.created_by ?? "") &&
    (a.author ?? "") === (b.author ?? "") && (a.comment ?? "") === (b.comment ?? "") &&
    (a.empty_layer ?? false) === (b.empty_layer ?? false);
}

/**
 * Aligns history with the layers as BuildKit does: surplus non-empty entries
 * are marked empty from the bottom, missing ones are appended with comment
 * `buildkit.exporter.image.v0`, and missing times are filled in.
 */
function normalizeHistory(
  input: readonly History[],
  layers: readonly ImageLayer[],
  now: () => Date,
): History[] {
  let history = input.map((h) => ({ ...h }));
  const layerTime = layers.map((l) => l.created ?? now().toISOString());
  let historyLayers = history.filter((h) => !h.empty_layer).length;
  if (historyLayers > layers.length) {
    let seen = 0;
    history = history.map((h) => {
      const out = { ...h };
      if (seen >= layers.length) out.empty_layer = true;
      if (!out.empty_layer) seen++;
      return out;
    });
    historyLayers = layers.length;
  }
  for (let i = historyLayers; i < layers.length; i++) {
    history.push({
      created: layerTime[i]!,
      created_by: layers[i]!.createdBy || "created by buildkit",
      comment: EXPORTER_HISTORY_COMMENT,
    });
  }
  let layerIndex = 0;
  for (const h of history) {
    if (h.empty_layer) continue;
    const t = layerTime[layerIndex];
    if (h.created === undefined && t !== undefined) h.created = t;
    layerIndex++;
  }
  // The first time after a gap in times (a new layer's), else the last time seen.
  let created: string | undefined;
  let gap = false;
  for (const h of history) {
    if (h.created !== undefined) {
      created = h.created;
      if (gap) break;
    } else {
      gap = true;
    }
  }
  gap = false;
  for (const h of history) {
    if (h.created !== undefined) {
      if (gap) created = h.created;
    } else {
      gap = true;
      if (created !== undefined) h.created = created;
    }
  }
  return history;
}

/** Clamps history times to the epoch, keeping the base image's leading entries verbatim. */
function clampHistory(history: History[], epoch: number, base: ImageConfig | undefined): void {
  const baseHistory = base?.history ?? [];
  let diverged = false;
  history.forEach((h, i) => {
    const b = baseHistory[i];
    if (!diverged && base !== undefined && b !== undefined && sameHistory(h, b)) return;
    diverged = true;
    if (h.created === undefined || isAfterEpoch(h.created, epoch)) {
      h.created = epochToRfc3339(epoch);
    }
  });
}

const INTERNAL_ANNOTATION =
  /^(containerd\.io\/uncompressed|buildkit\/createdat|containerd\.io\/distribution\.source\..*)$/;

/** The manifest's layer descriptors: media types converted to the family, internal annotations dropped. */
function layerDescriptors(options: BuildImageOptions, oci: boolean): Descriptor[] {
  const epoch = options.sourceDateEpoch;
  const stamp = options.rewriteTimestamp === true && epoch !== undefined;
  const baseDiffIds = options.baseImage?.rootfs.diff_ids ?? [];
  let diverged = false;
  return options.layers.map((layer, i) => {
    const compression = layerCompression(layer.mediaType);
    const mediaType = compression === undefined
      ? layer.mediaType
      : layerMediaType(compression, oci ? "oci" : "docker");
    const desc: Descriptor = { mediaType, digest: layer.digest as Digest, size: layer.size };
    if (!oci) return desc;
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(layer.annotations ?? {})) {
      if (!INTERNAL_ANNOTATION.test(k)) annotations[k] = v;
    }
    let immutable = false;
    if (!diverged && options.baseImage !== undefined && i < baseDiffIds.length) {
      if (baseDiffIds[i] === layer.diffId) immutable = true;
      else diverged = true;
    }
    if (stamp && !immutable) annotations[REWRITTEN_TIMESTAMP_ANNOTATION] = String(epoch);
    if (Object.keys(annotations).length > 0) desc.annotations = annotations;
    return desc;
  });
}

/**
 * Assembles the image config BuildKit would write for these layers, without
 * touching any store: `rootfs.diff_ids` from the layers, history aligned with
 * them, times clamped to SOURCE_DATE_EPOCH, `created` set.
 *
 * @example
 * ```ts
 * import { assembleImageConfig } from "./image.ts";
 * const config = assembleImageConfig({
 *   config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } },
 *   layers: [],
 *   sourceDateEpoch: 0,
 * });
 * console.assert(config.created === undefined || config.created === "1970-01-01T00:00:00Z");
 * ```
 */
export function assembleImageConfig(
  options: Pick<
    BuildImageOptions,
    "config" | "layers" | "baseImage" | "sourceDateEpoch" | "inlineCache" | "now"
  >,
): ImageConfig {
  const source = options.config as unknown as Record<string, unknown>;
  if (!options.config.os) throw new ExportError("invalid image config for export: missing os");
  if (!options.config.architecture) {
    throw new ExportError("invalid image config for export: missing architecture");
  }
  const now = options.now ?? (() => new Date());
  const history = normalizeHistory(options.config.history ?? [], options.layers, now);
  const epoch = options.sourceDateEpoch;
  if (epoch !== undefined) clampHistory(history, epoch, options.baseImage);
  const out: Record<string, unknown> = { ...source };
  out.rootfs = { type: "layers", diff_ids: options.layers.map((l) => l.diffId as DiffId) };
  out.history = history;
  const created = source.created;
  if (typeof created === "string") {
    if (epoch !== undefined && isAfterEpoch(created, epoch)) out.created = epochToRfc3339(epoch);
  } else if (created === undefined) {
    let last: string | null = null;
    for (const h of history) if (h.created !== undefined) last = h.created;
    out.created = last;
  }
  if (options.inlineCache !== undefined) {
    out[INLINE_CACHE_CONFIG_KEY] = base64(options.inlineCache);
  }
  return out as unknown as ImageConfig;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

async function putBlob(store: ContentStore, bytes: Uint8Array, what: string): Promise<string> {
  const digest = sha256Digest(bytes);
  if (await store.has(digest)) return digest;
  const writer = await store.writer();
  try {
    await writer.write(bytes);
    await writer.commit({ digest, size: bytes.length });
  } catch (e) {
    await writer.abort();
    throw new ExportError(`error writing ${what} blob ${digest}`, { cause: e });
  }
  return digest;
}

function platformOf(config: ImageConfig): OciPlatform {
  const p: OciPlatform = { architecture: config.architecture, os: config.os };
  if (config["os.version"]) p["os.version"] = config["os.version"];
  if (config["os.features"] && config["os.features"].length > 0) {
    p["os.features"] = [...config["os.features"]];
  }
  if (config.variant) p.variant = config.variant;
  return p;
}

/**
 * Builds one image: patches the config (see {@linkcode assembleImageConfig}),
 * writes it, then writes the manifest (OCI by default, Docker schema 2 with
 * `ociMediaTypes: false`) referencing the layers. Layers must already be in
 * the store for the exporters that copy them.
 *
 * @example
 * ```ts
 * import { buildImage } from "./image.ts";
 * import { MemoryContentStore } from "../store/mod.ts";
 * const store = new MemoryContentStore();
 * const image = await buildImage({
 *   store,
 *   layers: [],
 *   config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } },
 *   sourceDateEpoch: 0,
 * });
 * console.assert(await store.has(image.manifestDescriptor.digest));
 * ```
 */
export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const oci = options.ociMediaTypes ?? true;
  const config = assembleImageConfig(options);
  const configBytes = new TextEncoder().encode(serializeImageConfig(config));
  const configType = oci ? MEDIA_TYPE_OCI_CONFIG : MEDIA_TYPE_DOCKER_CONFIG;
  const configDigest = await putBlob(options.store, configBytes, "config");
  const configDescriptor: Descriptor = {
    mediaType: configType,
    digest: configDigest as Digest,
    size: configBytes.length,
  };
  const manifestAnnotations = options.annotations?.manifest ?? {};
  const layers = layerDescriptors(options, oci);
  const manifest = {
    schemaVersion: 2,
    mediaType: oci ? MEDIA_TYPE_OCI_MANIFEST : MEDIA_TYPE_DOCKER_MANIFEST,
    config: configDescriptor,
    layers,
    ...(Object.keys(manifestAnnotations).length > 0
      ? { annotations: { ...manifestAnnotations } }
      : {}),
  } as Manifest;
  const manifestBytes = new TextEncoder().encode(serializeManifest(manifest));
  const manifestDigest = await putBlob(options.store, manifestBytes, "manifest");
  const manifestDescriptor: Descriptor = {
    mediaType: manifest.mediaType ?? MEDIA_TYPE_OCI_MANIFEST,
    digest: manifestDigest as Digest,
    size: manifestBytes.length,
    platform: options.platform ?? platformOf(config),
  };
  const descAnnotations = options.annotations?.manifestDescriptor ?? {};
  if (Object.keys(descAnnotations).length > 0) {
    manifestDescriptor.annotations = { ...descAnnotations };
  }
  return { manifestDescriptor, configDescriptor, manifest, config, manifestBytes, configBytes };
}

/** Options of {@linkcode buildIndex}. */
export interface BuildIndexOptions {
  /** Where the index blob is written (the manifests must be there already). */
  store: ContentStore;
  /** One manifest descriptor per platform (each with `platform`), then any attestation manifests. */
  manifests: readonly Descriptor[];
  /** OCI index (default) or Docker manifest list. */
  ociMediaTypes?: boolean;
  /** Annotations inside the index (`annotation-index.*`). */
  index?: Record<string, string>;
  /** Annotations on the index descriptor (`annotation-index-descriptor.*`). */
  indexDescriptor?: Record<string, string>;
}

/** The result of {@linkcode buildIndex}. */
export interface BuiltIndex {
  /** Descriptor of the index blob. */
  indexDescriptor: Descriptor;
  /** The index as written. */
  index: ImageIndex;
  /** The exact bytes stored. */
  indexBytes: Uint8Array;
}

/**
 * Writes an index wrapping per-platform manifests (BuildKit's multi-platform
 * result), two-space indented like BuildKit's.
 *
 * @throws {ExportError} when a manifest descriptor has no platform, or for
 * index annotations with Docker media types.
 *
 * @example
 * ```ts
 * import { buildIndex } from "./image.ts";
 * import { MemoryContentStore } from "../store/mod.ts";
 * const { index } = await buildIndex({ store: new MemoryContentStore(), manifests: [] });
 * console.assert(index.manifests.length === 0);
 * ```
 */
export async function buildIndex(options: BuildIndexOptions): Promise<BuiltIndex> {
  const oci = options.ociMediaTypes ?? true;
  const annotations = options.index ?? {};
  const descAnnotations = options.indexDescriptor ?? {};
  if (!oci && Object.keys(annotations).length + Object.keys(descAnnotations).length > 0) {
    throw new ExportError('cannot export annotations with "oci-mediatypes=false"');
  }
  options.manifests.forEach((m, i) => {
    if (m.platform === undefined) {
      throw new ExportError(`index entry ${i} (${m.digest}) has no platform`);
    }
  });
  const index = {
    schemaVersion: 2,
    mediaType: oci ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    manifests: options.manifests.map((m) => ({ ...m })),
    ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
  } as ImageIndex;
  const indexBytes = new TextEncoder().encode(serializeIndex(index));
  const digest = await putBlob(options.store, indexBytes, "manifest list");
  const indexDescriptor: Descriptor = {
    mediaType: index.mediaType ?? MEDIA_TYPE_OCI_INDEX,
    digest: digest as Digest,
    size: indexBytes.length,
  };
  if (Object.keys(descAnnotations).length > 0) indexDescriptor.annotations = { ...descAnnotations };
  return { indexDescriptor, index, indexBytes };
}

/**
 * The descriptor the oci and docker exporters report and put in `index.json`:
 * the image's descriptor plus `org.opencontainers.image.created` (the epoch
 * when set, else now), unless already present.
 *
 * @example
 * ```ts
 * import { withCreatedAnnotation } from "./image.ts";
 * const d = withCreatedAnnotation({ mediaType: "m", digest: "sha256:00" as never, size: 1 }, { sourceDateEpoch: 0 });
 * console.assert(d.annotations?.["org.opencontainers.image.created"] === "1970-01-01T00:00:00Z");
 * ```
 */
export function withCreatedAnnotation(
  descriptor: Descriptor,
  options: { sourceDateEpoch?: number; now?: () => Date } = {},
): Descriptor {
  if (descriptor.annotations?.[CREATED_ANNOTATION] !== undefined) return descriptor;
  const created = options.sourceDateEpoch !== undefined
    ? epochToRfc3339(options.sourceDateEpoch)
    : epochToRfc3339(Math.floor((options.now ?? (() => new Date()))().getTime() / 1000));
  return {
    ...descriptor,
    annotations: { ...descriptor.annotations, [CREATED_ANNOTATION]: created },
  };
}
