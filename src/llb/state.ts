// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * `State`: an immutable handle on one output of the build graph plus the
 * settings (env, working dir, user, platform…) that later ops inherit.
 *
 * @module
 */

import { resolvePath } from "./_path.ts";
import type { Output } from "./_vertex.ts";
import { APPLY_FILE_ACTION } from "./_symbols.ts";
import { buildExec, type ExecMountInput } from "./exec.ts";
import type { FileAction } from "./file_action.ts";
import type {
  CacheOpt,
  HostIp,
  MountType,
  NetworkMode,
  Platform,
  ProxyEnv,
  SecretEnv,
  SecretOpt,
  SecurityMode,
  SshOpt,
  TmpfsOpt,
} from "./types.ts";
import type { OpOptions } from "./_vertex.ts";

/** The settings a state carries for the ops built on top of it. */
export interface StateMeta {
  /** Environment in order; keys are unique. */
  readonly env: readonly (readonly [string, string])[];
  /** Working directory (absolute). */
  readonly dir: string;
  readonly user: string | undefined;
  readonly platform: Platform | undefined;
  readonly hostname: string | undefined;
  readonly network: NetworkMode | undefined;
  readonly security: SecurityMode | undefined;
  readonly extraHosts: readonly HostIp[];
}

/** The settings of a fresh state: empty env, dir `/`, nothing else. */
export const DEFAULT_META: StateMeta = {
  env: [],
  dir: "/",
  user: undefined,
  platform: undefined,
  hostname: undefined,
  network: undefined,
  security: undefined,
  extraHosts: [],
};

/** One mount of {@linkcode State.run}. */
export interface MountSpec {
  /** Mount point; relative paths resolve against the exec's working directory. */
  dest: string;
  /** What to mount (bind and cache mounts). Default scratch: an empty directory. */
  source?: State;
  /** Sub-path of the source to mount. */
  selector?: string;
  /** Default false. */
  readonly?: boolean;
  /** Default `bind`. */
  type?: MountType;
  /** Required for `cache` mounts. */
  cache?: CacheOpt;
  /** For `tmpfs` mounts. */
  tmpfs?: TmpfsOpt;
  /** Required for `secret` mounts. */
  secret?: SecretOpt;
  /** For `ssh` mounts. */
  ssh?: SshOpt;
  /**
   * Whether a read-write bind mount yields an output ({@linkcode ExecState.getMount}).
   * Default true; ignored (always false) for other mounts.
   */
  output?: boolean;
}

/** Options of {@linkcode State.run}. */
export interface RunOptions extends OpOptions {
  /** argv, at least one element. */
  args: string[];
  /** Extra mounts besides the root (`/`, which is the state itself). */
  mounts?: MountSpec[];
  /** Default: the state's network. */
  network?: NetworkMode;
  /** Default: the state's security mode. */
  security?: SecurityMode;
  /** Variables added to (or replacing in) the state's env for this exec only. */
  env?: Record<string, string> | [string, string][];
  /** Default: the state's dir. */
  cwd?: string;
  /** Default: the state's user. */
  user?: string;
  /** Default: the state's hostname. */
  hostname?: string;
  /** Proxy variables (given to the process, stripped from cache keys by the solver). */
  proxyEnv?: ProxyEnv;
  /** Exit codes counted as success; default only 0. */
  validExitCodes?: number[];
  /** `/etc/hosts` entries added to the state's. */
  extraHosts?: HostIp[];
  /** Secrets exposed as environment variables. */
  secretEnv?: SecretEnv[];
}

let createState: (output: Output | undefined, meta: StateMeta) => State;
let readOutput: (state: State) => Output | undefined;
let readMeta: (state: State) => StateMeta;

/**
 * An immutable view of one output of the build graph (or of scratch, the empty
 * filesystem) plus the settings later ops inherit. Every method returns a new value.
 * Create states with `scratch()`, `image()`, `local()`, `git()`, `http()`, `ociLayout()`.
 *
 * @example
 * ```ts
 * import { image } from "./mod.ts";
 * const base = image("alpine:3.20").withEnv("A", "1").withDir("/app");
 * const next = base.withDir("src");
 * console.assert(base.getDir() === "/app" && next.getDir() === "/app/src");
 * console.assert(next.getEnvValue("A") === "1");
 * ```
 */
export class State {
  #output: Output | undefined;
  #meta: StateMeta;

  static {
    createState = (output, meta) => new State(output, meta);
    readOutput = (state) => state.#output;
    readMeta = (state) => state.#meta;
  }

  /** Use the source functions (`scratch()`, `image()`, …) instead. */
  protected constructor(output: Output | undefined, meta: StateMeta) {
    this.#output = output;
    this.#meta = meta;
  }

  #with(patch: Partial<StateMeta>): State {
    return createState(this.#output, { ...this.#meta, ...patch });
  }

  /** True for scratch (no vertex: the empty filesystem). */
  isScratch(): boolean {
    return this.#output === undefined;
  }

  /** Sets (or replaces, keeping its position) an environment variable. */
  withEnv(key: string, value: string): State {
    if (key === "" || key.includes("=")) {
      throw new TypeError(`Invalid environment variable name "${key}"`);
    }
    return this.#with({ env: setEnv(this.#meta.env, key, value) });
  }

  /** Removes an environment variable. */
  withoutEnv(key: string): State {
    return this.#with({ env: this.#meta.env.filter(([k]) => k !== key) });
  }

  /** The environment in order, as `[key, value]` pairs. */
  getEnv(): [string, string][] {
    return this.#meta.env.map(([k, v]) => [k, v]);
  }

  /** One environment variable's value, or `undefined`. */
  getEnvValue(key: string): string | undefined {
    return this.#meta.env.find(([k]) => k === key)?.[1];
  }

  /** Sets the working directory; a relative path resolves against the current one. */
  withDir(dir: string): State {
    return this.#with({ dir: resolvePath(this.#meta.dir, dir) });
  }

  /** The working directory. */
  getDir(): string {
    return this.#meta.dir;
  }

  /** Sets the user for later execs (`name`, `uid`, `uid:gid`). */
  withUser(user: string): State {
    return this.#with({ user });
  }

  /** The user, or `undefined` for the default. */
  getUser(): string | undefined {
    return this.#meta.user;
  }

  /** Sets the platform of later ops. */
  withPlatform(platform: Platform): State {
    return this.#with({ platform: { ...platform } });
  }

  /** The platform, or `undefined` for the marshal default. */
  getPlatform(): Platform | undefined {
    return this.#meta.platform;
  }

  /** Sets the hostname of later execs. */
  withHostname(hostname: string): State {
    return this.#with({ hostname });
  }

  /** The hostname, or `undefined`. */
  getHostname(): string | undefined {
    return this.#meta.hostname;
  }

  /** Sets the network mode of later execs. */
  withNetwork(network: NetworkMode): State {
    return this.#with({ network });
  }

  /** The network mode, or `undefined` (unset). */
  getNetwork(): NetworkMode | undefined {
    return this.#meta.network;
  }

  /** Sets the security mode of later execs. */
  withSecurity(security: SecurityMode): State {
    return this.#with({ security });
  }

  /** The security mode, or `undefined` (sandbox). */
  getSecurity(): SecurityMode | undefined {
    return this.#meta.security;
  }

  /** Adds an `/etc/hosts` entry for later execs. */
  withExtraHost(host: string, ip: string): State {
    return this.#with({ extraHosts: [...this.#meta.extraHosts, { host, ip }] });
  }

  /** The extra `/etc/hosts` entries. */
  getExtraHosts(): HostIp[] {
    return this.#meta.extraHosts.map((h) => ({ ...h }));
  }

  /**
   * Runs a process with this state as its root filesystem. The returned
   * {@linkcode ExecState} is the root after the run; `getMount(dest)` gives the
   * output of a read-write bind mount.
   */
  run(options: RunOptions): ExecState {
    const meta = this.#meta;
    let env = meta.env;
    const extra = options.env === undefined
      ? []
      : Array.isArray(options.env)
      ? options.env
      : Object.entries(options.env);
    for (const [k, v] of extra) env = setEnv(env, k, v);
    const cwd = options.cwd === undefined ? meta.dir : resolvePath(meta.dir, options.cwd);
    const mounts: ExecMountInput[] = (options.mounts ?? []).map((m) => {
      const mount: ExecMountInput = {
        dest: resolvePath(cwd, m.dest),
        source: m.source === undefined ? undefined : readOutput(m.source),
        type: m.type ?? "bind",
        readonly: m.readonly ?? false,
        output: m.output ?? true,
      };
      if (m.selector !== undefined) mount.selector = m.selector;
      if (m.cache !== undefined) mount.cache = m.cache;
      if (m.tmpfs !== undefined) mount.tmpfs = m.tmpfs;
      if (m.secret !== undefined) mount.secret = m.secret;
      if (m.ssh !== undefined) mount.ssh = m.ssh;
      return mount;
    });
    const user = options.user ?? meta.user;
    const hostname = options.hostname ?? meta.hostname;
    const network = options.network ?? meta.network;
    const security = options.security ?? meta.security;
    const { vertex, mountOutputs } = buildExec({
      root: this.#output,
      platform: meta.platform,
      args: options.args,
      env: env.map(([k, v]) => `${k}=${v}`),
      cwd,
      ...(user !== undefined ? { user } : {}),
      ...(hostname !== undefined ? { hostname } : {}),
      ...(network !== undefined ? { network } : {}),
      ...(security !== undefined ? { security } : {}),
      ...(options.proxyEnv !== undefined ? { proxyEnv: options.proxyEnv } : {}),
      ...(options.validExitCodes !== undefined ? { validExitCodes: options.validExitCodes } : {}),
      extraHosts: [...meta.extraHosts, ...(options.extraHosts ?? [])],
      secretEnv: options.secretEnv ?? [],
      mounts,
    }, options);
    return createExecState({ vertex, index: 0 }, meta, { mounts: mountOutputs, cwd });
  }

  /**
   * Applies a chain of file actions (see `mkdir()`, `mkfile()`, `rm()`,
   * `symlink()`, `copy()`) to this state. Relative paths resolve against the
   * state's working directory.
   */
  file(action: FileAction, options: OpOptions = {}): State {
    const output = action[APPLY_FILE_ACTION](this.#output, this.#meta, options);
    return createState(output, this.#meta);
  }
}

interface ExecInfo {
  mounts: ReadonlyMap<string, Output | undefined>;
  cwd: string;
}

let createExecState: (output: Output, meta: StateMeta, info: ExecInfo) => ExecState;

/**
 * The result of {@linkcode State.run}: itself the root filesystem after the
 * run, with access to the outputs of its read-write bind mounts.
 *
 * @example
 * ```ts
 * import { image, marshal, scratch } from "./mod.ts";
 * const exec = image("alpine").run({
 *   args: ["sh", "-c", "echo hi > /out/hi"],
 *   mounts: [{ dest: "/out", source: scratch() }],
 * });
 * const def = marshal(exec.getMount("/out"));
 * console.assert(def.ops.at(-1)!.op.inputs![0]!.index === 1);
 * ```
 */
export class ExecState extends State {
  #info: ExecInfo;
  #root: Output;

  static {
    createExecState = (output, meta, info) => new ExecState(output, meta, info);
  }

  private constructor(output: Output, meta: StateMeta, info: ExecInfo) {
    super(output, meta);
    this.#root = output;
    this.#info = info;
  }

  /** The root filesystem after the run, as a plain state. */
  root(): State {
    return createState(this.#root, readMeta(this));
  }

  /**
   * The output of the read-write bind mount at `dest` (absolute, or relative to
   * the exec's working directory as given to `run`).
   *
   * @throws {TypeError} when there is no such mount or it has no output.
   */
  getMount(dest: string): State {
    const key = resolvePath(this.#info.cwd, dest);
    if (!this.#info.mounts.has(key)) throw new TypeError(`No mount at "${key}"`);
    const output = this.#info.mounts.get(key);
    if (output === undefined) {
      throw new TypeError(
        `Mount at "${key}" has no output (readonly, non-bind, or output: false)`,
      );
    }
    return createState(output, mountMeta(readMeta(this)));
  }
}

/** Mount outputs keep the exec's platform but nothing else. */
function mountMeta(meta: StateMeta): StateMeta {
  return { ...DEFAULT_META, platform: meta.platform };
}

function setEnv(
  env: readonly (readonly [string, string])[],
  key: string,
  value: string,
): (readonly [string, string])[] {
  const i = env.findIndex(([k]) => k === key);
  if (i < 0) return [...env, [key, value]];
  const out = [...env];
  out[i] = [key, value];
  return out;
}

/** Creates a state (internal to the llb folder). */
export function newState(output: Output | undefined, meta: StateMeta = DEFAULT_META): State {
  return createState(output, meta);
}

/** The output a state points at; `undefined` for scratch (internal to the llb folder). */
export function stateOutput(state: State): Output | undefined {
  return readOutput(state);
}

/** The settings of a state (internal to the llb folder). */
export function stateMeta(state: State): StateMeta {
  return readMeta(state);
}
