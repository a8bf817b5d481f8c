// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Turning states into a {@linkcode Definition}.
 *
 * @module
 */

import { canonicalJson } from "../util/mod.ts";
import { canonicalOpDigest, normalizeOp } from "./canonical_op.ts";
import type { Output, Vertex } from "./_vertex.ts";
import { type State, stateOutput } from "./state.ts";
import type {
  Definition,
  DefinitionOp,
  Digest,
  Op,
  OpInput,
  OpMetadata,
  Platform,
  SourceInfo,
  SourceLocation,
} from "./types.ts";

/** Options of {@linkcode marshal}. */
export interface MarshalOptions {
  /** Platform for ops whose state has none. */
  platform?: Platform;
}

/**
 * Serializes the graph behind one state (or several) into a definition: ops
 * in a stable topological order (inputs first, depth-first in input order),
 * identical vertices once, then the terminal op pointing at the result(s).
 * Custom names, `ignoreCache` and source locations go to `metadata` and
 * `source`, keyed by digest, and never change a digest.
 *
 * @throws {TypeError} when one of several results is scratch (it has no vertex to point at).
 *
 * @example
 * ```ts
 * import { image, marshal } from "./mod.ts";
 * const state = image("alpine").run({ args: ["echo", "hi"], customName: "say hi" }).root();
 * const a = marshal(state);
 * const b = marshal(state);
 * console.assert(a.ops.length === 3 && a.ops.at(-1)!.digest === b.ops.at(-1)!.digest);
 * console.assert(a.metadata[a.ops[1]!.digest]!.description!["llb.customname"] === "say hi");
 * ```
 */
export function marshal(
  state: State | readonly State[],
  options: MarshalOptions = {},
): Definition {
  const states: readonly State[] = Array.isArray(state) ? state : [state as State];
  const results = states.map(stateOutput);
  if (results.length > 1 && results.some((r) => r === undefined)) {
    throw new TypeError("Cannot marshal scratch as one of several results");
  }
  const digests = new Map<Vertex, Digest>();
  const ops: DefinitionOp[] = [];
  const opByDigest = new Set<string>();
  const metadata: Record<string, OpMetadata> = {};
  const files: SourceInfo["files"] = {};
  const locations: Record<string, SourceLocation[]> = {};
  const locationKeys = new Map<string, Set<string>>();

  const finish = (vertex: Vertex): void => {
    const inputs: OpInput[] = [];
    const inputIndex = new Map<string, number>();
    const rawToInput = vertex.inputs.map((o) => {
      const digest = digests.get(o.vertex)!;
      const key = `${digest}:${o.index}`;
      let i = inputIndex.get(key);
      if (i === undefined) {
        i = inputs.length;
        inputIndex.set(key, i);
        inputs.push(o.index === 0 ? { digest } : { digest, index: o.index });
      }
      return i;
    });
    const payload = vertex.build({
      input: (raw) => rawToInput[raw]!,
      inputCount: inputs.length,
    });
    const envelope: Record<string, unknown> = { ...payload };
    if (inputs.length > 0) envelope.inputs = inputs;
    const platform = vertex.platform ?? options.platform;
    if (platform !== undefined) envelope.platform = platform;
    if (vertex.constraints !== undefined) envelope.constraints = vertex.constraints;
    const op = normalizeOp(envelope as Op);
    const digest = canonicalOpDigest(op);
    digests.set(vertex, digest);
    if (!opByDigest.has(digest)) {
      opByDigest.add(digest);
      ops.push({ digest, op });
    }
    mergeMetadata(metadata, digest, vertex.metadata);
    const loc = vertex.location;
    if (loc !== undefined) {
      const known = files[loc.file.name];
      if (known === undefined) {
        files[loc.file.name] = loc.file.language === undefined
          ? { data: loc.file.data }
          : { data: loc.file.data, language: loc.file.language };
      } else if (known.data !== loc.file.data) {
        throw new TypeError(`Two different source files are named "${loc.file.name}"`);
      }
      const entry: SourceLocation = {
        file: loc.file.name,
        ranges: loc.ranges.map((r) => ({ start: { ...r.start }, end: { ...r.end } })),
      };
      const key = canonicalJson(entry);
      let seen = locationKeys.get(digest);
      if (seen === undefined) locationKeys.set(digest, seen = new Set());
      if (!seen.has(key)) {
        seen.add(key);
        (locations[digest] ??= []).push(entry);
      }
    }
  };

  // Iterative post-order DFS: deep chains must not overflow the call stack.
  for (const result of results) {
    if (result === undefined || digests.has(result.vertex)) continue;
    const stack: { vertex: Vertex; next: number }[] = [{ vertex: result.vertex, next: 0 }];
    const onStack = new Set<Vertex>([result.vertex]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.vertex.inputs.length) {
        const child = top.vertex.inputs[top.next++]!.vertex;
        if (digests.has(child)) continue;
        if (onStack.has(child)) throw new TypeError("Cycle in build graph");
        onStack.add(child);
        stack.push({ vertex: child, next: 0 });
        continue;
      }
      stack.pop();
      onStack.delete(top.vertex);
      finish(top.vertex);
    }
  }

  const terminalInputs: OpInput[] = [];
  for (const r of results as (Output | undefined)[]) {
    if (r === undefined) continue;
    const digest = digests.get(r.vertex)!;
    terminalInputs.push(r.index === 0 ? { digest } : { digest, index: r.index });
  }
  const terminal: Op = terminalInputs.length > 0 ? { inputs: terminalInputs } : {};
  const terminalDigest = canonicalOpDigest(terminal);
  ops.push({ digest: terminalDigest, op: terminal });

  const def: Definition = { version: 1, ops, metadata };
  if (Object.keys(files).length > 0) def.source = { files, locations };
  return def;
}

/** Merges metadata of deduplicated vertices: flags OR, maps union (first value wins). */
function mergeMetadata(all: Record<string, OpMetadata>, digest: string, md: OpMetadata): void {
  if (Object.keys(md).length === 0) return;
  const prev = all[digest];
  if (prev === undefined) {
    all[digest] = structuredCloneMeta(md);
    return;
  }
  if (md.ignoreCache) prev.ignoreCache = true;
  if (md.exportCache) prev.exportCache = true;
  if (md.description !== undefined) prev.description = { ...md.description, ...prev.description };
  if (md.caps !== undefined) prev.caps = { ...md.caps, ...prev.caps };
  if (md.progressGroup !== undefined && prev.progressGroup === undefined) {
    prev.progressGroup = { ...md.progressGroup };
  }
}

function structuredCloneMeta(md: OpMetadata): OpMetadata {
  const out: OpMetadata = { ...md };
  if (md.description !== undefined) out.description = { ...md.description };
  if (md.caps !== undefined) out.caps = { ...md.caps };
  if (md.progressGroup !== undefined) out.progressGroup = { ...md.progressGroup };
  return out;
}
