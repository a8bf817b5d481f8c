// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Single-image manifests: the OCI image manifest and the Docker image
 * manifest v2 schema 2, their schemas, parsing and Go-compatible serialization.
 *
 * @module
 */

import { z } from "zod";
import { canonicalDescriptor, type Descriptor, descriptorSchema } from "./descriptor.ts";
import {
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_V1,
  MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED,
  MEDIA_TYPE_OCI_MANIFEST,
} from "./media_types.ts";
import { check, mediaTypeString, parseJsonText, stringMap } from "./_schema.ts";
import { goJson, sortedMap } from "./_go_json.ts";
import { OciValidationError } from "./errors.ts";

/** An OCI image manifest (`application/vnd.oci.image.manifest.v1+json`). */
export interface ImageManifest {
  /** Always 2. */
  schemaVersion: 2;
  /** The OCI manifest media type; optional in the spec, always set by BuildKit. */
  mediaType?: typeof MEDIA_TYPE_OCI_MANIFEST;
  /** Artifact type, for artifact manifests. */
  artifactType?: string;
  /** The image config blob. */
  config: Descriptor;
  /** Layers, base first. */
  layers: Descriptor[];
  /** The manifest this one refers to (attestations, signatures). */
  subject?: Descriptor;
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
}

/** A Docker image manifest v2 schema 2 (`application/vnd.docker.distribution.manifest.v2+json`). */
export interface DockerManifest {
  /** Always 2. */
  schemaVersion: 2;
  /** The Docker schema 2 media type (required). */
  mediaType: typeof MEDIA_TYPE_DOCKER_MANIFEST;
  /** The image config blob. */
  config: Descriptor;
  /** Layers, base first. */
  layers: Descriptor[];
}

/** Either kind of single-image manifest. */
export type Manifest = ImageManifest | DockerManifest;

const schemaVersion = z.literal(2, { message: "must be 2" });

/** Zod schema for {@link ImageManifest}. */
export const imageManifestSchema = z.looseObject({
  schemaVersion,
  mediaType: z.literal(MEDIA_TYPE_OCI_MANIFEST, {
    message: `must be ${MEDIA_TYPE_OCI_MANIFEST} when set`,
  }).optional(),
  artifactType: mediaTypeString.optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: stringMap.optional(),
});

/** Zod schema for {@link DockerManifest}. */
export const dockerManifestSchema = z.looseObject({
  schemaVersion,
  mediaType: z.literal(MEDIA_TYPE_DOCKER_MANIFEST, {
    message: `must be ${MEDIA_TYPE_DOCKER_MANIFEST}`,
  }),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});

/**
 * Validates a parsed JSON value as a manifest (OCI or Docker schema 2, chosen
 * by `mediaType`). Returns the same object, key order intact.
 *
 * @throws {OciValidationError} naming each bad field path.
 *
 * @example
 * ```ts
 * import { validateManifestObject } from "./manifest.ts";
 * const m = validateManifestObject({
 *   schemaVersion: 2,
 *   config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: "sha256:" + "0".repeat(64), size: 2 },
 *   layers: [],
 * });
 * console.assert(m.layers.length === 0);
 * ```
 */
export function validateManifestObject(value: unknown): Manifest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OciValidationError("image manifest", [{ path: "", message: "must be an object" }]);
  }
  const mediaType = (value as Record<string, unknown>).mediaType;
  if (
    mediaType === MEDIA_TYPE_DOCKER_MANIFEST_V1 ||
    mediaType === MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED
  ) {
    throw new OciValidationError("image manifest", [{
      path: "mediaType",
      message: "Docker schema 1 manifests are not supported",
    }]);
  }
  if ((value as Record<string, unknown>).schemaVersion === 1) {
    throw new OciValidationError("image manifest", [{
      path: "schemaVersion",
      message: "Docker schema 1 manifests are not supported",
    }]);
  }
  if ("manifests" in value && !("config" in value)) {
    throw new OciValidationError("image manifest", [{
      path: "",
      message: "this is an index (it has manifests), not an image manifest",
    }]);
  }
  if (mediaType === MEDIA_TYPE_DOCKER_MANIFEST) {
    return check<DockerManifest>(dockerManifestSchema, value, "Docker image manifest");
  }
  return check<ImageManifest>(imageManifestSchema, value, "image manifest");
}

/**
 * Parses manifest JSON (text or UTF-8 bytes) and validates it.
 *
 * @throws {OciValidationError} for bad JSON or a bad field.
 *
 * @example
 * ```ts
 * import { parseManifest } from "./manifest.ts";
 * let failed = false;
 * try { parseManifest('{"schemaVersion":2,"layers":[]}'); } catch { failed = true; }
 * console.assert(failed);
 * ```
 */
export function parseManifest(input: string | Uint8Array): Manifest {
  return validateManifestObject(parseJsonText(input, "image manifest"));
}

/** Options for {@link serializeManifest}. */
export interface SerializeManifestOptions {
  /** Indentation unit; BuildKit writes manifests with two spaces (the default). `""` for compact. */
  indent?: string;
}

/**
 * Serializes a manifest as BuildKit writes it: Go struct order (`schemaVersion,
 * mediaType, artifactType, config, layers, subject, annotations`), empty
 * fields omitted, annotation keys sorted, `json.MarshalIndent` with two spaces
 * and no trailing newline. Unknown fields are dropped, as Go drops them.
 *
 * @example
 * ```ts
 * import { serializeManifest } from "./manifest.ts";
 * const text = serializeManifest({
 *   schemaVersion: 2,
 *   mediaType: "application/vnd.oci.image.manifest.v1+json",
 *   config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: "sha256:" + "0".repeat(64) as never, size: 2 },
 *   layers: [],
 * }, { indent: "" });
 * console.assert(text.startsWith('{"schemaVersion":2,"mediaType"'));
 * ```
 */
export function serializeManifest(
  manifest: Manifest,
  options: SerializeManifestOptions = {},
): string {
  const m = manifest as ImageManifest | DockerManifest & Partial<ImageManifest>;
  const out: Record<string, unknown> = { schemaVersion: m.schemaVersion };
  if (m.mediaType) out.mediaType = m.mediaType;
  if ("artifactType" in m && m.artifactType) out.artifactType = m.artifactType;
  out.config = canonicalDescriptor(m.config);
  out.layers = m.layers.map(canonicalDescriptor);
  if ("subject" in m && m.subject) out.subject = canonicalDescriptor(m.subject);
  if ("annotations" in m && m.annotations && Object.keys(m.annotations).length > 0) {
    out.annotations = sortedMap(m.annotations);
  }
  return goJson(out, options.indent ?? "  ");
}
