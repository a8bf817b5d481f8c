// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Building the vertex of an exec op (used by `State.run`).
 *
 * @module
 */

import { makeVertex, type OpOptions, type Output, type Vertex } from "./_vertex.ts";
import type {
  CacheOpt,
  ExecMeta,
  ExecOp,
  HostIp,
  Mount,
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

/** The PATH an exec gets when its env has none (BuildKit's default for Unix). */
export const DEFAULT_PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A mount with its source already resolved to an output. */
export interface ExecMountInput {
  dest: string;
  source: Output | undefined;
  selector?: string;
  readonly: boolean;
  type: MountType;
  cache?: CacheOpt;
  tmpfs?: TmpfsOpt;
  secret?: SecretOpt;
  ssh?: SshOpt;
  output: boolean;
}

/** Everything an exec vertex is built from. */
export interface ExecParams {
  root: Output | undefined;
  platform: Platform | undefined;
  args: string[];
  env: string[];
  cwd: string;
  user?: string;
  hostname?: string;
  network?: NetworkMode;
  security?: SecurityMode;
  proxyEnv?: ProxyEnv;
  validExitCodes?: number[];
  extraHosts: HostIp[];
  secretEnv: SecretEnv[];
  mounts: ExecMountInput[];
}

/**
 * Builds an exec vertex. Output 0 is the root; each read-write bind mount with
 * `output` gets the next output index, in the order given. Mounts are written
 * sorted by destination, so that parents come before children and the digest
 * does not depend on the order they were listed in.
 */
export function buildExec(
  params: ExecParams,
  opts: OpOptions,
): { vertex: Vertex; mountOutputs: Map<string, Output | undefined> } {
  if (params.args.length === 0) throw new TypeError("run() needs at least one argument");
  const rawInputs: Output[] = [];
  const rawIndexOf = (o: Output | undefined): number => {
    if (o === undefined) return -1;
    rawInputs.push(o);
    return rawInputs.length - 1;
  };
  interface Planned {
    mount: ExecMountInput;
    raw: number;
    output: number;
  }
  const planned: Planned[] = [{
    mount: { dest: "/", source: params.root, readonly: false, type: "bind", output: true },
    raw: rawIndexOf(params.root),
    output: 0,
  }];
  const seen = new Set<string>(["/"]);
  let nextOutput = 1;
  const outputFor = new Map<string, number | undefined>();
  for (const m of params.mounts) {
    if (seen.has(m.dest)) {
      throw new TypeError(
        m.dest === "/"
          ? 'run() mounts the state itself at "/"; another mount at "/" is not allowed'
          : `run() has two mounts at "${m.dest}"`,
      );
    }
    seen.add(m.dest);
    checkMount(m);
    const source = m.type === "bind" || m.type === "cache" ? m.source : undefined;
    const hasOutput = m.type === "bind" && !m.readonly && m.output;
    const output = hasOutput ? nextOutput++ : -1;
    planned.push({ mount: m, raw: rawIndexOf(source), output });
    outputFor.set(m.dest, hasOutput ? output : undefined);
  }
  planned.sort((a, b) => (a.mount.dest < b.mount.dest ? -1 : a.mount.dest > b.mount.dest ? 1 : 0));

  let env = params.env.some((e) => e.startsWith("PATH="))
    ? params.env
    : [`PATH=${DEFAULT_PATH_ENV}`, ...params.env];
  // As BuildKit's client: the first SSH mount's socket becomes SSH_AUTH_SOCK unless set.
  const ssh = params.mounts.find((m) => m.type === "ssh");
  if (ssh !== undefined && !env.some((e) => e.startsWith("SSH_AUTH_SOCK="))) {
    env = [...env, `SSH_AUTH_SOCK=${ssh.dest}`];
  }
  const meta: ExecMeta = { args: [...params.args], cwd: params.cwd };
  if (env.length > 0) meta.env = env;
  if (params.user) meta.user = params.user;
  if (params.hostname) meta.hostname = params.hostname;
  if (params.proxyEnv !== undefined) meta.proxyEnv = { ...params.proxyEnv };
  if (params.extraHosts.length > 0) meta.extraHosts = params.extraHosts.map((h) => ({ ...h }));
  if (params.validExitCodes !== undefined && params.validExitCodes.length > 0) {
    meta.validExitCodes = [...params.validExitCodes];
  }

  const vertex = makeVertex({
    inputs: rawInputs,
    platform: params.platform,
    build(ctx) {
      const mounts: Mount[] = planned.map(({ mount: m, raw, output }) => {
        const out: Mount = { dest: m.dest };
        if (raw >= 0) out.input = ctx.input(raw);
        if (m.selector) out.selector = m.selector;
        if (output >= 0) out.output = output;
        if (m.readonly) out.readonly = true;
        if (m.type !== "bind") out.type = m.type;
        if (m.type === "cache") out.cacheOpt = { ...m.cache! };
        if (m.type === "secret") out.secretOpt = { ...m.secret! };
        if (m.type === "ssh") out.sshOpt = { ...m.ssh };
        if (m.type === "tmpfs" && m.tmpfs !== undefined) out.tmpfsOpt = { ...m.tmpfs };
        return out;
      });
      const exec: ExecOp = { meta, mounts };
      if (params.network !== undefined) exec.network = params.network;
      if (params.security !== undefined) exec.security = params.security;
      if (params.secretEnv.length > 0) exec.secretEnv = params.secretEnv.map((s) => ({ ...s }));
      return { exec };
    },
  }, opts);
  const mountOutputs = new Map<string, Output | undefined>();
  for (const [dest, output] of outputFor) {
    mountOutputs.set(dest, output === undefined ? undefined : { vertex, index: output });
  }
  return { vertex, mountOutputs };
}

function checkMount(m: ExecMountInput): void {
  if (m.type === "cache" && m.cache === undefined) {
    throw new TypeError(`Cache mount at "${m.dest}" needs cache: { id }`);
  }
  if (m.type === "secret" && m.secret === undefined) {
    throw new TypeError(`Secret mount at "${m.dest}" needs secret: { id }`);
  }
  if (m.type !== "bind" && m.type !== "cache" && m.source !== undefined) {
    throw new TypeError(`A ${m.type} mount at "${m.dest}" takes no source`);
  }
}
