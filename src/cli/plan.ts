// Copyright 2026 the buildkit-ts authors. MIT license.

import type { Runtime } from "../runtime/mod.ts";
import { DockerfileError, readIgnoreFile } from "../dockerfile/mod.ts";
import { dockerfileToLlb } from "../frontend/mod.ts";
import type { ConvertResult } from "../frontend/mod.ts";
import { parsePlatform, type Platform } from "../oci/mod.ts";
import { openStore, resolveStoreRoot, type Store } from "../store/mod.ts";
import { createImageResolver } from "../worker/mod.ts";
import type { BuildOptions } from "./build_options.ts";
import { UsageError } from "./errors.ts";
import { rememberSource } from "./render_error.ts";

/** A Dockerfile read from disk or standard input. */
export interface DockerfileInput {
  /** Display name (path as given, or `Dockerfile` for stdin). */
  name: string;
  /** Absolute path, absent for stdin. */
  path?: string;
  data: Uint8Array;
}

/** Reads the Dockerfile named on the command line (`-` = standard input). */
export async function readDockerfileArg(arg: string, rt: Runtime): Promise<DockerfileInput> {
  if (arg === "-") return { name: "Dockerfile", data: await rt.readStdin() };
  const path = rt.resolvePath(arg);
  const info = rt.lstat(path);
  if (info === undefined) throw new UsageError(`failed to read ${arg}: no such file`);
  if (info.isDirectory) {
    throw new UsageError(`failed to read ${arg}: is a directory, expected a Dockerfile`);
  }
  return { name: arg, path, data: await rt.readFile(path) };
}

/** Everything a build needs from the command line and the disk, before any work. */
export interface PreparedBuild {
  dockerfile: DockerfileInput;
  contextDir: string;
  excludePatterns: string[];
  buildPlatform: Platform;
  targetPlatforms: Platform[];
}

/** Checks the context, reads the Dockerfile and the .dockerignore, parses platforms. */
export async function prepareBuild(opts: BuildOptions, rt: Runtime): Promise<PreparedBuild> {
  const contextDir = rt.resolvePath(opts.context);
  const ctxInfo = rt.lstat(contextDir);
  if (ctxInfo === undefined || !ctxInfo.isDirectory) {
    throw new UsageError(
      `unable to prepare context: path "${opts.context}" not found or not a directory`,
    );
  }
  let dockerfile: DockerfileInput;
  if (opts.file !== undefined) dockerfile = await readDockerfileArg(opts.file, rt);
  else {
    // As BuildKit: `Dockerfile`, falling back to lower-case `dockerfile`.
    let path = rt.resolvePath(contextDir, "Dockerfile");
    if (
      rt.lstat(path) === undefined &&
      rt.lstat(rt.resolvePath(contextDir, "dockerfile")) !== undefined
    ) {
      path = rt.resolvePath(contextDir, "dockerfile");
    }
    if (rt.lstat(path) === undefined) {
      throw new UsageError(`failed to read Dockerfile: open ${path}: no such file or directory`);
    }
    const shown = path.startsWith(rt.cwd() + "/") ? path.slice(rt.cwd().length + 1) : path;
    dockerfile = { name: shown, path, data: await rt.readFile(path) };
  }
  const excludePatterns = await readDockerignore(contextDir, dockerfile.path, rt);
  const host = rt.hostPlatform();
  const buildPlatform = parsePlatform(
    `${host.os}/${host.architecture}${host.variant ? `/${host.variant}` : ""}`,
  );
  let targetPlatforms: Platform[];
  try {
    targetPlatforms = opts.platforms.map((p) => parsePlatform(p));
  } catch (err) {
    throw new UsageError(`invalid --platform: ${err instanceof Error ? err.message : err}`);
  }
  return { dockerfile, contextDir, excludePatterns, buildPlatform, targetPlatforms };
}

/** Opens the store named by `--cache-dir`, `$BUILDKIT_CACHE_DIR` or the user's cache directory. */
export function openBuildStore(cacheDir: string | undefined, rt: Runtime): Store {
  const root = resolveStoreRoot({
    ...(cacheDir !== undefined ? { explicit: cacheDir } : {}),
    env: rt.envAll(),
    home: rt.homeDir(),
    cwd: rt.cwd(),
  });
  return openStore(root, { onWarning: (m) => rt.writeStderr(`WARNING: ${m}\n`) });
}

/** Runs `fn`; a Dockerfile error it throws gets the file name and source for its code frame. */
export async function withDockerfile<T>(
  dockerfile: DockerfileInput,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DockerfileError) {
      err.file ??= dockerfile.name;
      rememberSource(err, new TextDecoder().decode(dockerfile.data));
    }
    throw err;
  }
}

/** The result of planning a build: the graph, the image config, and where they came from. */
export interface BuildPlan extends ConvertResult {
  dockerfileName: string;
}

/**
 * Plans a build without running it (`buildkit debug llb`): base images are resolved
 * from the local image store and `oci-layout://` contexts.
 */
export async function planBuild(opts: BuildOptions, rt: Runtime): Promise<BuildPlan> {
  const p = await prepareBuild(opts, rt);
  const store = openBuildStore(opts.cacheDir, rt);
  const resolver = createImageResolver({ store, namedContexts: opts.buildContexts, cwd: rt.cwd() });
  const result = await withDockerfile(
    p.dockerfile,
    () =>
      dockerfileToLlb({ dockerfile: p.dockerfile.data, file: p.dockerfile.name }, {
        buildArgs: opts.buildArgs,
        ...(opts.target !== undefined ? { target: opts.target } : {}),
        ...(p.targetPlatforms.length > 0 ? { targetPlatforms: p.targetPlatforms } : {}),
        buildPlatform: p.buildPlatform,
        labels: opts.labels,
        namedContexts: opts.buildContexts,
        excludePatterns: p.excludePatterns,
        resolver,
        ...(opts.noCache
          ? { noCache: true as const }
          : opts.noCacheFilter.length > 0
          ? { noCache: opts.noCacheFilter }
          : {}),
      }),
  );
  return { ...result, dockerfileName: p.dockerfile.name };
}

async function readDockerignore(
  contextDir: string,
  dockerfilePath: string | undefined,
  rt: Runtime,
): Promise<string[]> {
  // `<Dockerfile>.dockerignore` next to the Dockerfile wins over the context's `.dockerignore`.
  const candidates = [
    ...(dockerfilePath ? [`${dockerfilePath}.dockerignore`] : []),
    rt.resolvePath(contextDir, ".dockerignore"),
  ];
  for (const path of candidates) {
    if (rt.lstat(path)?.isFile) return readIgnoreFile(await rt.readTextFile(path));
  }
  return [];
}
