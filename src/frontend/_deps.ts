// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The frontend's imports from other folders, in one place (only through
 * their mod.ts). `MountSpec` exists in both the dockerfile and llb folders:
 * the Dockerfile one is re-exported as `DockerfileMountSpec`.
 *
 * @module
 */

export {
  type AddInstruction,
  type ArgInstruction,
  chompHeredocContent,
  type CopyInstruction,
  DockerfileError,
  goQuote,
  type LineRange,
  type MountSpec as DockerfileMountSpec,
  type Node,
  parseChmod,
  parseDockerfile,
  parseGitRef,
  parseHeredoc,
  parseInstruction,
  parseMount,
  type ParseResult,
  parseStages,
  type RunInstruction,
  ShellLex,
  type Stage,
  type StageCommand,
  type WorkdirInstruction,
} from "../dockerfile/mod.ts";

export {
  copy,
  type CopyOptions,
  type Definition,
  FileAction,
  git,
  http,
  image,
  local,
  marshal,
  merge,
  mkdir,
  mkfile,
  type MountSpec,
  ociLayout,
  type OpOptions,
  type Platform,
  scratch,
  type SourceLocationInput,
  State,
} from "../llb/mod.ts";

export {
  familiarString,
  type History,
  type ImageConfig,
  normalizePlatform,
  normalizeReference,
  parsePlatform,
} from "../oci/mod.ts";
