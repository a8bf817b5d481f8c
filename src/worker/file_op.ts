// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The file op (BuildKit's `solver/llbsolver/ops/file.go` and
 * `solver/llbsolver/file/backend.go`): a chain of copy, mkfile, mkdir, rm and
 * symlink actions run on real directories.
 *
 * Indices: an action's `input` / `secondaryInput` below the number of op
 * inputs names an input; an index ≥ that names the result of action
 * `index - inputs.length` (an earlier one); -1 is scratch (an empty tree).
 * Each action writes into a fresh work directory cloned from its input (an
 * earlier action's directory that nothing else reads and that is not an
 * output is reused in place). The op's inputs are never modified.
 *
 * Deliberate choices, where BuildKit leaves room:
 * - ownership: a copy keeps the source's uid/gid unless a chown is given
 *   (BuildKit resets the build context to 0:0 when it receives it — that is
 *   the local source's job, not the file op's);
 * - timestamps are Unix seconds (the IR's unit); `epoch` from the context is
 *   given to entries that would otherwise get "now" (mkfile, mkdir, symlink,
 *   and directories a copy creates), never to copied entries;
 * - directories created on the way (mkdir -p, copy parents) get their
 *   timestamp re-applied after their children are made, so it sticks;
 * - mkfile writes a new file and renames it over the path (the snapshot store
 *   shares files by hardlink), keeping the permission bits and owner of a
 *   regular file it replaces, as BuildKit's in-place `WriteFile` does.
 *
 * @module
 */

import { type ChmodSpec, parseChmod } from "../dockerfile/mod.ts";
import type {
  FileActionCopy,
  FileActionMkdir,
  FileActionMkfile,
  FileActionOp,
  FileActionRm,
  FileActionSymlink,
} from "../llb/mod.ts";
import { fsp, path, randomBytes } from "../runtime/mod.ts";
import {
  cleanOpPath,
  containsWildcards,
  copyPath,
  fixCreatedDirTimes,
  lchownPath,
  mkdirAll,
  notFound,
  resolveWildcards,
  rootPath,
  setTimestamp,
} from "./file_copy.ts";
import { type Owner, resolveOwner } from "./file_owner.ts";
import { tryUnpack } from "./file_unpack.ts";
import { resolveInRoot } from "./path_safe.ts";

/** What {@linkcode executeFileOp} needs from the worker. */
export interface FileOpContext {
  /** Directories of the op's inputs (already materialized snapshots); undefined for scratch. Read-only: never modified. */
  inputs: Array<string | undefined>;
  /**
   * Makes a new writable directory that starts as a copy of `base` (the
   * snapshot store may clone with hardlinks: files in it are never written
   * in place, only replaced).
   */
  createWorkDir(base: string | undefined): Promise<string>;
  /**
   * SOURCE_DATE_EPOCH-style timestamp (Unix seconds) for entries an action
   * creates without a timestamp of its own; undefined = now.
   */
  epoch?: number;
  /** Cancels the op between entries. */
  signal?: AbortSignal;
  /** Receives notes (e.g. an archive that could not be decoded and was copied as is). */
  log?: (message: string) => void;
  /** Fail on chown names missing from /etc/passwd or /etc/group (BuildKit silently uses 0). */
  strictOwnerNames?: boolean;
  /**
   * Owner given to what a copy takes from op input `i` when the action has no chown
   * (the build context: its files become root's, as in BuildKit, whoever owns them on
   * the host). Absent: copies keep the source's uid/gid.
   */
  inputOwners?: Array<Owner | undefined>;
}

/** An error of one action, with host paths stripped from its message. */
export class FileOpError extends Error {
  /** Index of the failing action. */
  readonly action: number;
  /** The system error code (`ENOENT` …) when there is one. */
  readonly code: string | undefined;
  /** Builds the error. */
  constructor(message: string, options: { action: number; code?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "FileOpError";
    this.action = options.action;
    this.code = options.code;
  }
}

function timeOf(ts: number | undefined): number | undefined {
  return ts === undefined || ts === -1 ? undefined : ts;
}

/**
 * Runs the actions; returns the directory of each output in output-index
 * order (usually one).
 *
 * @example
 * ```ts ignore
 * import { executeFileOp } from "./file_op.ts";
 * const [out] = await executeFileOp(
 *   [{ type: "mkdir", path: "/app", mode: 0o755, output: 0 }],
 *   { inputs: [], createWorkDir: (base) => cloneOrMakeEmpty(base) },
 * );
 * ```
 */
export async function executeFileOp(
  actions: FileActionOp[],
  ctx: FileOpContext,
): Promise<string[]> {
  const n = ctx.inputs.length;
  const results: string[] = [];
  // How many later readers each action result has (to reuse a dir in place).
  const readers = new Array<number>(actions.length).fill(0);
  const countRef = (idx: number | undefined) => {
    if (idx !== undefined && idx >= n && idx - n < actions.length) readers[idx - n]!++;
  };
  for (const a of actions) {
    countRef(a.input);
    countRef(a.secondaryInput);
    if (a.type !== "rm") {
      const owner = a.owner;
      for (const ref of [owner?.user, owner?.group]) {
        if (ref !== undefined && "name" in ref && ref.input !== a.input) countRef(ref.input);
      }
    }
  }

  const treeOf = (index: number | undefined, before: number): string | undefined => {
    if (index === undefined || index < 0) return undefined;
    if (index < n) return ctx.inputs[index];
    const k = index - n;
    if (k >= before) throw new Error(`invalid file action input index ${index}`);
    return results[k];
  };

  const outputs: string[] = [];
  for (let i = 0; i < actions.length; i++) {
    ctx.signal?.throwIfAborted();
    const a = actions[i]!;
    const inputIdx = a.input ?? -1;
    const base = treeOf(inputIdx, i);
    const roots: string[] = [];
    try {
      let work: string;
      const k = inputIdx - n;
      if (inputIdx >= n && readers[k] === 1 && (actions[k]!.output ?? -1) < 0) {
        work = base as string;
      } else {
        work = await ctx.createWorkDir(base);
      }
      roots.push(work);
      let owner: Owner | undefined;
      if (a.type !== "rm") {
        owner = await resolveOwner(a.owner, {
          treeOf: (idx) => treeOf(idx, i),
          ...(ctx.strictOwnerNames === true ? { strictNames: true } : {}),
        });
      }
      switch (a.type) {
        case "copy": {
          let src = treeOf(a.secondaryInput ?? -1, i);
          if (src === undefined) src = await ctx.createWorkDir(undefined);
          roots.push(src);
          const secondary = a.secondaryInput ?? -1;
          const copyOwner = owner ??
            (secondary >= 0 && secondary < n ? ctx.inputOwners?.[secondary] : undefined);
          await runCopy(a, { src, dest: work, owner: copyOwner, ctx });
          break;
        }
        case "mkfile":
          await runMkfile(a, work, owner, ctx);
          break;
        case "mkdir":
          await runMkdir(a, work, owner, ctx);
          break;
        case "rm":
          await runRm(a, work);
          break;
        case "symlink":
          await runSymlink(a, work, owner, ctx);
          break;
        default:
          throw new Error(`unknown file action ${JSON.stringify((a as { type: unknown }).type)}`);
      }
      results[i] = work;
      const out = a.output ?? -1;
      if (out >= 0) outputs[out] = work;
    } catch (e) {
      throw wrapError(e, i, roots);
    }
  }
  for (let o = 0; o < outputs.length; o++) {
    if (outputs[o] === undefined) throw new Error(`file op has no action for output ${o}`);
  }
  return outputs;
}

function wrapError(e: unknown, action: number, roots: string[]): Error {
  if (e instanceof FileOpError) return e;
  if ((e as { name?: string })?.name === "AbortError") return e as Error;
  let message = e instanceof Error ? e.message : String(e);
  for (const r of roots.sort((x, y) => y.length - x.length)) {
    message = message.split(r + "/").join("/").split(r).join("/");
  }
  const code = (e as { code?: unknown })?.code;
  return new FileOpError(message, {
    action,
    ...(typeof code === "string" ? { code } : {}),
    cause: e,
  });
}

async function runCopy(
  a: FileActionCopy,
  env: { src: string; dest: string; owner: Owner | undefined; ctx: FileOpContext },
): Promise<void> {
  const { src: srcRoot, dest: destRoot, owner, ctx } = env;
  let src = a.src;
  let include = [...(a.includePatterns ?? [])];
  const required = [...(a.requiredPaths ?? [])];
  let copyDirContents = a.copyDirContentsOnly ?? false;
  if (a.parents === true) {
    // `--parents`: the source path below the root (or below a `/./` pivot) is
    // kept, by copying the pivot's contents through an include pattern, as
    // BuildKit's Dockerfile frontend does (`convert_copy.go`).
    const pivot = src.indexOf("/./");
    if (pivot >= 0 || include.length === 0) {
      const parent = pivot >= 0 ? src.slice(0, pivot) : "/";
      const pattern = path.posix.join("/", pivot >= 0 ? src.slice(pivot + 3) : src);
      src = parent === "" ? "/" : parent;
      include = [...include, pattern.slice(1)];
      if (!containsWildcards(src) && !containsWildcards(pattern)) {
        required.push(path.posix.join("/", src, pattern));
      }
      copyDirContents = true;
    }
  }
  const srcPath = cleanOpPath(src);
  const destPath = cleanOpPath(a.dest);

  if (a.createDestPath !== true) {
    const p = await resolveInRoot(destRoot, path.posix.normalize(destPath));
    try {
      await fsp.lstat(path.dirname(p));
    } catch (e) {
      throw new Error(`failed to stat ${a.dest}: ${(e as Error).message}`, { cause: e });
    }
  }

  let mode: number | undefined;
  let modeSpec: ChmodSpec | undefined;
  if (a.modeStr !== undefined && a.modeStr !== "") {
    const spec = parseChmod(a.modeStr);
    if (spec.kind === "numeric") mode = spec.mode;
    else modeSpec = spec;
  } else if (a.mode !== undefined && a.mode !== -1) {
    mode = a.mode;
  }

  const followLinks = a.followSymlinks ?? false;
  let matches: string[];
  if (a.allowWildcard === true) {
    matches = await resolveWildcards(srcRoot, srcPath, { followLinks, signal: ctx.signal });
    if (matches.length === 0) {
      if (a.allowEmptyWildcard === true) return;
      throw notFound(srcPath);
    }
  } else {
    matches = [srcPath];
  }

  for (const r of required) {
    const p = await resolveInRoot(srcRoot, r, { followFinal: false });
    try {
      await fsp.lstat(p);
    } catch {
      throw notFound(r);
    }
  }

  const timestamp = timeOf(a.timestamp);
  for (const s of matches) {
    ctx.signal?.throwIfAborted();
    if (a.attemptUnpack === true) {
      const file = await rootPath(srcRoot, s, true);
      const st = await fsp.lstat(file).catch(() => undefined);
      if (st?.isFile()) {
        const destDir = await resolveInRoot(destRoot, path.posix.normalize(destPath));
        const done = await tryUnpack(file, destDir, {
          owner,
          time: timestamp,
          log: ctx.log,
          signal: ctx.signal,
        });
        if (done) continue;
      }
    }
    await copyPath(srcRoot, destRoot, {
      src: s,
      dest: destPath,
      copyDirContents,
      followLinks,
      owner,
      mode,
      modeSpec,
      timestamp,
      createdDirTime: ctx.epoch,
      includePatterns: include,
      excludePatterns: a.excludePatterns,
      alwaysReplaceExistingDestPaths: a.alwaysReplaceExistingDestPaths ?? false,
      signal: ctx.signal,
    });
  }
}

async function applyMeta(
  p: string,
  owner: Owner | undefined,
  time: number | undefined,
): Promise<void> {
  if (owner !== undefined) await lchownPath(p, owner.uid, owner.gid);
  if (time !== undefined) await setTimestamp(p, time);
}

function decodeData(a: FileActionMkfile): Uint8Array {
  if (a.dataBase64 !== undefined) {
    const bin = atob(a.dataBase64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return new TextEncoder().encode(a.data ?? "");
}

async function runMkfile(
  a: FileActionMkfile,
  root: string,
  owner: Owner | undefined,
  ctx: FileOpContext,
): Promise<void> {
  const p = await resolveInRoot(root, a.path);
  const existing = await fsp.lstat(p).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(`open ${a.path}: is a directory`);
  let mode = a.mode & 0o777;
  let own = owner;
  if (existing?.isFile()) {
    // BuildKit writes in place: an existing file keeps its mode and owner.
    mode = existing.mode & 0o7777;
    own ??= { uid: existing.uid, gid: existing.gid };
  }
  const tmp = path.join(path.dirname(p), `.mkfile-${randomBytes(6).toString("hex")}`);
  try {
    await fsp.writeFile(tmp, decodeData(a), { mode: mode & 0o777, flag: "wx" });
    if (own !== undefined) await lchownPath(tmp, own.uid, own.gid);
    await fsp.chmod(tmp, mode);
    const time = timeOf(a.timestamp) ?? ctx.epoch;
    if (time !== undefined) await setTimestamp(tmp, time);
    await fsp.rename(tmp, p);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    if ((e as { code?: string }).code === "ENOENT") {
      throw new Error(`open ${a.path}: no such file or directory`, { cause: e });
    }
    throw e;
  }
}

async function runMkdir(
  a: FileActionMkdir,
  root: string,
  owner: Owner | undefined,
  ctx: FileOpContext,
): Promise<void> {
  const p = await resolveInRoot(root, a.path);
  const time = timeOf(a.timestamp) ?? ctx.epoch;
  const perm = a.mode & 0o777;
  if (a.makeParents === true) {
    const created = await mkdirAll(p, perm, { owner, time });
    await fixCreatedDirTimes(created, time);
    return;
  }
  try {
    await fsp.mkdir(p, { mode: perm });
  } catch (e) {
    const code = (e as { code?: string }).code;
    // BuildKit: an existing path is not an error for mkdir (backend.go).
    if (code === "EEXIST") return;
    if (code === "ENOENT") throw new Error(`mkdir ${a.path}: no such file or directory`);
    throw e;
  }
  await fsp.chmod(p, perm);
  await applyMeta(p, owner, time);
}

async function rmPath(root: string, p: string, allowNotFound: boolean): Promise<void> {
  const src = path.posix.join("/", p);
  if (src === "/") throw new Error("rmPath: invalid empty path");
  const dir = await resolveInRoot(root, path.posix.dirname(src));
  const target = path.join(dir, path.posix.basename(src));
  if (!allowNotFound) {
    try {
      await fsp.lstat(target);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        const err = new Error(`lstat ${src}: no such file or directory`) as Error & {
          code: string;
        };
        err.code = "ENOENT";
        throw err;
      }
      throw e;
    }
  }
  await fsp.rm(target, { recursive: true, force: true });
}

async function runRm(a: FileActionRm, root: string): Promise<void> {
  const allowNotFound = a.allowNotFound ?? false;
  if (a.allowWildcard === true) {
    const matches = await resolveWildcards(root, cleanOpPath(a.path));
    for (const m of matches) await rmPath(root, m, allowNotFound);
    return;
  }
  await rmPath(root, a.path, allowNotFound);
}

async function runSymlink(
  a: FileActionSymlink,
  root: string,
  owner: Owner | undefined,
  ctx: FileOpContext,
): Promise<void> {
  const p = await resolveInRoot(root, a.newpath);
  try {
    await fsp.symlink(a.oldpath, p);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "EEXIST") throw new Error(`symlink ${a.oldpath} ${a.newpath}: file exists`);
    if (code === "ENOENT") {
      throw new Error(`symlink ${a.oldpath} ${a.newpath}: no such file or directory`);
    }
    throw e;
  }
  await applyMeta(p, owner, timeOf(a.timestamp) ?? ctx.epoch);
}
