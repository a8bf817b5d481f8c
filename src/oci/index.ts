// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Multi-platform indexes: the OCI image index and the Docker manifest list,
 * their schemas, parsing and Go-compatible serialization.
 *
 * @module
 */

import { z } from "zod";
import { canonicalDescriptor, type Descriptor, descriptorSchema } from "./descriptor.ts";
import { MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_INDEX } from "./media_types.ts";
import { check, mediaTypeString, parseJsonText, stringMap } from "./_schema.ts";
import { goJson, sortedMap } from "./_go_json.ts";
import { OciValidationError } from "./errors.ts";
import { type Manifest, validateManifestObject } from "./manifest.ts";

/** An OCI image index (`application/vnd.oci.image.index.v1+json`). */
export interface ImageIndex {
  /** Always 2. */
  schemaVersion: 2;
  /** The OCI index media type; optional in the spec, always set by BuildKit. */
  mediaType?: typeof MEDIA_TYPE_OCI_INDEX;
  /** Artifact type, for artifact indexes. */
  artifactType?: string;
  /** The manifests (or nested indexes), usually with a `platform`. */
  manifests: Descriptor[];
  /** The manifest this index refers to. */
  subject?: Descriptor;
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
}

/** A Docker manifest list (`application/vnd.docker.distribution.manifest.list.v2+json`). */
export interface DockerManifestList {
  /** Always 2. */
  schemaVersion: 2;
  /** The manifest list media type (required). */
  mediaType: typeof MEDIA_TYPE_DOCKER_MANIFEST_LIST;
  /** The per-platform manifests. */
  manifests: Descriptor[];
}

/** Either kind of index. */
export type Index = ImageIndex | DockerManifestList;

const schemaVersion = z.literal(2, { message: "must be 2" });

/** Zod schema for {@link ImageIndex}. */
export const imageIndexSchema = z.looseObject({
  schemaVersion,
  mediaType: z.literal(MEDIA_TYPE_OCI_INDEX, {
    message: `must be ${MEDIA_TYPE_OCI_INDEX} when set`,
  }).optional(),
  artifactType: mediaTypeString.optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: stringMap.optional(),
});

/** Zod schema for {@link DockerManifestList}. */
export const dockerManifestListSchema = z.looseObject({
  schemaVersion,
  mediaType: z.literal(MEDIA_TYPE_DOCKER_MANIFEST_LIST, {
    message: `must be ${MEDIA_TYPE_DOCKER_MANIFEST_LIST}`,
  }),
  manifests: z.array(descriptorSchema),
});

/**
 * Validates a parsed JSON value as an index (OCI or Docker manifest list,
 * chosen by `mediaType`). Returns the same object, key order intact.
 *
 * @throws {OciValidationError} naming each bad field path.
 *
 * @example
 * ```ts
 * import { validateIndexObject } from "./index.ts";
 * const idx = validateIndexObject({ schemaVersion: 2, manifests: [] });
 * console.assert(idx.manifests.length === 0);
 * ```
 */
export function validateIndexObject(value: unknown): Index {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OciValidationError("image index", [{ path: "", message: "must be an object" }]);
  }
  if ("config" in value && !("manifests" in value)) {
    throw new OciValidationError("image index", [{
      path: "",
      message: "this is an image manifest (it has a config), not an index",
    }]);
  }
  if ((value as Record<string, unknown>).mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST) {
    return check<DockerManifestList>(dockerManifestListSchema, value, "Docker manifest list");
  }
  return check<ImageIndex>(imageIndexSchema, value, "image index");
}

/**
 * Parses index JSON (text or UTF-8 bytes) and validates it.
 *
 * @throws {OciValidationError} for bad JSON or a bad field.
 *
 * @example
 * ```ts
 * import { parseIndex } from "./index.ts";
 * console.assert(parseIndex('{"schemaVersion":2,"manifests":[]}').manifests.length === 0);
 * ```
 */
export function parseIndex(input: string | Uint8Array): Index {
  return validateIndexObject(parseJsonText(input, "image index"));
}

/** The result of {@link parseManifestOrIndex}. */
export type ManifestOrIndex =
  | { kind: "manifest"; manifest: Manifest }
  | { kind: "index"; index: Index };

/**
 * Parses what a registry returns for a tag: an image manifest or an index,
 * told apart by `mediaType` or, when it is absent, by the fields present.
 *
 * @throws {OciValidationError} for bad JSON, an unknown media type or a bad field.
 *
 * @example
 * ```ts
 * import { parseManifestOrIndex } from "./index.ts";
 * const r = parseManifestOrIndex('{"schemaVersion":2,"manifests":[]}');
 * console.assert(r.kind === "index");
 * ```
 */
export function parseManifestOrIndex(input: string | Uint8Array): ManifestOrIndex {
  const value = parseJsonText(input, "manifest or index");
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OciValidationError("manifest or index", [{ path: "", message: "must be an object" }]);
  }
  const mediaType = (value as Record<string, unknown>).mediaType;
  const isIndex = mediaType === MEDIA_TYPE_OCI_INDEX ||
    mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST ||
    (mediaType === undefined && "manifests" in value);
  if (isIndex) return { kind: "index", index: validateIndexObject(value) };
  return { kind: "manifest", manifest: validateManifestObject(value) };
}

/** Options for {@link serializeIndex}. */
export interface SerializeIndexOptions {
  /** Indentation unit; BuildKit writes indexes with two spaces (the default). `""` for compact. */
  indent?: string;
}

/**
 * Serializes an index as BuildKit writes it: Go struct order (`schemaVersion,
 * mediaType, artifactType, manifests, subject, annotations`), empty fields
 * omitted, annotation keys sorted, two-space indent, no trailing newline.
 *
 * @example
 * ```ts
 * import { serializeIndex } from "./index.ts";
 * const text = serializeIndex({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] }, { indent: "" });
 * console.assert(text === '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');
 * ```
 */
export function serializeIndex(index: Index, options: SerializeIndexOptions = {}): string {
  const i = index as ImageIndex | DockerManifestList & Partial<ImageIndex>;
  const out: Record<string, unknown> = { schemaVersion: i.schemaVersion };
  if (i.mediaType) out.mediaType = i.mediaType;
  if ("artifactType" in i && i.artifactType) out.artifactType = i.artifactType;
  out.manifests = i.manifests.map(canonicalDescriptor);
  if ("subject" in i && i.subject) out.subject = canonicalDescriptor(i.subject);
  if ("annotations" in i && i.annotations && Object.keys(i.annotations).length > 0) {
    out.annotations = sortedMap(i.annotations);
  }
  return goJson(out, options.indent ?? "  ");
}
