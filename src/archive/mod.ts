// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Layer archives: a streaming tar codec whose output matches Go's
 * `archive/tar` byte for byte (as BuildKit and containerd write layers), and
 * OCI whiteout helpers.
 *
 * @module
 */

export * from "./tar_header.ts";
export * from "./tar_writer.ts";
export * from "./tar_reader.ts";
export * from "./whiteout.ts";
export * from "./walk.ts";
export * from "./compression.ts";
export * from "./diff.ts";
export * from "./layer.ts";
export * from "./apply.ts";
