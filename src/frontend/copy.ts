// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * COPY and ADD: file-op copies from the build context, another stage, an
 * image, a URL (http source) or a Git repository (git source), heredoc
 * sources written with mkfile, `--link` as a merge
 * (`dockerfile2llb/convert_copy.go`).
 *
 * @module
 */

import { type AddInstruction, type CopyInstruction, parseChmod, parseGitRef } from "./_deps.ts";
import {
  copy,
  type CopyOptions,
  type FileAction,
  git,
  http,
  merge,
  mkfile,
  scratch,
  type State,
} from "./_deps.ts";
import type { Command, DispatchState } from "./dispatch_state.ts";
import {
  commit,
  type DispatchContext,
  displayText,
  expandIn,
  locationOf,
  stepName,
} from "./dispatch.ts";
import { expandWord } from "./expand.ts";
import {
  basePath,
  containsWildcards,
  joinPath,
  normalizePath,
  pathRelativeToWorkingDir,
} from "./paths.ts";

function isGitSource(src: string): boolean {
  try {
    const ref = parseGitRef(src);
    return !ref.indistinguishableFromLocal;
  } catch (e) {
    if ((e as { isGitRef?: boolean }).isGitRef) throw e;
    return false;
  }
}

function isHttpSource(src: string): boolean {
  if (!src.startsWith("http://") && !src.startsWith("https://")) return false;
  return !isGitSource(src);
}

/** Filename BuildKit gives a downloaded URL: the path's base, or `__unnamed__`. */
function urlFilename(src: string): string {
  try {
    const u = new URL(src);
    const base = basePath(u.pathname === "" ? "/" : decodeURIComponent(u.pathname));
    if (base !== "." && base !== "/" && base !== "") return base;
  } catch {
    // fall through
  }
  return "__unnamed__";
}

/** Dispatches COPY or ADD. */
export function dispatchCopy(
  d: DispatchState,
  c: CopyInstruction | AddInstruction,
  cmd: Command,
  ctx: DispatchContext,
): void {
  const isAdd = c.kind === "add";
  // Expansion (BuildKit's Expand/ExpandRaw of the command).
  const chown = expandIn(d, ctx, c.chown);
  const chmod = expandIn(d, ctx, c.chmod);
  const checksum = isAdd ? expandIn(d, ctx, c.checksum) : "";
  const sources = c.sourcePaths.map((s) => expandIn(d, ctx, s));
  const destPath = expandIn(d, ctx, c.destPath);
  const contents = c.sourceContents.map((sc) => ({
    path: sc.path,
    data: sc.expand
      ? expandWord(sc.data, d.env, { escapeToken: "\\", skipProcessQuotes: true }).result
      : sc.data,
  }));
  const parents = c.kind === "copy" ? c.parents : false;
  const link = c.link;
  const exclude = c.exclude;

  let source: State = ctx.buildContext;
  const from = cmd.sources[0];
  if (c.kind === "copy" && from !== undefined) {
    if (!from.dispatched) {
      throw new Error(
        `cannot copy from stage "${c.from}", it needs to be defined before current stage "${d.stageName}"`,
      );
    }
    source = from.state;
  }

  const dest = pathRelativeToWorkingDir(d.dir, destPath);

  let mode: number | string | undefined;
  if (chmod !== "") {
    const spec = parseChmod(chmod);
    mode = spec.kind === "numeric" ? spec.mode : spec.text;
  }
  if (checksum !== "") {
    if (sources.length !== 1) throw new Error("checksum can't be specified for multiple sources");
    if (!isHttpSource(sources[0]!) && !isGitSource(sources[0]!)) {
      throw new Error("checksum requires HTTP(S) or Git sources");
    }
  }
  if (sources.length + contents.length > 1 && !dest.endsWith("/")) {
    throw new Error(
      `When using ${
        isAdd ? "ADD" : "COPY"
      } with more than one source file, the destination must be a directory and end with a /`,
    );
  }

  let msg = isAdd ? "ADD" : "COPY";
  if (parents) msg += " --parents";
  if (chown !== "") msg += " --chown=" + chown;
  if (chmod !== "") msg += " --chmod=" + chmod;

  const name = displayText(d, ctx, c.original);
  const pgName = stepName(d, ctx, name);
  const common: CopyOptions = {
    ...(chown !== "" ? { owner: chown } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(exclude.length > 0 ? { excludePatterns: [...exclude] } : {}),
  };

  let action: FileAction | undefined;
  const add = (src: State, srcPath: string, opts: CopyOptions) => {
    action = action === undefined
      ? copy(src, srcPath, dest, opts)
      : action.copy(src, srcPath, dest, opts);
  };

  for (const src of sources) {
    msg += " " + src;
    let gitRef: ReturnType<typeof parseGitRef> | undefined;
    try {
      gitRef = parseGitRef(src);
    } catch (e) {
      if ((e as { isGitRef?: boolean }).isGitRef) throw e;
      gitRef = undefined;
    }
    if (gitRef !== undefined && !gitRef.indistinguishableFromLocal) {
      if (!isAdd) throw new Error("source can't be a git ref for COPY");
      const a = c as AddInstruction;
      let keepGitDir = a.keepGitDir;
      if (
        keepGitDir !== undefined && gitRef.keepGitDir !== undefined &&
        keepGitDir !== gitRef.keepGitDir
      ) {
        throw new Error("inconsistent keep-git-dir configuration");
      }
      if (gitRef.keepGitDir !== undefined) keepGitDir = gitRef.keepGitDir;
      let sum = checksum;
      if (sum !== "" && gitRef.checksum !== "" && sum !== gitRef.checksum) {
        throw new Error(`checksum mismatch "${sum}" != "${gitRef.checksum}"`);
      }
      if (gitRef.checksum !== "") sum = gitRef.checksum;
      const st = git(gitRef.remote, {
        ...(gitRef.ref !== "" ? { ref: gitRef.ref } : {}),
        ...(keepGitDir ? { keepGitDir: true } : {}),
        ...(sum !== "" ? { checksum: sum } : {}),
        ...(gitRef.subDir !== "" ? { subdir: gitRef.subDir } : {}),
        ...(gitRef.submodules === false ? { skipSubmodules: true } : {}),
        ...(gitRef.fetchByCommit ? { fetchByCommit: true } : {}),
        customName: pgName,
      });
      add(st, "/", { ...common, createDestPath: true });
    } else if (isHttpSource(src)) {
      if (!isAdd) throw new Error("source can't be a URL for COPY");
      const f = urlFilename(src);
      if (checksum !== "" && !/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(checksum)) {
        throw new Error(`invalid checksum digest format`);
      }
      const st = http(src, {
        filename: f,
        ...(checksum !== "" ? { checksum } : {}),
        customName: pgName,
      });
      const unpack = (c as AddInstruction).unpack ?? false;
      add(st, f, { ...common, createDestPath: true, ...(unpack ? { attemptUnpack: true } : {}) });
    } else {
      let srcPath = src;
      let include: string[] | undefined;
      let required: string[] | undefined;
      if (parents) {
        const pivot = src.indexOf("/./");
        let pattern: string;
        if (pivot < 0) {
          pattern = src;
          srcPath = "/";
        } else {
          srcPath = src.slice(0, pivot);
          pattern = src.slice(pivot + 3);
        }
        pattern = normalizePath("/", pattern);
        include = [pattern.replace(/^\//, "")];
        if (!containsWildcards(srcPath) && !containsWildcards(pattern)) {
          required = [normalizePath("/", joinPath(srcPath, pattern))];
        }
      }
      srcPath = normalizePath("/", srcPath);
      const unpack = isAdd ? ((c as AddInstruction).unpack ?? true) : false;
      add(source, srcPath, {
        ...common,
        followSymlinks: true,
        copyDirContentsOnly: true,
        ...(include !== undefined ? { includePatterns: include } : {}),
        ...(required !== undefined ? { requiredPaths: required } : {}),
        ...(unpack ? { attemptUnpack: true } : {}),
        createDestPath: true,
        allowWildcard: true,
        allowEmptyWildcard: true,
        ...(parents ? { parents: true } : {}),
      });
      // Paths this command reads from its source.
      const used = joinPath("/", src);
      if (c.kind === "copy" && from !== undefined) from.paths.add(used);
      else d.ctxPaths.add(used);
    }
  }

  for (const sc of contents) {
    msg += " <<" + sc.path;
    const st = scratchOn(d).file(mkfile("/" + sc.path.replace(/^\/+/, ""), 0o644, sc.data), {
      customName: "[internal] preparing inline document",
    });
    add(st, sc.path, { ...common, createDestPath: true });
  }
  msg += " " + destPath;

  if (action === undefined) {
    commit(d, ctx, msg, { layer: true, buildkitSuffix: true });
    return;
  }
  const fileOpts = {
    customName: pgName,
    description: { "com.docker.dockerfile.v1.command": c.original.trim() },
    sourceLocation: locationOf(ctx, c.range),
    ...(d.ignoreCache ? { ignoreCache: true } : {}),
  };
  if (link && chmod === "") {
    // --link: copy onto scratch and merge it over the stage (a layer that does
    // not depend on the previous ones). Both vertices share a progress group.
    const groupId = `${d.stageName || "stage"}-${d.index}-${d.counter.index}`;
    d.counter.index--;
    const groupName = stepName(d, ctx, name);
    d.counter.index--;
    const linkName = stepName(d, ctx, "LINK " + name);
    const layer = scratchOn(d).file(action, {
      ...fileOpts,
      progressGroup: { id: groupId, name: groupName, weak: true },
    });
    d.state = merge([d.state, layer], {
      ...fileOpts,
      customName: linkName,
      progressGroup: { id: groupId, name: groupName },
    });
  } else {
    d.state = d.state.file(action, fileOpts);
  }
  commit(d, ctx, msg, { layer: true, buildkitSuffix: true });
}

/** Scratch carrying the stage's platform (ops built on it get that platform). */
export function scratchOn(d: DispatchState): State {
  return d.platform !== undefined ? scratch().withPlatform(d.platform) : scratch();
}
