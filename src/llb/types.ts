// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The build-graph IR: BuildKit's LLB ops (`solver/pb/ops.proto`) as plain JSON.
 *
 * Canonical form: every optional field is omitted when it equals its default
 * (the defaults are written next to each field). Adding an optional field later
 * therefore leaves the digests of existing graphs unchanged. The digest of a
 * vertex is `sha256:` + hex(sha256(canonical JSON of its canonical op)), and an
 * op names its inputs by digest, so the graph is a Merkle DAG.
 *
 * @module
 */

/** A content digest: `sha256:` followed by 64 lower-case hex digits. */
export type Digest = `sha256:${string}`;

/** Target platform of an op (OCI platform fields). */
export interface Platform {
  /** e.g. `linux`. */
  os: string;
  /** e.g. `amd64`, `arm64`. */
  architecture: string;
  /** e.g. `v7` for arm. Omitted when empty. */
  variant?: string;
  /** Omitted when empty. */
  osVersion?: string;
  /** Omitted when empty. */
  osFeatures?: string[];
}

/** A reference from an op to one output of an earlier op. */
export interface OpInput {
  /** Digest of the referenced op. */
  digest: Digest;
  /** Output index of the referenced op. Default 0. */
  index?: number;
}

/** Worker constraints of an op. */
export interface Constraints {
  /** Worker filter expressions. Default empty. */
  filter?: string[];
}

/** A source op: brings content in from outside (image, local dir, git, http, OCI layout). */
export interface SourceOp {
  /** e.g. `docker-image://docker.io/library/alpine:latest`, `local://context`. */
  identifier: string;
  /** Source-specific attributes (`image.resolvemode`, `local.includepattern`, …). Default empty. */
  attrs?: Record<string, string>;
}

/** Proxy variables given to an exec without entering its cache key. */
export interface ProxyEnv {
  httpProxy?: string;
  httpsProxy?: string;
  ftpProxy?: string;
  noProxy?: string;
  allProxy?: string;
}

/** An `/etc/hosts` entry added to an exec. */
export interface HostIp {
  host: string;
  ip: string;
}

/** Process metadata of an exec op. */
export interface ExecMeta {
  /** argv; at least one element. */
  args: string[];
  /** `KEY=value` strings in order. Default empty. */
  env?: string[];
  /** Working directory (absolute). Always present. */
  cwd: string;
  /** User (`name`, `uid`, `uid:gid`…). Default empty (the image's default user). */
  user?: string;
  /** Hostname. Default empty. */
  hostname?: string;
  /** Proxy variables. Default none. */
  proxyEnv?: ProxyEnv;
  /** Extra `/etc/hosts` entries. Default empty. */
  extraHosts?: HostIp[];
  /** Exit codes counted as success. Default empty, meaning only 0. */
  validExitCodes?: number[];
}

/** Mount types of an exec op. */
export type MountType = "bind" | "cache" | "tmpfs" | "secret" | "ssh";

/** Sharing mode of a cache mount. */
export type CacheSharing = "shared" | "private" | "locked";

/** Options of a cache mount. */
export interface CacheOpt {
  /** Cache id (cache mounts with the same id share content). */
  id: string;
  /** Default `shared`. */
  sharing?: CacheSharing;
}

/** Options of a secret mount. */
export interface SecretOpt {
  /** Secret id. */
  id: string;
  /** Default 0. */
  uid?: number;
  /** Default 0. */
  gid?: number;
  /** File mode. Default 0o400. */
  mode?: number;
  /** When true a missing secret is not an error. Default false. */
  optional?: boolean;
}

/** Options of an SSH agent socket mount. */
export interface SshOpt {
  /** Agent id. Default `default`. */
  id?: string;
  /** Default 0. */
  uid?: number;
  /** Default 0. */
  gid?: number;
  /** Socket mode. Default 0o600. */
  mode?: number;
  /** Default false. */
  optional?: boolean;
}

/** Options of a tmpfs mount. */
export interface TmpfsOpt {
  /** Size limit in bytes. Default 0 (no limit). */
  size?: number;
}

/** One mount of an exec op. */
export interface Mount {
  /** Index into the op's inputs. Default -1: an empty directory (scratch). */
  input?: number;
  /** Sub-path of the input to mount. Default empty (the whole input). */
  selector?: string;
  /** Mount point (absolute). */
  dest: string;
  /** Output index this mount produces. Default -1: no output. */
  output?: number;
  /** Default false. */
  readonly?: boolean;
  /** Default `bind`. */
  type?: MountType;
  /** Only for `cache` mounts. */
  cacheOpt?: CacheOpt;
  /** Only for `secret` mounts. */
  secretOpt?: SecretOpt;
  /** Only for `ssh` mounts. */
  sshOpt?: SshOpt;
  /** Only for `tmpfs` mounts. Default none. */
  tmpfsOpt?: TmpfsOpt;
}

/** A secret exposed to an exec as an environment variable. */
export interface SecretEnv {
  id: string;
  /** Variable name. */
  name: string;
  /** Default false. */
  optional?: boolean;
}

/** Network mode of an exec op. */
export type NetworkMode = "unset" | "host" | "none";

/** Security mode of an exec op. */
export type SecurityMode = "sandbox" | "insecure";

/** An exec op: runs a process with mounts. */
export interface ExecOp {
  meta: ExecMeta;
  /** Mounts sorted by `dest`; the root mount has `dest` `/` and output 0. */
  mounts: Mount[];
  /** Default `unset` (the worker's default). */
  network?: NetworkMode;
  /** Default `sandbox`. */
  security?: SecurityMode;
  /** Default empty. */
  secretEnv?: SecretEnv[];
}

/** A user or group for file ownership, by numeric id or by name. */
export type UserRef =
  | { id: number }
  | {
    name: string;
    /** Index (as in file actions) of the input whose `/etc/passwd` resolves the name. Default -1. */
    input?: number;
  };

/** Ownership of created files. */
export interface ChownOpt {
  user?: UserRef;
  group?: UserRef;
}

/** Copy files from the secondary input into the input. */
export interface FileActionCopy {
  type: "copy";
  /** Source path in the secondary input (absolute; may hold wildcards). */
  src: string;
  /** Destination path (absolute; a trailing `/` means "into this directory"). */
  dest: string;
  /** Default: keep the source's ownership. */
  owner?: ChownOpt;
  /** Numeric mode. Default -1: keep the source's mode. */
  mode?: number;
  /** Symbolic mode (`u+x`), as BuildKit's `modeStr`. Default empty. */
  modeStr?: string;
  /** Default false. */
  followSymlinks?: boolean;
  /** Copy a directory's contents rather than the directory. Default false. */
  copyDirContentsOnly?: boolean;
  /** Unpack archives like Docker's ADD. Default false. */
  attemptUnpack?: boolean;
  /** Create missing parent directories of dest. Default false. */
  createDestPath?: boolean;
  /** Default false. */
  allowWildcard?: boolean;
  /** Default false. */
  allowEmptyWildcard?: boolean;
  /** Unix seconds for created files. Default -1: keep. */
  timestamp?: number;
  /** Default empty. */
  includePatterns?: string[];
  /** Default empty. */
  excludePatterns?: string[];
  /** Default false. */
  alwaysReplaceExistingDestPaths?: boolean;
  /** Keep the source's parent directories (Dockerfile `COPY --parents`). Default false. */
  parents?: boolean;
  /** Paths that must exist in the source. Default empty. */
  requiredPaths?: string[];
}

/** Create a file. */
export interface FileActionMkfile {
  type: "mkfile";
  /** Absolute path. */
  path: string;
  /** File mode, e.g. 0o644. */
  mode: number;
  /** Content as text. Default empty. Exactly one of `data` and `dataBase64` may be present. */
  data?: string;
  /** Content that is not valid UTF-8, base64 encoded. */
  dataBase64?: string;
  owner?: ChownOpt;
  /** Unix seconds. Default -1: now (or the epoch given to the worker). */
  timestamp?: number;
}

/** Create a directory. */
export interface FileActionMkdir {
  type: "mkdir";
  path: string;
  mode: number;
  /** Default false. */
  makeParents?: boolean;
  owner?: ChownOpt;
  /** Unix seconds. Default -1. */
  timestamp?: number;
}

/** Remove a path. */
export interface FileActionRm {
  type: "rm";
  path: string;
  /** Default false. */
  allowNotFound?: boolean;
  /** Default false. */
  allowWildcard?: boolean;
}

/** Create a symbolic link `newpath` → `oldpath`. */
export interface FileActionSymlink {
  type: "symlink";
  oldpath: string;
  newpath: string;
  owner?: ChownOpt;
  /** Unix seconds. Default -1. */
  timestamp?: number;
}

/** One action of a file op, with the indices it reads and writes. */
export type FileAction = {
  /**
   * What the action modifies: an index < number of op inputs names an op input;
   * an index ≥ that names the output of action `index - inputs.length`. Default -1: scratch.
   */
  input?: number;
  /** Copy source, numbered like `input`. Default -1. */
  secondaryInput?: number;
  /** Output index of the op that this action's result becomes. Default -1: none. */
  output?: number;
} & (FileActionCopy | FileActionMkfile | FileActionMkdir | FileActionRm | FileActionSymlink);

/** A file op: a chain of filesystem actions. */
export interface FileOp {
  /** At least one action. */
  actions: FileAction[];
}

/** A merge op: stacks its inputs, later ones win. */
export interface MergeOp {
  /** Indices into the op's inputs, at least two. */
  inputs: number[];
}

/** A diff op: the changes from `lower` to `upper`. */
export interface DiffOp {
  /** Index into the op's inputs; -1 for scratch. */
  lower: number;
  /** Index into the op's inputs; -1 for scratch. */
  upper: number;
}

/** Fields shared by every op (BuildKit's `pb.Op` envelope). */
export interface OpEnvelope {
  /** Inputs by digest. Default empty. */
  inputs?: OpInput[];
  /** Default none. */
  platform?: Platform;
  /** Default none. */
  constraints?: Constraints;
}

/**
 * A vertex of the graph. Exactly one of `source`, `exec`, `file`, `merge`,
 * `diff` is present, except for the terminal op (last in a definition), which
 * has none and only points at the result(s) through `inputs`.
 */
export type Op =
  | (OpEnvelope & { source: SourceOp })
  | (OpEnvelope & { exec: ExecOp })
  | (OpEnvelope & { file: FileOp })
  | (OpEnvelope & { merge: MergeOp })
  | (OpEnvelope & { diff: DiffOp })
  | OpEnvelope;

/** The kind of an op. */
export type OpKind = "source" | "exec" | "file" | "merge" | "diff" | "terminal";

/** A progress group shown by progress renderers. */
export interface ProgressGroup {
  id: string;
  name: string;
  weak?: boolean;
}

/** Per-vertex metadata that does not change caching, so is not hashed. */
export interface OpMetadata {
  /** Re-run the vertex even if cached. */
  ignoreCache?: boolean;
  /** Free-form description; `llb.customname` is the name shown in progress. */
  description?: Record<string, string>;
  /** Progress grouping. */
  progressGroup?: ProgressGroup;
  /** Capabilities the vertex needs. */
  caps?: Record<string, boolean>;
  /** Whether to export this vertex's cache. */
  exportCache?: boolean;
}

/** A 0-based position (BuildKit's `pb.Position`: line is 1-based, character 0-based). */
export interface SourcePosition {
  line: number;
  character: number;
}

/** A range of a source file. */
export interface SourceRange {
  start: SourcePosition;
  end: SourcePosition;
}

/** A source file referenced by source locations (e.g. the Dockerfile). */
export interface SourceFile {
  /** The file name, e.g. `Dockerfile`. */
  name: string;
  /** The file's text. */
  data: string;
  /** e.g. `Dockerfile`. */
  language?: string;
}

/** Where in a source file a vertex came from. */
export interface SourceLocation {
  /** Name of a file in `SourceInfo.files`. */
  file: string;
  ranges: SourceRange[];
}

/** Source maps of a definition. */
export interface SourceInfo {
  /** Files by name. */
  files: Record<string, { data: string; language?: string }>;
  /** Locations by vertex digest. */
  locations: Record<string, SourceLocation[]>;
}

/** A vertex in a definition: its digest and its (canonical) op. */
export interface DefinitionOp {
  digest: Digest;
  op: Op;
}

/**
 * A serialized build graph: ops in topological order (inputs before users),
 * the last being the terminal op; metadata and source maps keyed by digest.
 */
export interface Definition {
  version: 1;
  ops: DefinitionOp[];
  metadata: Record<string, OpMetadata>;
  source?: SourceInfo;
}
