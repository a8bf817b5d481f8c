// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The Dockerfile frontend: typed instructions → build graph + image config,
 * following BuildKit's `dockerfile2llb` (`convert.go`).
 *
 * @module
 */

import {
  DockerfileError,
  type LineRange,
  parseDockerfile,
  parseInstruction,
  parseMount,
  type ParseResult,
  parseStages,
  type Stage,
  type StageCommand,
} from "./_deps.ts";
import {
  git,
  http,
  image as imageSource,
  local,
  marshal,
  ociLayout,
  type Platform,
  scratch,
} from "./_deps.ts";
import { normalizeReference, parsePlatform } from "./_deps.ts";
import type { ImageConfig } from "./_deps.ts";
import {
  type Command,
  DispatchState,
  DispatchStates,
  reachableStages,
  validateCircularDependency,
} from "./dispatch_state.ts";
import { EnvList, splitKeyValue } from "./env_list.ts";
import { expandWord } from "./expand.ts";
import { cloneImage, DEFAULT_PATH_ENV, emptyImage } from "./image_config.ts";
import type {
  ConvertOptions,
  ConvertResult,
  ConvertWarning,
  ImageResolver,
  PlatformResult,
  ResolvedImage,
  StageInfo,
} from "./options.ts";
import { defaultArgs, formatPlatformAll } from "./platform_args.ts";
import { findNamedContext } from "./named_context.ts";
import {
  dispatchCommand,
  type DispatchContext,
  dispatchUser,
  dispatchWorkdir,
  locationOf,
} from "./dispatch.ts";
import { prefixCommand } from "./progress_name.ts";
import { joinPath } from "./paths.ts";
import { suggest, withSuggestion } from "../util/mod.ts";

/** Input of {@link dockerfileToLlb}. */
export interface ConvertInput {
  /** Dockerfile text or bytes (UTF-8). */
  dockerfile: string | Uint8Array;
  /** File name for errors and source maps. Default `Dockerfile`. */
  file?: string;
}

/**
 * Converts a Dockerfile to a build graph and image config for each target
 * platform. Pure: base images are looked up through `options.resolver`.
 *
 * @throws {DockerfileError} with BuildKit's messages and the lines concerned.
 *
 * @example
 * ```ts ignore
 * const res = await dockerfileToLlb({ dockerfile: "FROM scratch\nCOPY . /\n" }, {
 *   buildPlatform: { os: "linux", architecture: "amd64" },
 *   resolver: { resolveImageConfig: async (ref) => ({ ref, config: undefined }) },
 * });
 * res.definition.ops.length; // local source, file op, terminal
 * ```
 */
export async function dockerfileToLlb(
  input: ConvertInput,
  options: ConvertOptions,
): Promise<ConvertResult> {
  const text = typeof input.dockerfile === "string"
    ? input.dockerfile
    : new TextDecoder().decode(input.dockerfile);
  if (text.length === 0) throw new DockerfileError("the Dockerfile cannot be empty");
  const file = input.file ?? "Dockerfile";
  const parsed = parseDockerfile(text, { file });
  const resolver = memoizeResolver(options.resolver);
  const explicit = options.targetPlatforms !== undefined && options.targetPlatforms.length > 0;
  const targets = explicit ? options.targetPlatforms! : [options.buildPlatform];
  const multi = targets.length > 1 || options.multiPlatform === true;

  const results: PlatformResult[] = [];
  let warnings: ConvertWarning[] = [];
  let stages: StageInfo[] = [];
  const used = new Set<string>();
  for (const tp of targets) {
    const common = {
      parsed,
      text,
      file,
      options,
      resolver,
      targetPlatform: tp,
      implicitTarget: !explicit,
      multiPlatform: multi,
    };
    // First pass finds the build-context paths the stages read; the second
    // builds the graph with a context source restricted to them.
    let pass = await convertPass({ ...common, followPaths: undefined });
    if (pass.followPaths.length > 0) {
      pass = await convertPass({ ...common, followPaths: pass.followPaths });
    }
    results.push(pass.result);
    if (warnings.length === 0) warnings = pass.warnings;
    if (stages.length === 0) stages = pass.stages;
    for (const a of pass.usedArgs) used.add(a);
  }
  const first = results[0]!;
  const passed = Object.keys(options.buildArgs ?? {});
  return {
    ...first,
    platforms: results,
    warnings,
    buildArgs: {
      used: [...used].sort(),
      unused: passed.filter((a) => !used.has(a) && !isBuiltinArg(a)).sort(),
    },
    stages,
  };
}

const BUILTIN_ARGS = new Set([
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "FTP_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "SOURCE_DATE_EPOCH",
  "BUILDKIT_CACHE_MOUNT_NS",
  "BUILDKIT_CONTEXT_KEEP_GIT_DIR",
  "BUILDKIT_INLINE_CACHE",
  "BUILDKIT_MULTI_PLATFORM",
  "BUILDKIT_SANDBOX_HOSTNAME",
  "BUILDKIT_SYNTAX",
  "BUILDKIT_DOCKERFILE_CHECK",
  "BUILDKIT_BUILD_NAME",
]);

function isBuiltinArg(name: string): boolean {
  return BUILTIN_ARGS.has(name.toUpperCase()) || name.startsWith("BUILDKIT_SBOM_SCAN_");
}

function memoizeResolver(r: ImageResolver): ImageResolver {
  const cache = new Map<string, Promise<ResolvedImage>>();
  return {
    resolveImageConfig(ref, opts) {
      const key = JSON.stringify([ref, opts.platform, opts.resolveMode]);
      let p = cache.get(key);
      if (p === undefined) {
        p = r.resolveImageConfig(ref, opts);
        cache.set(key, p);
      }
      return p;
    },
  };
}

interface PassInput {
  parsed: ParseResult;
  text: string;
  file: string;
  options: ConvertOptions;
  resolver: ImageResolver;
  targetPlatform: Platform;
  implicitTarget: boolean;
  multiPlatform: boolean;
  followPaths: string[] | undefined;
}

interface PassOutput {
  result: PlatformResult;
  warnings: ConvertWarning[];
  stages: StageInfo[];
  usedArgs: Set<string>;
  followPaths: string[];
}

function withRange(err: unknown, range: LineRange[], file: string): DockerfileError {
  if (err instanceof DockerfileError) {
    if (err.range.length === 0 && range.length > 0) {
      const e = new DockerfileError(err.message, { range, file, cause: err.cause });
      return e;
    }
    if (err.file === undefined) err.file = file;
    return err;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new DockerfileError(msg, { range, file, cause: err });
}

async function convertPass(input: PassInput): Promise<PassOutput> {
  const { options, parsed, file } = input;
  const escapeToken = parsed.escapeToken;
  const buildArgs = options.buildArgs ?? {};
  const warnings: ConvertWarning[] = [];
  const { metaArgs, stages } = parseStages(parsed);
  if (stages.length === 0) throw new DockerfileError("dockerfile contains no stages to build");

  const targetName = options.target !== undefined && options.target !== ""
    ? options.target
    : stages[stages.length - 1]!.name ?? "";
  let globalArgs = defaultArgs({
    buildPlatform: options.buildPlatform,
    targetPlatform: input.targetPlatform,
    buildArgs,
    target: targetName,
  });

  // Global (meta) ARGs: evaluated in order; build args win over defaults.
  const usedArgs = new Set<string>();
  const declaredGlobal = new Set<string>();
  for (const cmd of metaArgs) {
    for (const kv of cmd.args) {
      declaredGlobal.add(kv.key);
      let value: string | undefined;
      if (Object.hasOwn(buildArgs, kv.key)) {
        value = buildArgs[kv.key];
      } else if (kv.value !== undefined) {
        try {
          value = expandWord(kv.value, globalArgs, { escapeToken }).result;
        } catch (e) {
          throw withRange(e, cmd.range, file);
        }
      }
      if (value !== undefined) globalArgs = globalArgs.set(kv.key, value);
    }
  }

  let epoch = options.epoch;
  const epochArg = Object.hasOwn(buildArgs, "SOURCE_DATE_EPOCH")
    ? buildArgs["SOURCE_DATE_EPOCH"]
    : globalArgs.get("SOURCE_DATE_EPOCH") || undefined;
  if (epoch === undefined && epochArg !== undefined && epochArg !== "") {
    if (!/^[0-9]+$/.test(epochArg)) {
      throw new DockerfileError(`invalid SOURCE_DATE_EPOCH: ${epochArg}`);
    }
    epoch = Number(epochArg);
  }

  const all = new DispatchStates();
  const ctx: DispatchContext = {
    escapeToken,
    globalArgs,
    buildArgs,
    file,
    text: input.text,
    epoch,
    multiPlatform: input.multiPlatform,
    targetPlatform: input.targetPlatform,
    buildContext: scratch(), // replaced below
    cacheIdNamespace: options.cacheIdNamespace ?? "",
    warnings,
    all,
    proxyEnv: proxyEnvFromBuildArgs(buildArgs),
  };
  ctx.buildContext = local(options.contextName ?? "context", {
    ...(options.excludePatterns && options.excludePatterns.length > 0
      ? { excludePatterns: options.excludePatterns }
      : {}),
    ...(input.followPaths && input.followPaths.length > 0
      ? { followPaths: input.followPaths }
      : {}),
    sharedKeyHint: options.contextName ?? "context",
    customName: "[internal] load build context",
  });

  // Build one dispatch state per stage.
  for (const [i, st] of stages.entries()) {
    let base: string;
    try {
      const m = expandWord(st.baseName, globalArgs, { escapeToken });
      for (const k of m.matched) usedArgs.add(k);
      base = m.result;
    } catch (e) {
      throw withRange(e, st.range, file);
    }
    if (base === "") {
      throw new DockerfileError(`base name (${st.baseName}) should not be blank`, {
        range: st.range,
        file,
      });
    }
    const ds = new DispatchState(st, base);
    if (st.platform !== undefined && st.platform !== "") {
      let pv: string;
      try {
        const m = expandWord(st.platform, globalArgs, { escapeToken });
        for (const k of m.matched) usedArgs.add(k);
        pv = m.result;
      } catch (e) {
        throw withRange(
          new Error(
            `failed to process arguments for platform ${st.platform}: ${(e as Error).message}`,
          ),
          st.range,
          file,
        );
      }
      if (pv === "") {
        throw new DockerfileError(`empty platform value from expression ${st.platform}`, {
          range: st.range,
          file,
        });
      }
      try {
        ds.platform = toLlbPlatform(parsePlatform(pv));
      } catch (e) {
        throw new DockerfileError(
          `failed to parse platform ${st.platform}: ${(e as Error).message}`,
          { range: st.range, file },
        );
      }
    }
    if (st.name !== undefined && st.name !== "") {
      const nc = findNamedContext(
        options.namedContexts,
        st.name,
        ds.platform ?? input.targetPlatform,
      );
      if (nc !== undefined) {
        ds.namedContext = nc;
        all.add(ds);
        ds.base = undefined;
        continue;
      }
    }
    if (st.name === undefined || st.name === "") ds.stageName = `stage-${i}`;
    all.add(ds);
    let total = ds.baseName !== "scratch" && ds.base === undefined ? 1 : 0;
    for (const c of st.commands) {
      if (c.kind === "add" || c.kind === "copy" || c.kind === "run" || c.kind === "workdir") {
        total++;
      }
    }
    ds.counter.total = total;
    ds.ignoreCache = options.noCache === true ||
      (Array.isArray(options.noCache) &&
        options.noCache.some((n) => n.toLowerCase() === (st.name ?? "").toLowerCase()));
  }

  // Target.
  let target: DispatchState;
  if (options.target === undefined || options.target === "") {
    target = all.last();
  } else {
    const t = all.findByName(options.target);
    if (t === undefined) {
      throw new DockerfileError(
        withSuggestion(
          `target stage "${options.target}" could not be found`,
          suggest(options.target, all.names()),
        ),
      );
    }
    target = t;
  }

  // Dependencies.
  for (const d of [...all.states]) {
    d.commands = [];
    for (const c of d.stage.commands) {
      const cmd = toCommand(c, all, escapeToken, file);
      d.commands.push(cmd);
      for (const src of cmd.sources) {
        if (src === undefined) continue;
        d.deps.set(src, c);
        if (src.unregistered && !all.states.includes(src)) all.add(src);
      }
    }
  }
  validateCircularDependency(all.states);
  if (all.states.length === 1) all.states[0]!.stageName = "";

  // Resolve reachable stages and their ONBUILD triggers until stable.
  let reachable: Set<DispatchState>;
  for (;;) {
    reachable = reachableStages(target);
    await resolveBases(all, reachable, input, ctx);
    let newDeps = false;
    for (const d of reachable) {
      initFromBase(d);
      const triggers = [...(d.image?.config?.OnBuild ?? [])];
      if (d.base !== undefined && !d.onBuildInit) {
        for (const c of d.base.commands) {
          if (c.cmd.kind === "onbuild") triggers.push(c.cmd.expression);
        }
        d.onBuildInit = true;
      }
      if (triggers.length > 0) {
        if (initOnBuildTriggers(d, triggers, all, escapeToken, file)) newDeps = true;
        if (d.image?.config) delete d.image.config.OnBuild;
      }
    }
    if (!newDeps) break;
  }

  // Dispatch.
  for (const d of all.states) {
    if (!reachable.has(d) || d.dispatched) continue;
    initFromBase(d);
    d.dispatched = true;
    if (d.platform === undefined) d.platform = input.targetPlatform;
    const cfg = (d.image.config ??= {});
    if (
      !(cfg.Env ?? []).some((e) => splitKeyValue(e)[0] === "PATH") && d.platform.os !== "windows"
    ) {
      cfg.Env = [...(cfg.Env ?? []), "PATH=" + DEFAULT_PATH_ENV];
    }
    for (const e of cfg.Env ?? []) {
      const [k, v] = splitKeyValue(e);
      d.state = d.state.withEnv(k, v);
      d.env = d.env.set(k, v);
    }
    if (cfg.WorkingDir) {
      try {
        dispatchWorkdir(
          d,
          { kind: "workdir", path: cfg.WorkingDir, range: [], original: "", comments: [] },
          false,
          ctx,
        );
      } catch (e) {
        throw withRange(e, d.range, file);
      }
    }
    if (cfg.User) dispatchUser(d, cfg.User, false, ctx);
    for (const cmd of d.commands) {
      try {
        dispatchCommand(d, cmd, ctx);
      } catch (e) {
        throw withRange(e, cmd.cmd.range, file);
      }
    }
    for (const a of d.usedArgs) usedArgs.add(a);
  }
  target.paths.add("/");

  // Finalize the target image.
  const img = target.image;
  if (options.labels && Object.keys(options.labels).length > 0) {
    const cfg = (img.config ??= {});
    cfg.Labels = { ...(cfg.Labels ?? {}), ...options.labels };
  }
  if (!input.implicitTarget) {
    const tp = input.targetPlatform;
    const sameOsArch = tp.os === img.os && tp.architecture === img.architecture;
    img.os = tp.os;
    img.architecture = tp.architecture;
    if (tp.variant || !sameOsArch) {
      if (tp.variant) img.variant = tp.variant;
      else delete img.variant;
    }
    if (tp.osVersion || !sameOsArch) {
      if (tp.osVersion) img["os.version"] = tp.osVersion;
      else delete img["os.version"];
    }
    if (tp.osFeatures && tp.osFeatures.length > 0) img["os.features"] = [...tp.osFeatures];
  }

  const ctxPaths = new Set<string>();
  for (const d of all.states) {
    if (!reachable.has(d)) continue;
    for (const p of d.ctxPaths) ctxPaths.add(p);
  }
  const followPaths = normalizeContextPaths(ctxPaths);
  const definition = marshal(target.state, { platform: input.targetPlatform });
  const stageInfo: StageInfo[] = stages.map((st, i) => {
    const d = all.states.find((s) => s.stage === st);
    const info: StageInfo = {
      name: st.name ?? `stage-${i}`,
      index: i,
      baseName: d?.baseName ?? st.baseName,
      reachable: d !== undefined && reachable.has(d),
    };
    if (st.platform !== undefined && d?.platform !== undefined) {
      info.platform = formatPlatformAll(d.platform);
    }
    return info;
  });
  const result: PlatformResult = {
    platform: input.targetPlatform,
    definition,
    state: target.state,
    image: img,
  };
  if (target.baseImage !== undefined) result.baseImage = target.baseImage;
  return { result, warnings, stages: stageInfo, usedArgs, followPaths };
}

function toLlbPlatform(p: Platform): Platform {
  const out: Platform = { os: p.os, architecture: p.architecture };
  if (p.variant) out.variant = p.variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  if (p.osFeatures && p.osFeatures.length > 0) out.osFeatures = [...p.osFeatures];
  return out;
}

/** BuildKit's `normalizeContextPaths`: none when `/` is used, else sorted relative paths. */
function normalizeContextPaths(paths: Set<string>): string[] {
  if (paths.size === 0 || paths.has("/")) return [];
  return [...paths].map((p) => joinPath(".", p)).sort();
}

function proxyEnvFromBuildArgs(args: Record<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const names: Record<string, string> = {
    http_proxy: "httpProxy",
    https_proxy: "httpsProxy",
    ftp_proxy: "ftpProxy",
    no_proxy: "noProxy",
    all_proxy: "allProxy",
  };
  let set = false;
  for (const k of Object.keys(args).sort()) {
    const field = names[k.toLowerCase()];
    if (field !== undefined) {
      out[field] = args[k]!;
      set = true;
    }
  }
  return set ? out : undefined;
}

/** Copies the base stage's results into a stage built FROM it (`dispatchState.init`). */
function initFromBase(d: DispatchState): void {
  if (d.base === undefined) return;
  const b = d.base;
  d.state = b.state;
  d.env = b.env;
  d.dir = b.dir;
  d.platform = b.platform;
  d.image = cloneImage(b.image);
  if (d.image.config) delete d.image.config.OnBuild;
  d.baseImage = b.baseImage === undefined ? undefined : cloneImage(b.baseImage);
  d.paths = b.paths;
  d.workdirSet = b.workdirSet;
  d.buildArgs = [...d.buildArgs.filter((a) => !b.buildArgs.includes(a)), ...b.buildArgs];
}

function newUnregistered(from: string, range: LineRange[]): DispatchState {
  const st: Stage = {
    baseName: from,
    original: "",
    range,
    comments: [],
    docComment: "",
    commands: [],
  };
  const ds = new DispatchState(st, from);
  ds.unregistered = true;
  return ds;
}

function toCommand(
  c: StageCommand,
  all: DispatchStates,
  escapeToken: string,
  file: string,
): Command {
  const cmd: Command = { cmd: c, sources: [], isOnBuild: false };
  if (c.kind === "copy" && c.from !== "") {
    let res: string;
    try {
      res = expandWord(c.from, EnvList.empty(), { escapeToken }).result;
    } catch (e) {
      throw withRange(e, c.range, file);
    }
    if (res !== c.from) {
      throw new DockerfileError(
        "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
        { range: c.range, file },
      );
    }
    let src: DispatchState | undefined;
    if (/^-?[0-9]+$/.test(c.from)) {
      try {
        src = all.findByIndex(Number(c.from));
      } catch (e) {
        throw withRange(e, c.range, file);
      }
    } else {
      src = all.findByName(c.from) ?? newUnregistered(c.from, c.range);
    }
    cmd.sources = [src];
  }
  if (c.kind === "run") {
    const mounts = c.mounts.map((m) => {
      try {
        return parseMount(m);
      } catch (e) {
        throw withRange(e, c.range, file);
      }
    });
    cmd.mounts = mounts;
    cmd.sources = mounts.map((m) => {
      const from = m.from === "" ? "scratch" : m.from;
      return all.findByName(from) ?? newUnregistered(from, c.range);
    });
  }
  return cmd;
}

function initOnBuildTriggers(
  d: DispatchState,
  triggers: string[],
  all: DispatchStates,
  escapeToken: string,
  file: string,
): boolean {
  let newDeps = false;
  const cmds: Command[] = [];
  for (const trigger of triggers) {
    let parsed: StageCommand;
    try {
      const res = parseDockerfile(trigger, { file });
      const nodes = res.ast.children;
      if (nodes.length !== 1) throw new Error("onbuild trigger should be a single expression");
      const node = {
        ...nodes[0]!,
        startLine: d.range[0]?.start ?? 0,
        endLine: d.range[d.range.length - 1]?.end ?? 0,
      };
      const ins = parseInstruction(node);
      if (ins.kind === "from") throw new Error("FROM isn't allowed as an ONBUILD trigger");
      parsed = ins;
    } catch (e) {
      throw withRange(e, d.range, file);
    }
    const cmd = toCommand(parsed, all, escapeToken, file);
    cmd.isOnBuild = true;
    if (cmd.sources.some((s) => s !== undefined) && parsed.kind === "copy") newDeps = true;
    if (parsed.kind === "run" && cmd.sources.some((s) => s !== undefined && !s.resolved)) {
      newDeps = true;
    }
    cmds.push(cmd);
    for (const src of cmd.sources) {
      if (src === undefined) continue;
      d.deps.set(src, parsed);
      if (src.unregistered && !all.states.includes(src)) all.add(src);
    }
  }
  d.commands = [...cmds, ...d.commands];
  d.counter.total += cmds.length;
  return newDeps;
}

async function resolveBases(
  all: DispatchStates,
  reachable: Set<DispatchState>,
  input: PassInput,
  ctx: DispatchContext,
): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (const d of all.states) {
    if (d.base !== undefined || d.dispatched || d.resolved) continue;
    const isReachable = reachable.has(d);
    d.resolved = isReachable;
    if (d.baseName === "scratch" && d.namedContext === undefined) {
      d.state = scratch();
      d.image = emptyImage(input.targetPlatform);
      d.platform = input.targetPlatform;
      if (d.unregistered) d.dispatched = true;
      continue;
    }
    if (!isReachable) continue;
    jobs.push(resolveBase(d, input, ctx));
  }
  await Promise.all(jobs);
}

async function resolveBase(
  d: DispatchState,
  input: PassInput,
  ctx: DispatchContext,
): Promise<void> {
  const { options, file } = input;
  try {
    const origName = d.baseName;
    let platform = d.platform ?? input.targetPlatform;
    const resolveMode = options.resolveMode ?? "default";

    // A stage replaced by a named context.
    if (d.namedContext !== undefined) {
      await loadNamedContext(d, d.namedContext, platform, ctx, input, true);
      d.dispatched = true;
      return;
    }
    let ref: string;
    try {
      ref = normalizeReference(d.baseName);
    } catch (e) {
      throw new Error(`failed to parse stage name "${d.baseName}": ${(e as Error).message}`);
    }
    d.baseName = ref;
    const nc = findNamedContext(options.namedContexts, origName, platform);
    if (nc !== undefined) {
      await loadNamedContext(d, nc, platform, ctx, input, false);
      d.platform = platform;
      return;
    }
    const res = await input.resolver.resolveImageConfig(ref, { platform, resolveMode });
    let img: ImageConfig;
    let isScratch = false;
    if (res.config !== undefined) {
      d.baseImage = cloneImage(res.config);
      img = cloneImage(res.config);
      delete img.created;
      if (d.platform === undefined && input.implicitTarget) {
        if (!(platform.os === img.os && platform.architecture === img.architecture)) {
          if (
            options.buildPlatform.os === img.os &&
            options.buildPlatform.architecture === img.architecture
          ) {
            platform = options.buildPlatform;
          }
        }
      }
      if ((img.rootfs?.diff_ids ?? []).length === 0) {
        isScratch = !(img.history ?? []).some((h) => !h.empty_layer);
      }
    } else {
      img = emptyImage(platform);
      img.config = {};
    }
    d.baseName = res.ref;
    d.image = img;
    if (isScratch) {
      d.state = scratch();
    } else {
      const name = prefixCommand(d.counter, "FROM " + d.baseName, {
        stageName: d.stageName,
        ...(input.multiPlatform ? { platform: formatPlatformAll(platform) } : {}),
      });
      d.state = imageSource(d.baseName, {
        platform,
        ...(resolveMode !== "default" ? { resolveMode } : {}),
        customName: name,
        description: { "com.docker.dockerfile.v1.command": d.stage.original.trim() },
        sourceLocation: locationOf(ctx, d.range),
      });
    }
    d.platform = platform;
  } catch (e) {
    throw withRange(e, d.range, file);
  } finally {
    if (d.unregistered) d.dispatched = true;
  }
}

/**
 * Starts a stage from a named context's image config (or an empty one): the config
 * without `created`, the base image kept for history unless the context replaces a
 * stage, the image's platform when asked, and its Env applied to the state as
 * BuildKit's WithImageConfig does.
 */
function applyContextImage(
  d: DispatchState,
  config: ImageConfig | undefined,
  platform: Platform,
  options: { replacesStage: boolean; takePlatform: boolean },
): void {
  if (config === undefined) {
    d.image = emptyImage(platform);
    return;
  }
  const img = cloneImage(config);
  delete img.created;
  d.image = img;
  if (!options.replacesStage) d.baseImage = cloneImage(config);
  if (options.takePlatform && options.replacesStage && img.os && img.architecture) {
    d.platform = { os: img.os, architecture: img.architecture };
    if (img.variant) d.platform.variant = img.variant;
  }
  for (const e of img.config?.Env ?? []) {
    const [k, v] = splitKeyValue(e);
    d.state = d.state.withEnv(k, v);
    d.env = d.env.set(k, v);
  }
}

async function loadNamedContext(
  d: DispatchState,
  nc: { name: string; context: import("./options.ts").NamedContext },
  platform: Platform,
  ctx: DispatchContext,
  input: PassInput,
  replacesStage: boolean,
): Promise<void> {
  const c = nc.context;
  const label = `[context ${nc.name}]`;
  switch (c.type) {
    case "docker-image": {
      if (c.ref === "scratch") {
        d.state = scratch();
        d.image = emptyImage(platform);
        return;
      }
      const ref = normalizeReference(c.ref);
      const res = await input.resolver.resolveImageConfig(ref, {
        platform,
        resolveMode: input.options.resolveMode ?? "default",
      });
      d.state = imageSource(res.ref, { platform, customName: `${label} ${c.ref}` });
      applyContextImage(d, res.config, platform, { replacesStage, takePlatform: true });
      return;
    }
    case "local":
      d.state = local(c.name, {
        ...(c.excludePatterns && c.excludePatterns.length > 0
          ? { excludePatterns: c.excludePatterns }
          : {}),
        sharedKeyHint: c.name,
        customName: `${label} load from client`,
      });
      d.image = emptyImage(platform);
      return;
    case "oci-layout": {
      // Ask the resolver for the config (and the digest when only a tag was given),
      // so that the stage starts from the image's Env, WorkingDir, Cmd, ….
      const wanted = `oci-layout://${c.store}${c.ref !== undefined ? `:${c.ref}` : ""}${
        c.digest !== undefined ? `@${c.digest}` : ""
      }`;
      const res = await input.resolver.resolveImageConfig(wanted, {
        platform,
        resolveMode: input.options.resolveMode ?? "default",
      });
      const pinned = /@(sha256:[0-9a-f]{64})$/.exec(res.ref)?.[1] ?? c.digest;
      if (pinned === undefined) {
        throw new Error(`oci-layout context "${nc.name}" could not be resolved to a digest`);
      }
      d.state = ociLayout(`${c.store}@${pinned}`, {
        platform,
        customName: `${label} OCI load from client`,
      });
      applyContextImage(d, res.config, platform, { replacesStage, takePlatform: false });
      return;
    }
    case "git":
    case "http":
    case "target": {
      if (c.type === "target") {
        const t = ctx.all.findByName(c.stage);
        if (t === undefined) throw new Error(`target stage "${c.stage}" could not be found`);
        d.base = t;
        return;
      }
      d.state = c.type === "git"
        ? git(c.url, { customName: `${label} ${c.url}` })
        : http(c.url, { filename: "context", customName: `${label} ${c.url}` });
      d.image = emptyImage(platform);
      return;
    }
  }
}
