// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Typed Dockerfile instructions: syntax-tree nodes → instructions with their
 * flags, build stages, `RUN --mount` values, `--chmod` modes and Go durations.
 *
 * @module
 */

export * from "./types.ts";
export * from "./parse.ts";
export * from "./bflag.ts";
export * from "./runmount.ts";
export * from "./rundevice.ts";
export * from "./chmod.ts";
export * from "./duration.ts";
export * from "./csv.ts";
