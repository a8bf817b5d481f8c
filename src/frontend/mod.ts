// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The Dockerfile frontend: Dockerfile → build graph (LLB IR) + image config,
 * following BuildKit's `dockerfile2llb`.
 *
 * @example
 * ```ts ignore
 * import { dockerfileToLlb } from "./mod.ts";
 * const res = await dockerfileToLlb({ dockerfile: "FROM scratch\nCOPY . /\n" }, {
 *   buildPlatform: { os: "linux", architecture: "amd64" },
 *   resolver: { resolveImageConfig: (ref) => Promise.resolve({ ref, config: undefined }) },
 * });
 * ```
 *
 * @module
 */

export { type ConvertInput, dockerfileToLlb } from "./convert.ts";
export type {
  ConvertOptions,
  ConvertResult,
  ConvertWarning,
  ImageResolver,
  NamedContext,
  PlatformResult,
  ResolvedImage,
  ResolveMode,
  StageInfo,
} from "./options.ts";
export { contextKeyName, findNamedContext, parseNamedContext } from "./named_context.ts";
export { defaultArgs, formatPlatformAll, formatPlatformShort } from "./platform_args.ts";
export { HISTORY_COMMENT, runCommandString } from "./history.ts";
export * from "./expose.ts";
