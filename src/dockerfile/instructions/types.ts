// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Typed Dockerfile instructions, the layer between the syntax tree and the
 * frontend (BuildKit's `frontend/dockerfile/instructions`). Every field holds
 * the raw, unexpanded text; variable expansion is the frontend's job.
 *
 * @module
 */

import type { LineRange } from "../ast.ts";

/** Fields every instruction carries. */
export interface InstructionBase {
  /** Source lines of the instruction (1-based, from the AST node). */
  range: LineRange[];
  /** The full logical line as written, keyword included, whitespace-trimmed. */
  original: string;
  /** Comment lines directly above the instruction (`#` removed). */
  comments: string[];
}

/** A `key=value` pair of ENV or LABEL. */
export interface KeyValuePair {
  key: string;
  value: string;
  /** True for the legacy `ENV key value` form (no `=` written). */
  noDelim: boolean;
}

/** One ARG declaration: `name` or `name=default`. */
export interface KeyValuePairOptional {
  key: string;
  /** Default value; absent when the ARG has none (`ARG name`). */
  value?: string;
  /** Doc comment: text after `<key> ` in a comment line directly above the ARG. */
  docComment: string;
}

/** A heredoc used as a COPY/ADD source. */
export interface SourceContent {
  /** The heredoc name (used as the file name). */
  path: string;
  /** File data; leading tabs already stripped for `<<-`. */
  data: string;
  /** Whether variables in `data` are expanded (unquoted delimiter). */
  expand: boolean;
}

/** Sources and destination of COPY/ADD. */
export interface SourcesAndDest {
  destPath: string;
  /** Ordinary (path / URL) sources, unexpanded. */
  sourcePaths: string[];
  /** Heredoc sources. */
  sourceContents: SourceContent[];
}

/** A heredoc attached to RUN/CMD/ENTRYPOINT. */
export interface ShellInlineFile {
  name: string;
  /** Content as read (NOT tab-stripped at this layer even when `chomp`). */
  data: string;
  /** True for `<<-`. */
  chomp: boolean;
}

/** The command part of RUN, CMD and ENTRYPOINT. */
export interface ShellDependantCmdLine {
  /** Exec-form arguments, or a single element holding the shell-form text. */
  cmdLine: string[];
  /** Heredoc files (RUN only). */
  files: ShellInlineFile[];
  /** True for shell form: the stage's SHELL is prepended at build time. */
  prependShell: boolean;
}

/** `FROM [--platform=p] image [AS name]`. In {@link Stage} form after {@link parseStages}. */
export interface FromInstruction extends InstructionBase {
  kind: "from";
  /** Base image or stage reference, unexpanded. */
  baseName: string;
  /** Stage name, lower-cased; absent without `AS`. */
  name?: string;
  /** `--platform` value, unexpanded; absent when not given. */
  platform?: string;
}

/** Network mode of `RUN --network`. */
export type NetworkMode = "default" | "none" | "host";

/** Security mode of `RUN --security`. */
export type SecurityMode = "sandbox" | "insecure";

/** A parsed `RUN --device` value. */
export interface DeviceSpec {
  /** Device name (CDI name or path). */
  name: string;
  /** `required`: fail when the device is unavailable. */
  required: boolean;
}

/** `RUN`. */
export interface RunInstruction extends InstructionBase, ShellDependantCmdLine {
  kind: "run";
  /** Raw `--mount` values (unexpanded); parse with `parseMount(value, expand)`. */
  mounts: string[];
  /** `--network`; `default` when not given. */
  network: NetworkMode;
  /** `--security`; `sandbox` when not given. */
  security: SecurityMode;
  /** Parsed `--device` values. */
  devices: DeviceSpec[];
  /** Names of the flags that were set, in flag-definition order (BuildKit's `FlagsUsed`). */
  flagsUsed: string[];
}

/** `CMD`. */
export interface CmdInstruction extends InstructionBase, ShellDependantCmdLine {
  kind: "cmd";
}

/** `ENTRYPOINT`. */
export interface EntrypointInstruction extends InstructionBase, ShellDependantCmdLine {
  kind: "entrypoint";
}

/** `ENV k=v …` / `ENV k v`. */
export interface EnvInstruction extends InstructionBase {
  kind: "env";
  env: KeyValuePair[];
}

/** `LABEL k=v …`. */
export interface LabelInstruction extends InstructionBase {
  kind: "label";
  labels: KeyValuePair[];
  /** When true the frontend must not expand keys/values (labels made by the frontend). */
  noExpand: boolean;
}

/** `MAINTAINER text`. */
export interface MaintainerInstruction extends InstructionBase {
  kind: "maintainer";
  maintainer: string;
}

/** `EXPOSE port…`. */
export interface ExposeInstruction extends InstructionBase {
  kind: "expose";
  ports: string[];
}

/** `ADD [flags] src… dest`. */
export interface AddInstruction extends InstructionBase, SourcesAndDest {
  kind: "add";
  /** `--chown`, "" when absent. */
  chown: string;
  /** `--chmod`, "" when absent. */
  chmod: string;
  /** `--link`. */
  link: boolean;
  /** `--exclude` patterns. */
  exclude: string[];
  /** `--keep-git-dir`; absent when not given. */
  keepGitDir?: boolean;
  /** `--checksum`, "" when absent. */
  checksum: string;
  /** `--unpack`; absent when not given (auto). */
  unpack?: boolean;
}

/** `COPY [flags] src… dest`. */
export interface CopyInstruction extends InstructionBase, SourcesAndDest {
  kind: "copy";
  /** `--from`, "" when absent (never expanded). */
  from: string;
  /** `--chown`, "" when absent. */
  chown: string;
  /** `--chmod`, "" when absent. */
  chmod: string;
  /** `--link`. */
  link: boolean;
  /** `--parents`. */
  parents: boolean;
  /** `--exclude` patterns. */
  exclude: string[];
}

/** `VOLUME path…`. */
export interface VolumeInstruction extends InstructionBase {
  kind: "volume";
  volumes: string[];
}

/** `USER user[:group]`. */
export interface UserInstruction extends InstructionBase {
  kind: "user";
  user: string;
}

/** `WORKDIR path`. */
export interface WorkdirInstruction extends InstructionBase {
  kind: "workdir";
  path: string;
}

/** `ARG name[=default] …`. */
export interface ArgInstruction extends InstructionBase {
  kind: "arg";
  args: KeyValuePairOptional[];
}

/** `ONBUILD instruction`. */
export interface OnbuildInstruction extends InstructionBase {
  kind: "onbuild";
  /** Trigger text (without `ONBUILD`), heredoc bodies re-appended. */
  expression: string;
}

/** `STOPSIGNAL signal`. */
export interface StopsignalInstruction extends InstructionBase {
  kind: "stopsignal";
  signal: string;
}

/** Image-config health check; durations in nanoseconds (0 = inherit/default). */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", cmd]`. */
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

/** `HEALTHCHECK NONE` / `HEALTHCHECK [flags] CMD …`. */
export interface HealthcheckInstruction extends InstructionBase {
  kind: "healthcheck";
  health: HealthConfig;
}

/** `SHELL ["exe", "arg"…]`. */
export interface ShellInstruction extends InstructionBase {
  kind: "shell";
  shell: string[];
}

/** Any typed instruction, discriminated on `kind`. */
export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | EnvInstruction
  | LabelInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | AddInstruction
  | CopyInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ArgInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | ShellInstruction;

/** The `kind` of an instruction. */
export type InstructionKind = Instruction["kind"];

/** Any instruction that can appear inside a stage (everything but FROM). */
export type StageCommand = Exclude<Instruction, FromInstruction>;

/** A build stage: a FROM and the instructions after it. */
export interface Stage {
  /** Stage name from `AS name`, lower-cased; absent when unnamed. */
  name?: string;
  /** Base image or stage reference, unexpanded. */
  baseName: string;
  /** `--platform` value, unexpanded; absent when not given. */
  platform?: string;
  /** The FROM line as written. */
  original: string;
  /** Lines of the FROM instruction. */
  range: LineRange[];
  /** Comment lines directly above the FROM. */
  comments: string[];
  /** Doc comment: text after `<name> ` in a comment line directly above the FROM. */
  docComment: string;
  /** Instructions of the stage in order. */
  commands: StageCommand[];
}

/** Type of a `RUN --mount`. */
export type MountType = "bind" | "cache" | "tmpfs" | "secret" | "ssh";

/** Sharing mode of a cache mount. */
export type CacheSharing = "shared" | "private" | "locked";

/**
 * A parsed `RUN --mount` value (BuildKit's `instructions.Mount`). Only the
 * parse-time defaults are applied (type `bind`, read-only for bind/secret/ssh);
 * the per-type defaults (cache id = target, secret id = basename(target),
 * secret target `/run/secrets/<id>`, ssh id `default`, modes 0755/0400/0600,
 * sharing `shared`) belong to the frontend, like in BuildKit.
 */
export interface MountSpec {
  type: MountType;
  /** `from=`: stage name, index or image; "" for the build context. */
  from: string;
  /** `source=`/`src=`; "" when absent. */
  source: string;
  /** `target=`/`dst=`/`destination=`; "" when absent. */
  target: string;
  readOnly: boolean;
  /** tmpfs `size=` in bytes; 0 when absent. */
  sizeLimit: number;
  /** `id=`; "" when absent. */
  cacheId: string;
  /** cache `sharing=`; absent when not given (means `shared`). */
  cacheSharing?: CacheSharing;
  /** secret/ssh `required`. */
  required: boolean;
  /** secret `env=`: expose the secret as this environment variable. */
  env?: string;
  /** `mode=` (parsed as octal). */
  mode?: number;
  uid?: number;
  gid?: number;
}

/** Result of {@link parseStages}. */
export interface ParsedStages {
  /** ARG instructions before the first FROM (global build args). */
  metaArgs: ArgInstruction[];
  stages: Stage[];
}
