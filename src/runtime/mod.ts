// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Host access (files, environment, output). The only folder allowed to import
 * `node:*`, `Deno.*` or `Bun.*`.
 *
 * @module
 */

export { createRuntime, setExitCode } from "./runtime.ts";
export type { FileInfo, HostPlatform, Runtime } from "./runtime.ts";
export { parseArgs } from "node:util";
