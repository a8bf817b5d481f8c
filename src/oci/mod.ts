// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The OCI and Docker image model: media types, digests, descriptors,
 * manifests, indexes, image configs (zod schemas at every trust boundary and
 * BuildKit-compatible serialization), image references, platforms, and an
 * invariant validator.
 *
 * @example
 * ```ts
 * import { normalizeReference, parsePlatform, formatPlatform } from "./mod.ts";
 * console.assert(normalizeReference("alpine") === "docker.io/library/alpine:latest");
 * console.assert(formatPlatform(parsePlatform("linux/aarch64")) === "linux/arm64");
 * ```
 *
 * @module
 */

export * from "./media_types.ts";
export * from "./digest.ts";
export * from "./errors.ts";
export * from "./descriptor.ts";
export * from "./manifest.ts";
export * from "./index.ts";
export * from "./image_config.ts";
export * from "./reference.ts";
export * from "./platform.ts";
export * from "./validate.ts";
