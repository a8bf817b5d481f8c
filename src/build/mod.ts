// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Builds: a Dockerfile and its context in, an image out through the exporters.
 *
 * @module
 */

export { BuildNotImplementedError, runBuild } from "./build.ts";
export type { BuildInput, BuildOutcome, BuildServices, BuildSettings } from "./build.ts";
export type { ExecSettings } from "../worker/mod.ts";
