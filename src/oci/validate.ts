// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Invariant checks between an index, its manifests, the config and the
 * layers (in the spirit of go-containerregistry's `validate`). Every exporter
 * test runs them. Hashing is passed in so this folder stays free of runtime
 * imports.
 *
 * @module
 */

import type { Descriptor } from "./descriptor.ts";
import { diffIdAsDigest, parseDigest } from "./digest.ts";
import { OciValidationError } from "./errors.ts";
import { type ImageConfig, parseImageConfig, validateImageConfigObject } from "./image_config.ts";
import { type Index, validateIndexObject } from "./index.ts";
import { type Manifest, parseManifest, validateManifestObject } from "./manifest.ts";
import {
  isIndexMediaType,
  isManifestMediaType,
  layerCompression,
  layerMediaTypeFamily,
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "./media_types.ts";

/** A synchronous SHA-256 returning lower-case hex (e.g. src/util's). */
export type Sha256Hex = (bytes: Uint8Array) => string;

/** What is known about one layer, beyond its descriptor. */
export interface LayerFacts {
  /** The blob as stored (compressed or not); checked against the descriptor. */
  blob?: Uint8Array;
  /** The uncompressed tar's digest, checked against `rootfs.diff_ids`. */
  diffId?: string;
}

/** The parts of an image to check; raw bytes make digest and size checks possible. */
export interface ImageParts {
  /** The manifest, parsed or raw bytes/text. */
  manifest: Manifest | Uint8Array | string;
  /** The config, parsed or raw bytes/text (raw bytes enable the digest check). */
  config: ImageConfig | Uint8Array | string;
  /** Facts per layer, in manifest order. */
  layers?: readonly LayerFacts[];
}

/** Options for {@link validateImage} and {@link validateIndex}. */
export interface ValidateOptions {
  /** SHA-256 over raw bytes; without it, digests of raw bytes are not checked. */
  sha256Hex?: Sha256Hex;
}

function checkBlob(
  problems: string[],
  where: string,
  desc: Descriptor,
  bytes: Uint8Array,
  sha256Hex: Sha256Hex | undefined,
): void {
  if (desc.size !== bytes.length) {
    problems.push(`${where}: descriptor size ${desc.size} but the blob has ${bytes.length} bytes`);
  }
  if (sha256Hex === undefined) return;
  let algorithm: string;
  try {
    algorithm = parseDigest(desc.digest).algorithm;
  } catch (e) {
    problems.push(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  if (algorithm !== "sha256") {
    problems.push(`${where}: cannot verify a ${algorithm} digest (only sha256 is hashed here)`);
    return;
  }
  const actual = `sha256:${sha256Hex(bytes)}`;
  if (actual !== desc.digest) {
    problems.push(`${where}: descriptor digest ${desc.digest} but the blob hashes to ${actual}`);
  }
}

function collect(problems: string[], fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof OciValidationError) problems.push(e.message);
    else throw e;
    return false;
  }
}

/**
 * Checks one image: manifest and config schemas, config descriptor ↔ config
 * bytes (size, sha256), media types consistent within the OCI or Docker
 * family, `rootfs.diff_ids` count = layer count = non-empty history entries,
 * uncompressed layers' digest = diff ID, and, when given, each layer blob's
 * size and digest and each diff ID. Returns the problems found (empty when
 * valid), so a test can `assert.deepEqual(validateImage(...), [])`.
 *
 * @example
 * ```ts
 * import { validateImage } from "./validate.ts";
 * const problems = validateImage({
 *   manifest: { schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
 *     config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: "sha256:" + "0".repeat(64) as never, size: 2 },
 *     layers: [] },
 *   config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } },
 * });
 * console.assert(problems.length === 0);
 * ```
 */
export function validateImage(image: ImageParts, options: ValidateOptions = {}): string[] {
  const problems: string[] = [];
  let manifest: Manifest | undefined;
  let config: ImageConfig | undefined;
  collect(problems, () => {
    manifest = typeof image.manifest === "string" || image.manifest instanceof Uint8Array
      ? parseManifest(image.manifest)
      : validateManifestObject(image.manifest);
  });
  const rawConfig = typeof image.config === "string"
    ? new TextEncoder().encode(image.config)
    : image.config instanceof Uint8Array
    ? image.config
    : undefined;
  collect(problems, () => {
    config = rawConfig !== undefined
      ? parseImageConfig(rawConfig)
      : validateImageConfigObject(image.config);
  });
  if (manifest === undefined) return problems;

  const docker = manifest.mediaType === MEDIA_TYPE_DOCKER_MANIFEST;
  const family = docker ? "docker" : "oci";
  const manifestKind = docker ? "a Docker manifest" : "an OCI manifest";
  const wantConfigType = docker ? MEDIA_TYPE_DOCKER_CONFIG : MEDIA_TYPE_OCI_CONFIG;
  const isArtifact = !docker && "artifactType" in manifest && manifest.artifactType !== undefined;
  if (!isArtifact && manifest.config.mediaType !== wantConfigType) {
    problems.push(
      `config.mediaType: ${manifest.config.mediaType} in ${manifestKind} (want ${wantConfigType})`,
    );
  }
  if (rawConfig !== undefined) {
    checkBlob(problems, "config", manifest.config, rawConfig, options.sha256Hex);
  }
  manifest.layers.forEach((layer, i) => {
    const layerFamily = layerMediaTypeFamily(layer.mediaType);
    if (layerFamily === undefined) {
      if (!isArtifact) {
        problems.push(`layers[${i}].mediaType: unknown layer type ${layer.mediaType}`);
      }
    } else if (layerFamily !== family) {
      problems.push(`layers[${i}].mediaType: ${layer.mediaType} in ${manifestKind}`);
    }
  });
  if (image.layers !== undefined && image.layers.length !== manifest.layers.length) {
    problems.push(
      `layers: ${image.layers.length} layer facts given for ${manifest.layers.length} manifest layers`,
    );
  }
  image.layers?.forEach((facts, i) => {
    const desc = manifest!.layers[i];
    if (desc === undefined) return;
    if (facts.blob !== undefined) {
      checkBlob(problems, `layers[${i}]`, desc, facts.blob, options.sha256Hex);
    }
  });
  if (config === undefined) return problems;

  const diffIds = config.rootfs.diff_ids ?? [];
  if (!isArtifact && diffIds.length !== manifest.layers.length) {
    problems.push(
      `rootfs.diff_ids: ${diffIds.length} diff IDs for ${manifest.layers.length} manifest layers`,
    );
  }
  manifest.layers.forEach((layer, i) => {
    const diffId = diffIds[i];
    if (diffId === undefined) return;
    if (
      layerCompression(layer.mediaType) === "uncompressed" &&
      layer.digest !== diffIdAsDigest(diffId)
    ) {
      problems.push(
        `layers[${i}].digest: uncompressed layer ${layer.digest} differs from rootfs.diff_ids[${i}] ${diffId}`,
      );
    }
    const facts = image.layers?.[i];
    if (facts?.diffId !== undefined && facts.diffId !== diffId) {
      problems.push(
        `rootfs.diff_ids[${i}]: ${diffId} but the layer's tar hashes to ${facts.diffId}`,
      );
    }
  });
  if (config.history) {
    const withLayer = config.history.filter((h) => !h.empty_layer).length;
    if (withLayer !== diffIds.length) {
      problems.push(
        `history: ${withLayer} entries without empty_layer for ${diffIds.length} layers`,
      );
    }
  }
  return problems;
}

/** The parts of an index to check. */
export interface IndexParts {
  /** The index, parsed or raw bytes/text. */
  index: Index | Uint8Array | string;
  /** Raw bytes of child manifests by digest; each given child is verified and parsed. */
  blobs?: ReadonlyMap<string, Uint8Array>;
}

/**
 * Checks an index: schema, child media types consistent with the index family
 * (OCI index → OCI manifests/indexes; Docker list → Docker manifests), a
 * `platform` on every image manifest entry, and, for children whose bytes are
 * given in `blobs`, size, sha256 and that the child parses as the media type
 * its descriptor claims. Returns the problems found.
 *
 * @example
 * ```ts
 * import { validateIndex } from "./validate.ts";
 * console.assert(validateIndex({ index: '{"schemaVersion":2,"manifests":[]}' }).length === 0);
 * ```
 */
export function validateIndex(parts: IndexParts, options: ValidateOptions = {}): string[] {
  const problems: string[] = [];
  let index: Index | undefined;
  collect(problems, () => {
    if (typeof parts.index === "string" || parts.index instanceof Uint8Array) {
      const text = typeof parts.index === "string"
        ? parts.index
        : new TextDecoder().decode(parts.index);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new OciValidationError("image index", [{ path: "", message: `not JSON: ${e}` }]);
      }
      index = validateIndexObject(value);
    } else {
      index = validateIndexObject(parts.index);
    }
  });
  if (index === undefined) return problems;
  const docker = index.mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST;
  index.manifests.forEach((desc, i) => {
    const where = `manifests[${i}]`;
    if (docker && desc.mediaType !== MEDIA_TYPE_DOCKER_MANIFEST) {
      problems.push(`${where}.mediaType: ${desc.mediaType} in a Docker manifest list`);
    }
    if (
      !docker && (desc.mediaType === MEDIA_TYPE_DOCKER_MANIFEST ||
        desc.mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST)
    ) {
      problems.push(`${where}.mediaType: ${desc.mediaType} in an OCI index`);
    }
    if (isManifestMediaType(desc.mediaType) && desc.platform === undefined) {
      problems.push(`${where}.platform: missing on an image manifest entry`);
    }
    const bytes = parts.blobs?.get(desc.digest);
    if (bytes === undefined) return;
    checkBlob(problems, where, desc, bytes, options.sha256Hex);
    collect(problems, () => {
      const text = new TextDecoder().decode(bytes);
      const value: unknown = JSON.parse(text);
      const mediaType = (value as { mediaType?: unknown }).mediaType;
      if (isIndexMediaType(desc.mediaType)) validateIndexObject(value);
      else if (isManifestMediaType(desc.mediaType)) validateManifestObject(value);
      if (mediaType !== undefined && mediaType !== desc.mediaType) {
        problems.push(`${where}: descriptor says ${desc.mediaType} but the blob says ${mediaType}`);
      }
      if (
        mediaType === undefined &&
        desc.mediaType !== MEDIA_TYPE_OCI_MANIFEST && desc.mediaType !== MEDIA_TYPE_OCI_INDEX &&
        (isManifestMediaType(desc.mediaType) || isIndexMediaType(desc.mediaType))
      ) {
        problems.push(`${where}: blob has no mediaType but the descriptor says ${desc.mediaType}`);
      }
    });
  });
  return problems;
}
