// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Media types of the OCI image spec, the Docker image manifest v2 schema 2
 * and BuildKit's own blobs.
 *
 * @module
 */

/** OCI image manifest. */
export const MEDIA_TYPE_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index. */
export const MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** OCI image config. */
export const MEDIA_TYPE_OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** OCI uncompressed layer tar. */
export const MEDIA_TYPE_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
/** OCI gzip-compressed layer tar. */
export const MEDIA_TYPE_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
/** OCI zstd-compressed layer tar. */
export const MEDIA_TYPE_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
/** OCI non-distributable uncompressed layer (deprecated by the spec, still read). */
export const MEDIA_TYPE_OCI_LAYER_NONDISTRIBUTABLE =
  "application/vnd.oci.image.layer.nondistributable.v1.tar";
/** OCI non-distributable gzip layer (deprecated by the spec, still read). */
export const MEDIA_TYPE_OCI_LAYER_NONDISTRIBUTABLE_GZIP =
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
/** OCI non-distributable zstd layer (deprecated by the spec, still read). */
export const MEDIA_TYPE_OCI_LAYER_NONDISTRIBUTABLE_ZSTD =
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
/** The OCI empty JSON blob `{}` used as config of artifacts. */
export const MEDIA_TYPE_OCI_EMPTY = "application/vnd.oci.empty.v1+json";
/** The `oci-layout` file's content type (not a blob media type, used in layouts). */
export const MEDIA_TYPE_OCI_LAYOUT_HEADER = "application/vnd.oci.layout.header.v1+json";

/** Docker image manifest v2 schema 2. */
export const MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker manifest list (the Docker counterpart of an OCI index). */
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST =
  "application/vnd.docker.distribution.manifest.list.v2+json";
/** Docker image manifest schema 1 (unsigned); recognised only to reject it clearly. */
export const MEDIA_TYPE_DOCKER_MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json";
/** Docker image manifest schema 1 (signed); recognised only to reject it clearly. */
export const MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED =
  "application/vnd.docker.distribution.manifest.v1+prettyjws";
/** Docker image config. */
export const MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
/** Docker uncompressed layer tar (what BuildKit writes for `compression=uncompressed`). */
export const MEDIA_TYPE_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
/** Docker gzip-compressed layer tar. */
export const MEDIA_TYPE_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/** Docker zstd-compressed layer tar (BuildKit writes it for zstd without OCI types). */
export const MEDIA_TYPE_DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd";
/** Docker foreign (non-distributable) gzip layer, e.g. Windows base layers. */
export const MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP =
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/** Docker foreign (non-distributable) uncompressed layer. */
export const MEDIA_TYPE_DOCKER_FOREIGN_LAYER =
  "application/vnd.docker.image.rootfs.foreign.diff.tar";

/** BuildKit cache config blob (registry and local cache exports). */
export const MEDIA_TYPE_BUILDKIT_CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0";
/** Artifact type of BuildKit attestation manifests. */
export const MEDIA_TYPE_DOCKER_ATTESTATION_MANIFEST =
  "application/vnd.docker.attestation.manifest.v1+json";
/** in-toto statement layers of attestation manifests. */
export const MEDIA_TYPE_IN_TOTO = "application/vnd.in-toto+json";

/** Layer compression as named by BuildKit's `compression=` exporter option. */
export type LayerCompression = "uncompressed" | "gzip" | "zstd";

/** Which family of media types an image uses. */
export type MediaTypeFamily = "oci" | "docker";

const OCI_LAYERS: ReadonlySet<string> = new Set([
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_LAYER_ZSTD,
  MEDIA_TYPE_OCI_LAYER_NONDISTRIBUTABLE,
  MEDIA_TYPE_OCI_LAYER_NONDISTRIBUTABLE_GZIP,
  MEDIA_TYPE_OCI_LAYER_NONDISTRIBUTABLE_ZSTD,
]);

const DOCKER_LAYERS: ReadonlySet<string> = new Set([
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_LAYER_ZSTD,
  MEDIA_TYPE_DOCKER_FOREIGN_LAYER,
  MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP,
]);

/**
 * Tells which family a layer media type belongs to, or `undefined` when it is
 * not a known image layer type.
 *
 * @example
 * ```ts
 * import { layerMediaTypeFamily } from "./media_types.ts";
 * console.assert(layerMediaTypeFamily("application/vnd.oci.image.layer.v1.tar+gzip") === "oci");
 * ```
 */
export function layerMediaTypeFamily(mediaType: string): MediaTypeFamily | undefined {
  if (OCI_LAYERS.has(mediaType)) return "oci";
  if (DOCKER_LAYERS.has(mediaType)) return "docker";
  return undefined;
}

/**
 * Reports whether a layer media type is known and which compression it names.
 *
 * @example
 * ```ts
 * import { layerCompression } from "./media_types.ts";
 * console.assert(layerCompression("application/vnd.docker.image.rootfs.diff.tar") === "uncompressed");
 * ```
 */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  if (layerMediaTypeFamily(mediaType) === undefined) return undefined;
  if (mediaType.endsWith("gzip")) return "gzip";
  if (mediaType.endsWith("zstd")) return "zstd";
  return "uncompressed";
}

/**
 * Reports whether a layer media type is non-distributable (Docker foreign or
 * OCI nondistributable), i.e. its blob may live outside the registry.
 *
 * @example
 * ```ts
 * import { isNonDistributableLayer } from "./media_types.ts";
 * console.assert(isNonDistributableLayer("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"));
 * ```
 */
export function isNonDistributableLayer(mediaType: string): boolean {
  return mediaType.includes(".foreign.") || mediaType.includes(".nondistributable.");
}

/**
 * The layer media type BuildKit writes for a compression in a media type family.
 *
 * @example
 * ```ts
 * import { layerMediaType } from "./media_types.ts";
 * console.assert(layerMediaType("gzip", "docker") === "application/vnd.docker.image.rootfs.diff.tar.gzip");
 * ```
 */
export function layerMediaType(compression: LayerCompression, family: MediaTypeFamily): string {
  if (family === "oci") {
    if (compression === "gzip") return MEDIA_TYPE_OCI_LAYER_GZIP;
    if (compression === "zstd") return MEDIA_TYPE_OCI_LAYER_ZSTD;
    return MEDIA_TYPE_OCI_LAYER;
  }
  if (compression === "gzip") return MEDIA_TYPE_DOCKER_LAYER_GZIP;
  if (compression === "zstd") return MEDIA_TYPE_DOCKER_LAYER_ZSTD;
  return MEDIA_TYPE_DOCKER_LAYER;
}

/**
 * Reports whether a media type names a single-image manifest (OCI or Docker schema 2).
 *
 * @example
 * ```ts
 * import { isManifestMediaType } from "./media_types.ts";
 * console.assert(isManifestMediaType("application/vnd.oci.image.manifest.v1+json"));
 * ```
 */
export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_OCI_MANIFEST || mediaType === MEDIA_TYPE_DOCKER_MANIFEST;
}

/**
 * Reports whether a media type names an index (OCI index or Docker manifest list).
 *
 * @example
 * ```ts
 * import { isIndexMediaType } from "./media_types.ts";
 * console.assert(isIndexMediaType("application/vnd.docker.distribution.manifest.list.v2+json"));
 * ```
 */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_OCI_INDEX || mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST;
}
