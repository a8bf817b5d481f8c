// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The command line: `buildkit build`, `buildkit debug …`, flags spelled as `docker buildx build`.
 *
 * @module
 */

export { main } from "./main.ts";
export { parseBuildOptions } from "./build_options.ts";
export type { BuildOptions } from "./build_options.ts";
export { VERSION } from "./version.ts";
