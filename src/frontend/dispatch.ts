// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Per-instruction dispatch: each stage command updates the stage's graph
 * state and image config and appends its history entry
 * (`dockerfile2llb/convert.go` `dispatch*`).
 *
 * @module
 */

import type { LineRange, StageCommand, WorkdirInstruction } from "./_deps.ts";
import type { SourceLocationInput, State } from "./_deps.ts";
import { mkdir, normalizePlatform, parsePlatform } from "./_deps.ts";
import type { Platform } from "./_deps.ts";
import { parsePortSpecs } from "./expose.ts";
import type { Command, DispatchState, DispatchStates } from "./dispatch_state.ts";
import type { EnvList } from "./env_list.ts";
import { type ExpandOptions, expandWord, expandWords } from "./expand.ts";
import { goList, goQuoteList } from "./go_format.ts";
import { healthcheckHistory, historyEntry } from "./history.ts";
import { addEnv, withShell } from "./image_config.ts";
import { normalizeWorkdir } from "./paths.ts";
import { prefixCommand, uppercaseCommand } from "./progress_name.ts";
import type { ConvertWarning } from "./options.ts";
import { formatPlatformAll } from "./platform_args.ts";
import { dispatchCopy } from "./copy.ts";
import { dispatchRun } from "./run.ts";

/** Conversion-wide values every dispatch function reads. */
export interface DispatchContext {
  escapeToken: string;
  /** Global args (automatic platform args + meta ARGs). */
  globalArgs: EnvList;
  /** `--build-arg` values. */
  buildArgs: Record<string, string>;
  /** Dockerfile name and text (for source locations). */
  file: string;
  text: string;
  /** SOURCE_DATE_EPOCH in unix seconds. */
  epoch: number | undefined;
  /** Prefix progress names with the platform. */
  multiPlatform: boolean;
  targetPlatform: Platform;
  /** The main build context source. */
  buildContext: State;
  cacheIdNamespace: string;
  warnings: ConvertWarning[];
  all: DispatchStates;
  /** Proxy variables from build args (`httpProxy`, …). */
  proxyEnv: Record<string, string> | undefined;
}

/** The source location option of an instruction. */
export function locationOf(ctx: DispatchContext, range: readonly LineRange[]): SourceLocationInput {
  return {
    file: { name: ctx.file, data: ctx.text, language: "Dockerfile" },
    ranges: range.map((r) => ({
      start: { line: r.start, character: 0 },
      end: { line: r.end, character: 0 },
    })),
  };
}

/** Expansion options with the context's escape token. */
export function lexOptions(
  ctx: DispatchContext,
  extra: Partial<ExpandOptions> = {},
): ExpandOptions {
  return { escapeToken: ctx.escapeToken, ...extra };
}

/** Expands a word with the stage env, recording the build args it used. */
export function expandIn(d: DispatchState, ctx: DispatchContext, word: string): string {
  const res = expandWord(word, d.env, lexOptions(ctx));
  for (const k of res.matched) if (d.buildArgs.some((a) => a.key === k)) d.usedArgs.add(k);
  return res.result;
}

/** The progress name of a step of `d` (increments the step counter). */
export function stepName(d: DispatchState, ctx: DispatchContext, text: string): string {
  const opts: { stageName: string; platform?: string; onBuild?: boolean } = {
    stageName: d.stageName,
    onBuild: d.cmdIsOnBuild,
  };
  if (ctx.multiPlatform && d.platform !== undefined) {
    opts.platform = formatPlatformAll(d.platform) + crossTarget(d.platform, d.env);
  }
  return prefixCommand(d.counter, text, opts);
}

/** `->arm64` when the stage's TARGET* args name another platform (cross builds). */
function crossTarget(base: Platform, env: EnvList): string {
  let target: Platform | undefined;
  const tp = env.get("TARGETPLATFORM");
  if (tp !== undefined) {
    try {
      target = parsePlatform(tp);
    } catch {
      target = undefined;
    }
  }
  if (target === undefined) {
    const os = env.get("TARGETOS");
    const arch = env.get("TARGETARCH");
    const variant = env.get("TARGETVARIANT");
    if (os === undefined && arch === undefined && variant === undefined) return "";
    target = { os: os || base.os, architecture: arch || base.architecture };
    if (variant) target.variant = variant;
  }
  const p = normalizePlatform(target);
  if (p.os === base.os && p.architecture !== base.architecture) {
    return "->" + p.architecture + (p.variant ? "/" + p.variant : "");
  }
  if (p.os !== base.os) return "->" + formatPlatformAll(p);
  return "";
}

/** The command text shown in progress: expanded with the env, keyword upper-cased. */
export function displayText(
  d: DispatchState,
  ctx: DispatchContext,
  original: string,
  extra: Partial<ExpandOptions> = {},
  env: EnvList = d.env,
): string {
  let text = original.trim();
  try {
    text = expandWord(text, env, lexOptions(ctx, extra)).result;
  } catch {
    // BuildKit shows the raw text when it cannot be expanded.
  }
  return uppercaseCommand(text);
}

/** Appends a history entry to the stage image. */
export function commit(
  d: DispatchState,
  ctx: DispatchContext,
  text: string,
  options: { layer: boolean; buildkitSuffix?: boolean },
): void {
  const created = ctx.epoch === undefined ? undefined : new Date(ctx.epoch * 1000).toISOString()
    .replace(".000Z", "Z");
  d.image.history = [
    ...(d.image.history ?? []),
    historyEntry(text, { ...options, ...(created !== undefined ? { created } : {}) }),
  ];
}

/** Dispatches one stage command. */
export function dispatchCommand(d: DispatchState, cmd: Command, ctx: DispatchContext): void {
  d.cmdIsOnBuild = cmd.isOnBuild;
  const c = cmd.cmd;
  switch (c.kind) {
    case "env":
      return dispatchEnv(d, c, ctx);
    case "run":
      return dispatchRun(d, c, cmd, ctx);
    case "workdir":
      return dispatchWorkdir(d, { ...c, path: expandIn(d, ctx, c.path) }, true, ctx);
    case "add":
    case "copy":
      return dispatchCopy(d, c, cmd, ctx);
    case "label":
      return dispatchLabel(d, c, ctx);
    case "onbuild":
      d.image.config = {
        ...d.image.config,
        OnBuild: [...(d.image.config?.OnBuild ?? []), c.expression],
      };
      return;
    case "cmd": {
      const args = c.prependShell ? withShell(d.image, c.cmdLine) : [...c.cmdLine];
      const cfg = (d.image.config ??= {});
      cfg.Cmd = args;
      cfg.ArgsEscaped = true;
      d.cmdSet = true;
      if (c.prependShell && !(d.image.config.Shell?.length)) warnJsonArgs(ctx, "CMD", c.range);
      return commit(d, ctx, `CMD ${goQuoteList(args)}`, { layer: false });
    }
    case "entrypoint": {
      const args = c.prependShell ? withShell(d.image, c.cmdLine) : [...c.cmdLine];
      const cfg = (d.image.config ??= {});
      if (args.length === 0) delete cfg.Entrypoint;
      else cfg.Entrypoint = args;
      if (!d.cmdSet) delete cfg.Cmd;
      if (c.prependShell && !(cfg.Shell?.length)) warnJsonArgs(ctx, "ENTRYPOINT", c.range);
      return commit(d, ctx, `ENTRYPOINT ${goQuoteList(args)}`, { layer: false });
    }
    case "healthcheck": {
      const h = c.health;
      const cfg = (d.image.config ??= {});
      const hc: NonNullable<typeof cfg.Healthcheck> = {};
      if (h.test.length > 0) hc.Test = [...h.test];
      if (h.interval) hc.Interval = h.interval;
      if (h.timeout) hc.Timeout = h.timeout;
      if (h.startPeriod) hc.StartPeriod = h.startPeriod;
      if (h.startInterval) hc.StartInterval = h.startInterval;
      if (h.retries) hc.Retries = h.retries;
      cfg.Healthcheck = hc;
      return commit(d, ctx, healthcheckHistory(h), { layer: false });
    }
    case "expose": {
      const ports: string[] = [];
      for (const p of c.ports) ports.push(...expandWords(p, d.env, lexOptions(ctx)));
      const { ports: parsed, warnings } = parsePortSpecs(ports);
      for (const w of warnings) {
        ctx.warnings.push({
          rule: w.rule,
          message: w.rule === "ExposeProtoCasing"
            ? `Defined protocol '${w.spec}' in EXPOSE instruction should be lowercase`
            : `EXPOSE instruction should not define an IP address or host-port mapping, found '${w.spec}'`,
          range: c.range,
        });
      }
      const cfg = (d.image.config ??= {});
      const exposed = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of parsed) exposed[p] = {};
      cfg.ExposedPorts = exposed;
      return commit(d, ctx, `EXPOSE ${goList(parsed)}`, { layer: false });
    }
    case "user":
      return dispatchUser(d, expandIn(d, ctx, c.user), true, ctx);
    case "volume": {
      const vols = c.volumes.map((v) => expandIn(d, ctx, v));
      const cfg = (d.image.config ??= {});
      const volumes = { ...(cfg.Volumes ?? {}) };
      for (const v of vols) {
        if (v === "") throw new Error("VOLUME specified can not be an empty string");
        volumes[v] = {};
      }
      cfg.Volumes = volumes;
      return commit(d, ctx, `VOLUME ${goList(vols)}`, { layer: false });
    }
    case "stopsignal": {
      const sig = expandIn(d, ctx, c.signal);
      validateSignal(sig);
      (d.image.config ??= {}).StopSignal = sig;
      return commit(d, ctx, `STOPSIGNAL ${sig}`, { layer: false });
    }
    case "shell":
      (d.image.config ??= {}).Shell = [...c.shell];
      return commit(d, ctx, `SHELL ${goList(c.shell)}`, { layer: false });
    case "maintainer":
      d.image.author = c.maintainer;
      return commit(d, ctx, `MAINTAINER ${c.maintainer}`, { layer: false });
    case "arg":
      return dispatchArg(d, c, ctx);
  }
}

function warnJsonArgs(ctx: DispatchContext, name: string, range: LineRange[]): void {
  ctx.warnings.push({
    rule: "JSONArgsRecommended",
    message:
      `JSON arguments recommended for ${name} to prevent unintended behavior related to OS signals`,
    range,
  });
}

const SIGNALS = new Set([
  "ABRT",
  "ALRM",
  "BUS",
  "CHLD",
  "CLD",
  "CONT",
  "FPE",
  "HUP",
  "ILL",
  "INT",
  "IO",
  "IOT",
  "KILL",
  "PIPE",
  "POLL",
  "PROF",
  "PWR",
  "QUIT",
  "SEGV",
  "STKFLT",
  "STOP",
  "SYS",
  "TERM",
  "TRAP",
  "TSTP",
  "TTIN",
  "TTOU",
  "URG",
  "USR1",
  "USR2",
  "VTALRM",
  "WINCH",
  "XCPU",
  "XFSZ",
  "UNUSED",
]);

/** Validates a STOPSIGNAL value like moby's `signal.ParseSignal`. */
function validateSignal(sig: string): void {
  if (/^[0-9]+$/.test(sig)) {
    if (Number(sig) === 0) throw new Error(`invalid signal: ${sig}`);
    return;
  }
  let name = sig.toUpperCase();
  if (name.startsWith("SIG")) name = name.slice(3);
  if (SIGNALS.has(name)) return;
  const rt = /^RTMIN(\+([0-9]+))?$|^RTMAX(-([0-9]+))?$/.exec(name);
  if (rt) return;
  throw new Error(`invalid signal: ${sig}`);
}

function dispatchEnv(
  d: DispatchState,
  c: Extract<StageCommand, { kind: "env" }>,
  ctx: DispatchContext,
): void {
  // Every pair is expanded with the environment from before the instruction.
  const pairs = c.env.map((e) => ({
    key: expandIn(d, ctx, e.key),
    value: expandIn(d, ctx, e.value),
  }));
  let msg = "ENV";
  for (const e of pairs) {
    msg += ` ${e.key}=${e.value}`;
    d.state = d.state.withEnv(e.key, e.value);
    d.env = d.env.set(e.key, e.value);
    const cfg = (d.image.config ??= {});
    cfg.Env = addEnv(cfg.Env ?? undefined, e.key, e.value);
  }
  commit(d, ctx, msg, { layer: false });
}

function dispatchLabel(
  d: DispatchState,
  c: Extract<StageCommand, { kind: "label" }>,
  ctx: DispatchContext,
): void {
  const pairs = c.noExpand
    ? c.labels.map((l) => ({ key: l.key, value: l.value }))
    : c.labels.map((l) => ({ key: expandIn(d, ctx, l.key), value: expandIn(d, ctx, l.value) }));
  let msg = "LABEL";
  const cfg = (d.image.config ??= {});
  const labels = { ...(cfg.Labels ?? {}) };
  for (const l of pairs) {
    if (l.key === "") throw new Error("LABEL names can not be blank");
    labels[l.key] = l.value;
    msg += ` ${l.key}=${l.value}`;
  }
  cfg.Labels = labels;
  commit(d, ctx, msg, { layer: false });
}

/** `USER`: sets the state user and the config User. */
export function dispatchUser(
  d: DispatchState,
  user: string,
  commitIt: boolean,
  ctx: DispatchContext,
): void {
  d.state = d.state.withUser(user);
  (d.image.config ??= {}).User = user;
  if (commitIt) commit(d, ctx, `USER ${user}`, { layer: false });
}

/**
 * `WORKDIR`: normalizes against the previous directory; when committed and not
 * `/`, creates it with `mkdir -p` owned by the current USER (a layer).
 */
export function dispatchWorkdir(
  d: DispatchState,
  c: WorkdirInstruction,
  commitIt: boolean,
  ctx: DispatchContext,
): void {
  if (commitIt) {
    if (!d.workdirSet && !c.path.startsWith("/")) {
      ctx.warnings.push({
        rule: "WorkdirRelativePath",
        message:
          `Relative workdir "${c.path}" can have unexpected results if the base image changes`,
        range: c.range,
      });
    }
    d.workdirSet = true;
  }
  const cfg = (d.image.config ??= {});
  const wd = normalizeWorkdir(cfg.WorkingDir ?? "", c.path);
  cfg.WorkingDir = wd;
  d.state = d.state.withDir(wd);
  d.dir = wd;
  if (!commitIt) return;
  let layer = false;
  if (wd !== "/") {
    const name = stepName(d, ctx, displayText(d, ctx, c.original));
    const user = cfg.User ?? "";
    d.state = d.state.file(
      mkdir(wd, 0o755, {
        makeParents: true,
        ...(user !== "" ? { owner: user } : {}),
        ...(ctx.epoch !== undefined ? { timestamp: ctx.epoch } : {}),
      }),
      {
        customName: name,
        description: { "com.docker.dockerfile.v1.command": c.original.trim() },
        sourceLocation: locationOf(ctx, c.range),
        ...(d.ignoreCache ? { ignoreCache: true } : {}),
      },
    );
    layer = true;
  }
  commit(d, ctx, `WORKDIR ${wd}`, { layer });
}

const NON_ENV_ARGS = new Set(["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"]);

function dispatchArg(
  d: DispatchState,
  c: Extract<StageCommand, { kind: "arg" }>,
  ctx: DispatchContext,
): void {
  const parts: string[] = [];
  for (const arg of c.args) {
    const hasValue = Object.hasOwn(ctx.buildArgs, arg.key);
    let value: string | undefined = arg.value;
    let hasDefault = value !== undefined;
    if (!hasDefault && !hasValue) {
      const g = ctx.globalArgs.get(arg.key);
      if (g !== undefined) {
        value = g;
        hasDefault = false;
      }
    }
    if (hasValue) {
      value = ctx.buildArgs[arg.key];
    } else if (hasDefault) {
      value = expandWord(value!, d.env, lexOptions(ctx)).result;
    }
    if (value !== undefined && !NON_ENV_ARGS.has(arg.key)) {
      d.state = d.state.withEnv(arg.key, value);
      d.env = d.env.set(arg.key, value);
    }
    d.usedArgs.add(arg.key);
    d.buildArgs.push(value !== undefined ? { key: arg.key, value } : { key: arg.key });
    parts.push(value !== undefined ? `${arg.key}=${value}` : arg.key);
  }
  commit(d, ctx, "ARG " + parts.join(" "), { layer: false });
}
