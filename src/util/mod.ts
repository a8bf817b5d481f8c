// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Small helpers shared by several folders.
 *
 * @module
 */

export * from "./suggest.ts";
export * from "./hex.ts";
export * from "./sha256.ts";
export * from "./canonical_json.ts";
export * from "./csv.ts";
