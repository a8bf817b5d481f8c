// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Canonical form of ops (defaults omitted) and vertex digests.
 *
 * @module
 */

import { canonicalJson, sha256Hex } from "../util/mod.ts";
import type {
  ChownOpt,
  Constraints,
  Digest,
  ExecMeta,
  ExecOp,
  FileAction,
  Mount,
  Op,
  OpInput,
  OpKind,
  Platform,
  ProxyEnv,
  UserRef,
} from "./types.ts";

const ENCODER = new TextEncoder();

/**
 * The kind of an op: which payload field it carries, or `terminal`.
 *
 * @example
 * ```ts
 * import { opKind } from "./mod.ts";
 * console.assert(opKind({ source: { identifier: "local://context" } }) === "source");
 * console.assert(opKind({ inputs: [] }) === "terminal");
 * ```
 */
export function opKind(op: Op): OpKind {
  if ("source" in op) return "source";
  if ("exec" in op) return "exec";
  if ("file" in op) return "file";
  if ("merge" in op) return "merge";
  if ("diff" in op) return "diff";
  return "terminal";
}

/**
 * How many outputs an op has: 1 for sources, merges and diffs; one per mount
 * with an output for execs; one per action with an output for file ops; 0 for the terminal op.
 *
 * @example
 * ```ts
 * import { opOutputCount } from "./mod.ts";
 * console.assert(opOutputCount({ source: { identifier: "local://context" } }) === 1);
 * ```
 */
export function opOutputCount(op: Op): number {
  if ("exec" in op) return op.exec.mounts.filter((m) => (m.output ?? -1) >= 0).length;
  if ("file" in op) return op.file.actions.filter((a) => (a.output ?? -1) >= 0).length;
  if ("source" in op || "merge" in op || "diff" in op) return 1;
  return 0;
}

/**
 * Returns the canonical form of an op: the same op with every field that equals
 * its default left out (`readonly: false`, `input: -1`, `network: "unset"`,
 * empty arrays and maps…). Digests are computed over this form, so writing a
 * default explicitly never changes a digest.
 *
 * @example
 * ```ts
 * import { normalizeOp } from "./mod.ts";
 * const op = normalizeOp({
 *   exec: {
 *     meta: { args: ["true"], cwd: "/", env: [] },
 *     mounts: [{ dest: "/", input: 0, output: 0, readonly: false, type: "bind" }],
 *     network: "unset",
 *   },
 *   inputs: [{ digest: `sha256:${"0".repeat(64)}`, index: 0 }],
 * });
 * console.assert("exec" in op && JSON.stringify(op.exec) === JSON.stringify({
 *   meta: { args: ["true"], cwd: "/" },
 *   mounts: [{ dest: "/", input: 0, output: 0 }],
 * }));
 * console.assert(JSON.stringify(op.inputs) === `[{"digest":"sha256:${"0".repeat(64)}"}]`);
 * ```
 */
export function normalizeOp(op: Op): Op {
  const out: Record<string, unknown> = {};
  if (op.inputs !== undefined && op.inputs.length > 0) out.inputs = op.inputs.map(normalizeInput);
  if (op.platform !== undefined) out.platform = normalizePlatform(op.platform);
  const constraints = op.constraints === undefined
    ? undefined
    : normalizeConstraints(op.constraints);
  if (constraints !== undefined) out.constraints = constraints;
  if ("source" in op) {
    const source: Record<string, unknown> = { identifier: op.source.identifier };
    if (op.source.attrs !== undefined && Object.keys(op.source.attrs).length > 0) {
      source.attrs = { ...op.source.attrs };
    }
    out.source = source;
  } else if ("exec" in op) {
    out.exec = normalizeExec(op.exec);
  } else if ("file" in op) {
    out.file = { actions: op.file.actions.map(normalizeAction) };
  } else if ("merge" in op) {
    out.merge = { inputs: [...op.merge.inputs] };
  } else if ("diff" in op) {
    out.diff = { lower: op.diff.lower, upper: op.diff.upper };
  }
  return out as Op;
}

/**
 * The canonical bytes of an op: UTF-8 of the canonical JSON of its canonical form.
 *
 * @example
 * ```ts
 * import { opBytes } from "./mod.ts";
 * const text = new TextDecoder().decode(opBytes({ source: { identifier: "local://context", attrs: {} } }));
 * console.assert(text === '{"source":{"identifier":"local://context"}}');
 * ```
 */
export function opBytes(op: Op): Uint8Array {
  return ENCODER.encode(canonicalJson(normalizeOp(op)));
}

/**
 * The digest of a vertex: `sha256:` + hex of SHA-256 over {@linkcode opBytes}.
 *
 * @example
 * ```ts
 * import { opDigest } from "./mod.ts";
 * const a = opDigest({ source: { identifier: "local://context" } });
 * const b = opDigest({ source: { identifier: "local://context", attrs: {} }, inputs: [] });
 * console.assert(a === b && /^sha256:[0-9a-f]{64}$/.test(a));
 * ```
 */
export function opDigest(op: Op): Digest {
  return `sha256:${sha256Hex(opBytes(op))}`;
}

/** Digest of an op that is already canonical (skips normalization). */
export function canonicalOpDigest(op: Op): Digest {
  return `sha256:${sha256Hex(ENCODER.encode(canonicalJson(op)))}`;
}

function normalizeInput(input: OpInput): OpInput {
  return (input.index ?? 0) === 0
    ? { digest: input.digest }
    : { digest: input.digest, index: input.index! };
}

function normalizePlatform(p: Platform): Platform {
  const out: Platform = { os: p.os, architecture: p.architecture };
  if (p.variant) out.variant = p.variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  if (p.osFeatures !== undefined && p.osFeatures.length > 0) out.osFeatures = [...p.osFeatures];
  return out;
}

function normalizeConstraints(c: Constraints): Constraints | undefined {
  return c.filter !== undefined && c.filter.length > 0 ? { filter: [...c.filter] } : undefined;
}

function normalizeExec(e: ExecOp): ExecOp {
  const out: ExecOp = { meta: normalizeMeta(e.meta), mounts: e.mounts.map(normalizeMount) };
  if (e.network !== undefined && e.network !== "unset") out.network = e.network;
  if (e.security !== undefined && e.security !== "sandbox") out.security = e.security;
  if (e.secretEnv !== undefined && e.secretEnv.length > 0) {
    out.secretEnv = e.secretEnv.map((s) =>
      s.optional ? { id: s.id, name: s.name, optional: true } : { id: s.id, name: s.name }
    );
  }
  return out;
}

function normalizeMeta(m: ExecMeta): ExecMeta {
  const out: ExecMeta = { args: [...m.args], cwd: m.cwd };
  if (m.env !== undefined && m.env.length > 0) out.env = [...m.env];
  if (m.user) out.user = m.user;
  if (m.hostname) out.hostname = m.hostname;
  if (m.proxyEnv !== undefined) {
    const p: ProxyEnv = {};
    for (const k of ["httpProxy", "httpsProxy", "ftpProxy", "noProxy", "allProxy"] as const) {
      const v = m.proxyEnv[k];
      if (v) p[k] = v;
    }
    if (Object.keys(p).length > 0) out.proxyEnv = p;
  }
  if (m.extraHosts !== undefined && m.extraHosts.length > 0) {
    out.extraHosts = m.extraHosts.map((h) => ({ host: h.host, ip: h.ip }));
  }
  if (m.validExitCodes !== undefined && m.validExitCodes.length > 0) {
    out.validExitCodes = [...m.validExitCodes];
  }
  return out;
}

function normalizeMount(m: Mount): Mount {
  const out: Mount = { dest: m.dest };
  if (m.input !== undefined && m.input !== -1) out.input = m.input;
  if (m.selector) out.selector = m.selector;
  if (m.output !== undefined && m.output !== -1) out.output = m.output;
  if (m.readonly) out.readonly = true;
  if (m.type !== undefined && m.type !== "bind") out.type = m.type;
  if (m.cacheOpt !== undefined) {
    out.cacheOpt = m.cacheOpt.sharing !== undefined && m.cacheOpt.sharing !== "shared"
      ? { id: m.cacheOpt.id, sharing: m.cacheOpt.sharing }
      : { id: m.cacheOpt.id };
  }
  if (m.secretOpt !== undefined) {
    const s = m.secretOpt;
    out.secretOpt = { id: s.id };
    if (s.uid) out.secretOpt.uid = s.uid;
    if (s.gid) out.secretOpt.gid = s.gid;
    if (s.mode !== undefined && s.mode !== 0o400) out.secretOpt.mode = s.mode;
    if (s.optional) out.secretOpt.optional = true;
  }
  if (m.sshOpt !== undefined) {
    const s = m.sshOpt;
    out.sshOpt = {};
    if (s.id !== undefined && s.id !== "default") out.sshOpt.id = s.id;
    if (s.uid) out.sshOpt.uid = s.uid;
    if (s.gid) out.sshOpt.gid = s.gid;
    if (s.mode !== undefined && s.mode !== 0o600) out.sshOpt.mode = s.mode;
    if (s.optional) out.sshOpt.optional = true;
  }
  if (m.tmpfsOpt !== undefined && m.tmpfsOpt.size) out.tmpfsOpt = { size: m.tmpfsOpt.size };
  return out;
}

function normalizeUser(u: UserRef): UserRef {
  if ("id" in u) return { id: u.id };
  return u.input !== undefined && u.input !== -1
    ? { name: u.name, input: u.input }
    : { name: u.name };
}

function normalizeOwner(o: ChownOpt | undefined): ChownOpt | undefined {
  if (o === undefined) return undefined;
  const out: ChownOpt = {};
  if (o.user !== undefined) out.user = normalizeUser(o.user);
  if (o.group !== undefined) out.group = normalizeUser(o.group);
  return out.user === undefined && out.group === undefined ? undefined : out;
}

const COPY_FLAGS = [
  "followSymlinks",
  "copyDirContentsOnly",
  "attemptUnpack",
  "createDestPath",
  "allowWildcard",
  "allowEmptyWildcard",
  "alwaysReplaceExistingDestPaths",
  "parents",
] as const;

const COPY_LISTS = ["includePatterns", "excludePatterns", "requiredPaths"] as const;

function normalizeAction(a: FileAction): FileAction {
  const out: Record<string, unknown> = { type: a.type };
  if (a.input !== undefined && a.input !== -1) out.input = a.input;
  if (a.secondaryInput !== undefined && a.secondaryInput !== -1) {
    out.secondaryInput = a.secondaryInput;
  }
  if (a.output !== undefined && a.output !== -1) out.output = a.output;
  const setOwner = (o: ChownOpt | undefined) => {
    const owner = normalizeOwner(o);
    if (owner !== undefined) out.owner = owner;
  };
  const setTimestamp = (t: number | undefined) => {
    if (t !== undefined && t !== -1) out.timestamp = t;
  };
  switch (a.type) {
    case "copy":
      out.src = a.src;
      out.dest = a.dest;
      setOwner(a.owner);
      if (a.mode !== undefined && a.mode !== -1) out.mode = a.mode;
      if (a.modeStr) out.modeStr = a.modeStr;
      for (const k of COPY_FLAGS) if (a[k]) out[k] = true;
      setTimestamp(a.timestamp);
      for (const k of COPY_LISTS) {
        const list = a[k];
        if (list !== undefined && list.length > 0) out[k] = [...list];
      }
      break;
    case "mkfile": {
      out.path = a.path;
      out.mode = a.mode;
      const text = a.dataBase64 !== undefined ? base64ToText(a.dataBase64) : a.data;
      if (text === undefined) out.dataBase64 = a.dataBase64;
      else if (text !== "") out.data = text;
      setOwner(a.owner);
      setTimestamp(a.timestamp);
      break;
    }
    case "mkdir":
      out.path = a.path;
      out.mode = a.mode;
      if (a.makeParents) out.makeParents = true;
      setOwner(a.owner);
      setTimestamp(a.timestamp);
      break;
    case "rm":
      out.path = a.path;
      if (a.allowNotFound) out.allowNotFound = true;
      if (a.allowWildcard) out.allowWildcard = true;
      break;
    case "symlink":
      out.oldpath = a.oldpath;
      out.newpath = a.newpath;
      setOwner(a.owner);
      setTimestamp(a.timestamp);
      break;
  }
  return out as unknown as FileAction;
}

/** Decodes base64 to text when the bytes are valid UTF-8; `undefined` otherwise. */
function base64ToText(b64: string): string | undefined {
  const bytes = decodeBase64(b64);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Decodes standard base64 (with or without padding). */
export function decodeBase64(b64: string): Uint8Array {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Encodes bytes as standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
