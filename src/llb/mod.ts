// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The build-graph IR (BuildKit's LLB, as canonical JSON): op types,
 * content-addressed vertices, JSON in and out with validation, and an
 * immutable builder API.
 *
 * ```ts
 * import { copy, definitionToJson, image, local, marshal, parseDefinition } from "./mod.ts";
 * const ctx = local("context");
 * const app = image("node:22-alpine")
 *   .withDir("/app")
 *   .file(copy(ctx, "package.json", "./"))
 *   .run({ args: ["npm", "ci"], mounts: [{ dest: "/root/.npm", type: "cache", cache: { id: "npm" } }] })
 *   .root();
 * const def = marshal(app, { platform: { os: "linux", architecture: "amd64" } });
 * const again = parseDefinition(definitionToJson(def));
 * console.assert(again.ops.at(-1)!.digest === def.ops.at(-1)!.digest);
 * ```
 *
 * @module
 */

export type {
  CacheOpt,
  CacheSharing,
  ChownOpt,
  Constraints,
  Definition,
  DefinitionOp,
  DiffOp,
  Digest,
  ExecMeta,
  ExecOp,
  FileAction as FileActionOp,
  FileActionCopy,
  FileActionMkdir,
  FileActionMkfile,
  FileActionRm,
  FileActionSymlink,
  FileOp,
  HostIp,
  MergeOp,
  Mount,
  MountType,
  NetworkMode,
  Op,
  OpEnvelope,
  OpInput,
  OpKind,
  OpMetadata,
  Platform,
  ProgressGroup,
  ProxyEnv,
  SecretEnv,
  SecretOpt,
  SecurityMode,
  SourceFile,
  SourceInfo,
  SourceLocation,
  SourceOp,
  SourcePosition,
  SourceRange,
  SshOpt,
  TmpfsOpt,
  UserRef,
} from "./types.ts";
export type { OpOptions, SourceLocationInput } from "./_vertex.ts";
export { LlbError } from "./errors.ts";
export { normalizeOp, opBytes, opDigest, opKind, opOutputCount } from "./canonical_op.ts";
export { definitionToJson, parseDefinition } from "./definition_json.ts";
export { ExecState, State } from "./state.ts";
export type { MountSpec, RunOptions, StateMeta } from "./state.ts";
export { copy, FileAction, mkdir, mkfile, rm, symlink } from "./file_action.ts";
export type {
  CopyOptions,
  MkdirOptions,
  MkfileOptions,
  OwnerSpec,
  RmOptions,
  SymlinkOptions,
  TimestampSpec,
  UserSpec,
} from "./file_action.ts";
export { git, http, image, local, ociLayout, scratch } from "./sources.ts";
export type {
  GitOptions,
  HttpOptions,
  ImageOptions,
  LocalOptions,
  OciLayoutOptions,
} from "./sources.ts";
export { diff, merge } from "./merge_diff.ts";
export type { MergeDiffOptions } from "./merge_diff.ts";
export { marshal } from "./marshal.ts";
export type { MarshalOptions } from "./marshal.ts";
