// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Content descriptors: the `{mediaType, digest, size}` pointers that link
 * indexes to manifests and manifests to configs and layers.
 *
 * @module
 */

import { z } from "zod";
import type { Digest } from "./digest.ts";
import { type OciPlatform, ociPlatformSchema } from "./platform.ts";
import { digestString, mediaTypeString, sizeNumber, stringMap } from "./_schema.ts";
import { sortedMap as goSortedMap } from "./_go_json.ts";

/** An OCI content descriptor. */
export interface Descriptor {
  /** Media type of the referenced content. */
  mediaType: string;
  /** Digest of the referenced bytes. */
  digest: Digest;
  /** Size of the referenced bytes. */
  size: number;
  /** Alternate download locations (foreign / non-distributable layers). */
  urls?: string[];
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
  /** Embedded content, base64 (rare). */
  data?: string;
  /** Platform of the referenced manifest (index entries only). */
  platform?: OciPlatform;
  /** Artifact type of the referenced artifact manifest. */
  artifactType?: string;
}

/** Zod schema for {@link Descriptor} (unknown fields allowed, as Go ignores them). */
export const descriptorSchema = z.looseObject({
  mediaType: mediaTypeString,
  digest: digestString,
  size: sizeNumber,
  urls: z.array(z.string()).optional(),
  annotations: stringMap.optional(),
  data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: "must be base64" }).optional(),
  platform: ociPlatformSchema.optional(),
  artifactType: mediaTypeString.optional(),
});

/**
 * A descriptor rebuilt in Go struct order (`mediaType, digest, size, urls,
 * annotations, data, platform, artifactType`) with empty fields omitted and
 * maps sorted, ready for Go-compatible JSON encoding.
 *
 * @example
 * ```ts
 * import { canonicalDescriptor } from "./descriptor.ts";
 * const d = canonicalDescriptor({ size: 2, digest: "sha256:00" as never, mediaType: "a/b" });
 * console.assert(Object.keys(d).join() === "mediaType,digest,size");
 * ```
 */
export function canonicalDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls && d.urls.length > 0) out.urls = [...d.urls];
  if (d.annotations && Object.keys(d.annotations).length > 0) {
    out.annotations = goSortedMap(d.annotations);
  }
  if (d.data) out.data = d.data;
  if (d.platform) {
    const p = d.platform;
    const platform: OciPlatform = { architecture: p.architecture, os: p.os };
    if (p["os.version"]) platform["os.version"] = p["os.version"];
    if (p["os.features"] && p["os.features"].length > 0) {
      platform["os.features"] = [...p["os.features"]];
    }
    if (p.variant) platform.variant = p.variant;
    if (p.features && p.features.length > 0) platform.features = [...p.features];
    out.platform = platform;
  }
  if (d.artifactType) out.artifactType = d.artifactType;
  return out;
}
