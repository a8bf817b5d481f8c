// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * File actions (`mkdir`, `mkfile`, `rm`, `symlink`, `copy`) chained into one
 * file op and applied with `State.file`.
 *
 * @module
 */

import { encodeBase64 } from "./canonical_op.ts";
import { resolvePath } from "./_path.ts";
import { APPLY_FILE_ACTION } from "./_symbols.ts";
import { makeVertex, type OpOptions, type Output } from "./_vertex.ts";
import { type State, type StateMeta, stateMeta, stateOutput } from "./state.ts";
import type { ChownOpt, FileAction as FileActionOp, UserRef } from "./types.ts";

/** A user or group: a numeric id or a name resolved in the target's `/etc/passwd`. */
export type UserSpec = string | number;

/**
 * Ownership of created files: `"user"`, `"user:group"`, a uid, or `{ user, group }`.
 * Numeric strings are ids.
 */
export type OwnerSpec = UserSpec | { user?: UserSpec; group?: UserSpec };

/** A timestamp for created files: a Date or Unix seconds. */
export type TimestampSpec = Date | number;

/** Options of {@linkcode mkdir}. */
export interface MkdirOptions {
  /** Create missing parents (like `mkdir -p`). */
  makeParents?: boolean;
  owner?: OwnerSpec;
  timestamp?: TimestampSpec;
}

/** Options of {@linkcode mkfile}. */
export interface MkfileOptions {
  owner?: OwnerSpec;
  timestamp?: TimestampSpec;
}

/** Options of {@linkcode rm}. */
export interface RmOptions {
  allowNotFound?: boolean;
  allowWildcard?: boolean;
}

/** Options of {@linkcode symlink}. */
export interface SymlinkOptions {
  owner?: OwnerSpec;
  timestamp?: TimestampSpec;
}

/** Options of {@linkcode copy}. */
export interface CopyOptions {
  owner?: OwnerSpec;
  /** A numeric mode, an octal string (`"755"`), or a symbolic mode (`"u+x"`). */
  mode?: number | string;
  followSymlinks?: boolean;
  copyDirContentsOnly?: boolean;
  attemptUnpack?: boolean;
  createDestPath?: boolean;
  allowWildcard?: boolean;
  allowEmptyWildcard?: boolean;
  includePatterns?: string[];
  excludePatterns?: string[];
  timestamp?: TimestampSpec;
  alwaysReplaceExistingDestPaths?: boolean;
  /** Keep the source's parent directories (`COPY --parents`). */
  parents?: boolean;
  requiredPaths?: string[];
}

type Spec =
  | { kind: "mkdir"; path: string; mode: number; opts: MkdirOptions }
  | { kind: "mkfile"; path: string; mode: number; data: string | Uint8Array; opts: MkfileOptions }
  | { kind: "rm"; path: string; opts: RmOptions }
  | { kind: "symlink"; oldpath: string; newpath: string; opts: SymlinkOptions }
  | { kind: "copy"; src: Output | undefined; srcPath: string; dest: string; opts: CopyOptions };

/**
 * An immutable chain of file actions. Start one with {@linkcode mkdir},
 * {@linkcode mkfile}, {@linkcode rm}, {@linkcode symlink} or {@linkcode copy},
 * extend it with the methods of the same names, apply it with `State.file`.
 * Each action works on the result of the previous one.
 *
 * @example
 * ```ts
 * import { marshal, mkdir, scratch } from "./mod.ts";
 * const action = mkdir("/app", 0o755).mkfile("/app/hello.txt", 0o644, "hi\n");
 * const def = marshal(scratch().file(action));
 * const fileOp = def.ops[0]!.op;
 * console.assert("file" in fileOp && fileOp.file.actions.length === 2);
 * ```
 */
export class FileAction {
  #prev: FileAction | undefined;
  #spec: Spec;

  /** Use `mkdir()`, `mkfile()`, `rm()`, `symlink()` or `copy()` instead. */
  private constructor(prev: FileAction | undefined, spec: Spec) {
    this.#prev = prev;
    this.#spec = spec;
  }

  /** @internal Creates the first action of a chain. */
  static start(spec: Spec): FileAction {
    return new FileAction(undefined, spec);
  }

  /** Appends a `mkdir` action. */
  mkdir(path: string, mode: number, options: MkdirOptions = {}): FileAction {
    return new FileAction(this, { kind: "mkdir", path, mode, opts: options });
  }

  /** Appends a `mkfile` action. */
  mkfile(
    path: string,
    mode: number,
    data: string | Uint8Array,
    options: MkfileOptions = {},
  ): FileAction {
    return new FileAction(this, { kind: "mkfile", path, mode, data, opts: options });
  }

  /** Appends an `rm` action. */
  rm(path: string, options: RmOptions = {}): FileAction {
    return new FileAction(this, { kind: "rm", path, opts: options });
  }

  /** Appends a `symlink` action (`newpath` → `oldpath`). */
  symlink(oldpath: string, newpath: string, options: SymlinkOptions = {}): FileAction {
    return new FileAction(this, { kind: "symlink", oldpath, newpath, opts: options });
  }

  /** Appends a `copy` action from `src` (paths relative to `src`'s working dir). */
  copy(src: State, srcPath: string, destPath: string, options: CopyOptions = {}): FileAction {
    return new FileAction(this, copySpec(src, srcPath, destPath, options));
  }

  /** @internal Builds the file vertex on top of `base`; used by `State.file`. */
  [APPLY_FILE_ACTION](base: Output | undefined, meta: StateMeta, opts: OpOptions): Output {
    const specs: Spec[] = [];
    specs.push(this.#spec);
    for (let a = this.#prev; a !== undefined; a = a.#prev) specs.push(a.#spec);
    specs.reverse();
    const rawInputs: Output[] = [];
    if (base !== undefined) rawInputs.push(base);
    const secondaryRaw = specs.map((s) => {
      if (s.kind !== "copy" || s.src === undefined) return -1;
      rawInputs.push(s.src);
      return rawInputs.length - 1;
    });
    const actions = specs.map((s) => resolveSpec(s, meta.dir));
    const vertex = makeVertex({
      inputs: rawInputs,
      platform: meta.platform,
      build(ctx) {
        const n = ctx.inputCount;
        const list = actions.map((make, k) => {
          const input = k === 0 ? (base === undefined ? -1 : ctx.input(0)) : n + k - 1;
          const raw = secondaryRaw[k]!;
          const secondary = raw < 0 ? -1 : ctx.input(raw);
          const action = make(input);
          if (input !== -1) action.input = input;
          if (secondary !== -1) action.secondaryInput = secondary;
          if (k === actions.length - 1) action.output = 0;
          return action;
        });
        return { file: { actions: list } };
      },
    }, opts);
    return { vertex, index: 0 };
  }
}

function copySpec(src: State, srcPath: string, dest: string, opts: CopyOptions): Spec {
  return {
    kind: "copy",
    src: stateOutput(src),
    srcPath: resolvePath(stateMeta(src).dir, srcPath, true),
    dest,
    opts,
  };
}

/** Resolves paths against the base dir; returns a maker taking the action's input index. */
function resolveSpec(s: Spec, dir: string): (input: number) => FileActionOp {
  switch (s.kind) {
    case "mkdir":
      return (input) => {
        const a: FileActionOp = { type: "mkdir", path: resolvePath(dir, s.path), mode: s.mode };
        if (s.opts.makeParents) a.makeParents = true;
        setOwner(a, s.opts.owner, input);
        setTimestamp(a, s.opts.timestamp);
        return a;
      };
    case "mkfile":
      return (input) => {
        const a: FileActionOp = { type: "mkfile", path: resolvePath(dir, s.path), mode: s.mode };
        const text = typeof s.data === "string" ? s.data : utf8OrUndefined(s.data);
        if (text === undefined) a.dataBase64 = encodeBase64(s.data as Uint8Array);
        else if (text !== "") a.data = text;
        setOwner(a, s.opts.owner, input);
        setTimestamp(a, s.opts.timestamp);
        return a;
      };
    case "rm":
      return () => {
        const a: FileActionOp = { type: "rm", path: resolvePath(dir, s.path) };
        if (s.opts.allowNotFound) a.allowNotFound = true;
        if (s.opts.allowWildcard) a.allowWildcard = true;
        return a;
      };
    case "symlink":
      return (input) => {
        const a: FileActionOp = {
          type: "symlink",
          oldpath: s.oldpath,
          newpath: resolvePath(dir, s.newpath),
        };
        setOwner(a, s.opts.owner, input);
        setTimestamp(a, s.opts.timestamp);
        return a;
      };
    case "copy":
      return (input) => {
        const o = s.opts;
        const a: FileActionOp & { type: "copy" } = {
          type: "copy",
          src: s.srcPath,
          dest: resolvePath(dir, s.dest, true),
        };
        setOwner(a, o.owner, input);
        if (typeof o.mode === "number") a.mode = o.mode;
        else if (typeof o.mode === "string") {
          if (/^[0-7]+$/.test(o.mode)) a.mode = parseInt(o.mode, 8);
          else a.modeStr = o.mode;
        }
        for (
          const k of [
            "followSymlinks",
            "copyDirContentsOnly",
            "attemptUnpack",
            "createDestPath",
            "allowWildcard",
            "allowEmptyWildcard",
            "alwaysReplaceExistingDestPaths",
            "parents",
          ] as const
        ) if (o[k]) a[k] = true;
        for (const k of ["includePatterns", "excludePatterns", "requiredPaths"] as const) {
          const list = o[k];
          if (list !== undefined && list.length > 0) a[k] = [...list];
        }
        setTimestamp(a, o.timestamp);
        return a;
      };
  }
}

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function setTimestamp(a: { timestamp?: number }, t: TimestampSpec | undefined): void {
  if (t === undefined) return;
  const seconds = t instanceof Date ? Math.floor(t.getTime() / 1000) : t;
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new RangeError(`Invalid timestamp ${String(t)}: need whole Unix seconds >= 0`);
  }
  a.timestamp = seconds;
}

function userRef(u: UserSpec, input: number): UserRef {
  if (typeof u === "number") {
    if (!Number.isSafeInteger(u) || u < 0) throw new RangeError(`Invalid user or group id ${u}`);
    return { id: u };
  }
  if (/^\d+$/.test(u)) return { id: parseInt(u, 10) };
  if (u === "") throw new TypeError("Empty user or group name");
  return input === -1 ? { name: u } : { name: u, input };
}

function setOwner(a: { owner?: ChownOpt }, spec: OwnerSpec | undefined, input: number): void {
  if (spec === undefined) return;
  let user: UserSpec | undefined;
  let group: UserSpec | undefined;
  if (typeof spec === "object") {
    user = spec.user;
    group = spec.group;
  } else if (typeof spec === "string" && spec.includes(":")) {
    const i = spec.indexOf(":");
    user = spec.slice(0, i);
    group = spec.slice(i + 1);
  } else user = spec;
  const owner: ChownOpt = {};
  if (user !== undefined && user !== "") owner.user = userRef(user, input);
  if (group !== undefined && group !== "") owner.group = userRef(group, input);
  if (owner.user !== undefined || owner.group !== undefined) a.owner = owner;
}

/**
 * Starts a file action chain with a `mkdir`.
 *
 * @example
 * ```ts
 * import { marshal, mkdir, scratch } from "./mod.ts";
 * const def = marshal(scratch().file(mkdir("/a/b", 0o755, { makeParents: true })));
 * const op = def.ops[0]!.op;
 * console.assert("file" in op && op.file.actions[0]!.type === "mkdir");
 * ```
 */
export function mkdir(path: string, mode: number, options: MkdirOptions = {}): FileAction {
  return FileAction.start({ kind: "mkdir", path, mode, opts: options });
}

/**
 * Starts a file action chain with a `mkfile`. Text data is stored as `data`;
 * bytes that are not valid UTF-8 as `dataBase64`.
 *
 * @example
 * ```ts
 * import { marshal, mkfile, scratch } from "./mod.ts";
 * const def = marshal(scratch().file(mkfile("/hello.txt", 0o644, "hello\n", { timestamp: 0 })));
 * const op = def.ops[0]!.op;
 * console.assert("file" in op && JSON.stringify(op.file.actions[0]).includes('"data":"hello\\n"'));
 * ```
 */
export function mkfile(
  path: string,
  mode: number,
  data: string | Uint8Array,
  options: MkfileOptions = {},
): FileAction {
  return FileAction.start({ kind: "mkfile", path, mode, data, opts: options });
}

/**
 * Starts a file action chain with an `rm`.
 *
 * @example
 * ```ts
 * import { image, marshal, rm } from "./mod.ts";
 * const def = marshal(image("alpine").file(rm("/var/cache/apk/*", { allowWildcard: true })));
 * console.assert(def.ops.length === 3);
 * ```
 */
export function rm(path: string, options: RmOptions = {}): FileAction {
  return FileAction.start({ kind: "rm", path, opts: options });
}

/**
 * Starts a file action chain with a `symlink` (`newpath` → `oldpath`; `oldpath`
 * is stored as given, `newpath` resolves against the working dir).
 *
 * @example
 * ```ts
 * import { marshal, scratch, symlink } from "./mod.ts";
 * const def = marshal(scratch().withDir("/usr/bin").file(symlink("busybox", "sh")));
 * const op = def.ops[0]!.op;
 * console.assert("file" in op && JSON.stringify(op.file.actions[0]).includes('"newpath":"/usr/bin/sh"'));
 * ```
 */
export function symlink(
  oldpath: string,
  newpath: string,
  options: SymlinkOptions = {},
): FileAction {
  return FileAction.start({ kind: "symlink", oldpath, newpath, opts: options });
}

/**
 * Starts a file action chain with a `copy` from `src` (a relative `srcPath`
 * resolves against `src`'s working dir, a relative `destPath` against the
 * target's; a trailing `/` on `destPath` means "into this directory").
 *
 * @example
 * ```ts
 * import { copy, image, local, marshal } from "./mod.ts";
 * const ctx = local("context");
 * const out = image("alpine").withDir("/app").file(copy(ctx, "src", "./", { owner: "1000:1000" }));
 * const def = marshal(out);
 * const fileOp = def.ops.at(-2)!.op;
 * console.assert("file" in fileOp && JSON.stringify(fileOp.file.actions[0]).includes('"dest":"/app/"'));
 * ```
 */
export function copy(
  src: State,
  srcPath: string,
  destPath: string,
  options: CopyOptions = {},
): FileAction {
  return FileAction.start(copySpec(src, srcPath, destPath, options));
}
