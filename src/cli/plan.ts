// Copyright 2026 the buildkit-ts authors. MIT license.

import type { Runtime } from "../runtime/mod.ts";
import { DockerfileError, readIgnoreFile } from "../dockerfile/mod.ts";
import { dockerfileToLlb } from "../frontend/mod.ts";
import type { ConvertResult, ImageResolver } from "../frontend/mod.ts";
import { parsePlatform } from "../oci/mod.ts";
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

/** The result of planning a build: the graph, the image config, and where they came from. */
export interface BuildPlan extends ConvertResult {
  dockerfileName: string;
}

/**
 * Reads the Dockerfile and .dockerignore of a build and runs the frontend. Base image
 * configs are not resolved yet (no image store or registry): the resolver reports none,
 * and stages on unknown images start from an empty config.
 */
export async function planBuild(opts: BuildOptions, rt: Runtime): Promise<BuildPlan> {
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
    dockerfile = { name: path, path, data: await rt.readFile(path) };
  }
  const excludePatterns = await readDockerignore(contextDir, dockerfile.path, rt);
  const host = rt.hostPlatform();
  const buildPlatform = parsePlatform(
    `${host.os}/${host.architecture}${host.variant ? `/${host.variant}` : ""}`,
  );
  const targetPlatforms = opts.platforms.map((p) => parsePlatform(p));
  const resolver: ImageResolver = {
    resolveImageConfig: (ref) => Promise.resolve({ ref, config: undefined }),
  };
  try {
    const result = await dockerfileToLlb({ dockerfile: dockerfile.data, file: dockerfile.name }, {
      buildArgs: opts.buildArgs,
      ...(opts.target !== undefined ? { target: opts.target } : {}),
      ...(targetPlatforms.length > 0 ? { targetPlatforms } : {}),
      buildPlatform,
      labels: opts.labels,
      namedContexts: opts.buildContexts,
      excludePatterns,
      resolver,
      ...(opts.noCache
        ? { noCache: true as const }
        : opts.noCacheFilter.length > 0
        ? { noCache: opts.noCacheFilter }
        : {}),
    });
    return { ...result, dockerfileName: dockerfile.name };
  } catch (err) {
    if (err instanceof DockerfileError) {
      err.file ??= dockerfile.name;
      rememberSource(err, new TextDecoder().decode(dockerfile.data));
    }
    throw err;
  }
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
