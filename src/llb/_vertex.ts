// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Internal vertex representation used by the builder API. A vertex knows the
 * outputs it reads and how to build its op once the digests (and so the
 * deduplicated input indices) of those outputs are known.
 *
 * @module
 */

import type {
  Constraints,
  Op,
  OpMetadata,
  Platform,
  ProgressGroup,
  SourceFile,
  SourceRange,
} from "./types.ts";

/** One output of a vertex. `undefined` stands for scratch (no vertex). */
export interface Output {
  readonly vertex: Vertex;
  readonly index: number;
}

/** What a vertex gets when it builds its op during marshalling. */
export interface BuildContext {
  /** The op input index of the vertex's `inputs[raw]` after deduplication. */
  input(raw: number): number;
  /** Number of op inputs after deduplication. */
  readonly inputCount: number;
}

/** Where an op came from, as given to the builder. */
export interface SourceLocationInput {
  /** The file (its text is stored once per definition). */
  file: SourceFile;
  /** Line ranges in that file. */
  ranges: SourceRange[];
}

/** A node of the builder graph. */
export interface Vertex {
  readonly inputs: readonly Output[];
  readonly platform: Platform | undefined;
  readonly constraints: Constraints | undefined;
  readonly metadata: OpMetadata;
  readonly location: SourceLocationInput | undefined;
  /** The op payload (no `inputs`, `platform`, `constraints`: marshal adds them). */
  build(ctx: BuildContext): Op;
}

/**
 * Options every op-producing builder function accepts. None of them changes a
 * digest except `constraints`: the rest goes to the definition's metadata and
 * source maps.
 */
export interface OpOptions {
  /** The name shown in progress output (`llb.customname`). */
  customName?: string;
  /** Extra description entries. */
  description?: Record<string, string>;
  /** Re-run the vertex even when cached. */
  ignoreCache?: boolean;
  /** Progress grouping. */
  progressGroup?: ProgressGroup;
  /** Capabilities the vertex needs. */
  caps?: Record<string, boolean>;
  /** Where the op comes from (e.g. a Dockerfile instruction's lines). */
  sourceLocation?: SourceLocationInput;
  /** Worker constraints (part of the digest). */
  constraints?: Constraints;
}

/** Builds the metadata of an op from its options. */
export function metadataFrom(opts: OpOptions): OpMetadata {
  const md: OpMetadata = {};
  const description: Record<string, string> = { ...opts.description };
  if (opts.customName !== undefined) description["llb.customname"] = opts.customName;
  if (Object.keys(description).length > 0) md.description = description;
  if (opts.ignoreCache) md.ignoreCache = true;
  if (opts.progressGroup !== undefined) md.progressGroup = { ...opts.progressGroup };
  if (opts.caps !== undefined && Object.keys(opts.caps).length > 0) md.caps = { ...opts.caps };
  return md;
}

/** Creates a vertex from its parts and the common op options. */
export function makeVertex(
  parts: {
    inputs: readonly Output[];
    platform: Platform | undefined;
    build: (ctx: BuildContext) => Op;
  },
  opts: OpOptions,
): Vertex {
  return {
    inputs: parts.inputs,
    platform: parts.platform,
    constraints: opts.constraints,
    metadata: metadataFrom(opts),
    location: opts.sourceLocation,
    build: parts.build,
  };
}
