// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Inputs and outputs of the Dockerfile frontend ({@link dockerfileToLlb}).
 *
 * @module
 */

import type { Definition, Platform, State } from "./_deps.ts";
import type { ImageConfig } from "./_deps.ts";
import type { LineRange } from "./_deps.ts";

/** How base images are resolved (`image-resolve-mode`). */
export type ResolveMode = "default" | "pull" | "local";

/** What an {@link ImageResolver} returns for one image reference. */
export interface ResolvedImage {
  /** The reference to pull, pinned with `@sha256:…` when the digest is known. */
  ref: string;
  /** The image config, or undefined when it is not known (e.g. offline). */
  config: ImageConfig | undefined;
}

/** Resolves image references to configs (injected: the frontend never does I/O). */
export interface ImageResolver {
  /** Looks up `ref` (normalized, e.g. `docker.io/library/alpine:latest`) for `platform`. */
  resolveImageConfig(
    ref: string,
    options: { platform: Platform; resolveMode: ResolveMode },
  ): Promise<ResolvedImage>;
}

/**
 * A named build context replacing a stage or image name (`--build-context
 * name=…`). The string forms BuildKit accepts (`docker-image://ref`,
 * `local:NAME`, `oci-layout://store@sha256:…`, `target:stage`, git and https
 * URLs) are parsed by {@link parseNamedContext}.
 */
export type NamedContext =
  | { type: "docker-image"; ref: string }
  | {
    type: "local";
    /** Local (session) name of the directory. */
    name: string;
    /** Patterns of the directory's own .dockerignore. */
    excludePatterns?: string[];
  }
  | { type: "oci-layout"; store: string; digest?: string; ref?: string }
  | { type: "git"; url: string }
  | { type: "http"; url: string }
  | { type: "target"; stage: string };

/** Options of {@link dockerfileToLlb}. */
export interface ConvertOptions {
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /** Stage to build (`--target`); default the last stage. */
  target?: string;
  /** Platforms to build for; default `[buildPlatform]`. */
  targetPlatforms?: Platform[];
  /** The platform the build runs on (injected). */
  buildPlatform: Platform;
  /** Extra labels for the final image (`--label`). */
  labels?: Record<string, string>;
  /** Named contexts by name (`context:<name>` or `<name>::<os/arch>`). */
  namedContexts?: Record<string, NamedContext | string>;
  /** Base image resolver (injected). */
  resolver: ImageResolver;
  /** Local name of the main build context. Default `context`. */
  contextName?: string;
  /** .dockerignore patterns of the main context. */
  excludePatterns?: string[];
  /** `--no-cache`: true for every stage, or the names of stages whose steps ignore the cache. */
  noCache?: true | string[];
  /** SOURCE_DATE_EPOCH (unix seconds) when reproducible timestamps are wanted. */
  epoch?: number;
  /** Image resolve mode for base images. Default `default`. */
  resolveMode?: ResolveMode;
  /** Prefix of cache mount ids (`BUILDKIT_CACHE_MOUNT_NS`). Default "". */
  cacheIdNamespace?: string;
  /** Force progress-name platform prefixes even for one platform (`multi-platform`). */
  multiPlatform?: boolean;
}

/** A non-fatal diagnostic met while converting. */
export interface ConvertWarning {
  /** Rule name (BuildKit linter names where one applies). */
  rule: string;
  /** Human text. */
  message: string;
  /** Lines the warning is about. */
  range: LineRange[];
}

/** A stage of the Dockerfile as the frontend saw it. */
export interface StageInfo {
  /** Name from `AS`, or `stage-N`. */
  name: string;
  index: number;
  /** Base image or stage after argument expansion. */
  baseName: string;
  /** `--platform` after expansion, when given. */
  platform?: string;
  /** Whether the stage is built for the target. */
  reachable: boolean;
}

/** The conversion result for one target platform. */
export interface PlatformResult {
  platform: Platform;
  definition: Definition;
  /** The final state, for callers composing further graphs. */
  state: State;
  image: ImageConfig;
  /** Config of the target stage's base image, when it came from a resolver. */
  baseImage?: ImageConfig;
}

/** Result of {@link dockerfileToLlb}. */
export interface ConvertResult extends PlatformResult {
  /** One result per target platform (same order as `targetPlatforms`). */
  platforms: PlatformResult[];
  warnings: ConvertWarning[];
  /** Build args that a reachable instruction used, and those passed but never used. */
  buildArgs: { used: string[]; unused: string[] };
  stages: StageInfo[];
}
