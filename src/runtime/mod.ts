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

// Host modules for the non-pure folders (archive, store, worker, registry, exporter).
// They import them from here, never from `node:*` directly, so that this folder stays
// the one place to adapt when a runtime differs.
export * as fs from "node:fs";
export * as fsp from "node:fs/promises";
export { default as path } from "node:path";
export * as os from "node:os";
export * as zlib from "node:zlib";
export { createHash, randomBytes, randomUUID } from "node:crypto";
export { spawn, spawnSync } from "node:child_process";
export { Readable, Writable } from "node:stream";
export { default as process } from "node:process";
export { lstatFast, readdirFast } from "./fast_fs.ts";
export type { Stat } from "./fast_fs.ts";
export { type FetchLike, fetchWithCa } from "./http.ts";
export * from "./userns.ts";
export * as net from "node:net";
export * as http from "node:http";
export { readFileStream } from "./file_stream.ts";
