// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

import { canonicalJson, sha256Hex } from "../util/mod.ts";
import type { CacheMissReason, ProgressEvent } from "../progress/mod.ts";
import { Limiter } from "./limiter.ts";
import type { KeyRecord, ResultCache, Vertex } from "./types.ts";

/** A vertex failed; `vertex` is its progress name. The op's error is the cause. */
export class SolveError extends Error {
  readonly vertex: string;
  readonly digest: string;
  constructor(vertex: { name: string; digest: string }, cause: unknown) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(`failed to solve: ${vertex.name}: ${msg}`, { cause });
    this.name = "SolveError";
    this.vertex = vertex.name;
    this.digest = vertex.digest;
  }
}

/** Options of one solve (one build's request). */
export interface SolveOptions {
  signal?: AbortSignal;
  onEvent?: (event: ProgressEvent) => void;
}

/** Options of a solver instance, shared by every build of a process. */
export interface SolverOptions<R> {
  cache: ResultCache<R>;
  /** Ops running at once; default 1. */
  concurrency?: number;
  /** Clock for events, in milliseconds. */
  now?: () => number;
}

/** What one solve did for a vertex. */
export interface VertexOutcome {
  key: string;
  cached: boolean;
  /** For a vertex that ran: why no cached result was used. */
  cacheMiss?: CacheMissReason;
}

const encoder = new TextEncoder();

/**
 * A generic scheduler over a graph of vertices: cache keys from each op's definition
 * and its inputs' keys (or the content it reads from them), results reused from the
 * cache, independent vertices run concurrently up to a limit, identical work (same
 * cache key) run once even when several solves ask for it at the same time, and
 * cancellation through an AbortSignal.
 *
 * @example
 * ```ts
 * import { Solver } from "./solver.ts";
 * import type { ResultCache, Vertex } from "./types.ts";
 * const store = new Map<string, number>();
 * const cache: ResultCache<number> = {
 *   load: (k) => Promise.resolve(store.get(k)),
 *   save: (k, r) => { store.set(k, r); return Promise.resolve(); },
 * };
 * const leaf: Vertex<number> = {
 *   digest: "a", name: "leaf", inputs: [],
 *   op: { cacheMap: () => Promise.resolve({ digest: "leaf", deps: [] }), exec: () => Promise.resolve(1) },
 * };
 * const top: Vertex<number> = {
 *   digest: "b", name: "top", inputs: [leaf],
 *   op: { cacheMap: () => Promise.resolve({ digest: "top", deps: [{}] }), exec: ([x]) => Promise.resolve(x! + 1) },
 * };
 * const solver = new Solver({ cache });
 * const [result] = await solver.solve([top]);
 * console.assert(result === 2);
 * ```
 */
export class Solver<R> {
  readonly #cache: ResultCache<R>;
  readonly #limiter: Limiter;
  readonly #now: () => number;
  /** Results being computed, by cache key, shared across concurrent solves. */
  readonly #inflight = new Map<string, Promise<R>>();

  constructor(options: SolverOptions<R>) {
    this.#cache = options.cache;
    this.#limiter = new Limiter(options.concurrency ?? 1);
    this.#now = options.now ?? (() => Date.now());
  }

  /**
   * Solves the targets and returns their results in order. `outcomes` (if given) is
   * filled with what happened to each vertex, by digest.
   */
  async solve(
    targets: Vertex<R>[],
    options: SolveOptions & { outcomes?: Map<string, VertexOutcome> } = {},
  ): Promise<R[]> {
    const job = new AbortController();
    const outer = options.signal;
    const onOuterAbort = () => job.abort(outer?.reason ?? new Error("build cancelled"));
    if (outer?.aborted) onOuterAbort();
    outer?.addEventListener("abort", onOuterAbort, { once: true });
    const signal = job.signal;
    const emit = options.onEvent ?? (() => {});
    const outcomes = options.outcomes ?? new Map<string, VertexOutcome>();
    const order = topoOrder(targets);
    // --no-cache on a vertex also re-runs what is built on it (its result may differ).
    const forced = new Set<string>();
    for (const v of order) {
      if (v.ignoreCache || v.inputs.some((i) => forced.has(i.digest))) forced.add(v.digest);
    }
    const keys = new Map<string, Promise<KeyRecord>>();
    const results = new Map<string, Promise<R>>();
    const reported = new Set<string>();

    const result = (v: Vertex<R>): Promise<R> => {
      let p = results.get(v.digest);
      if (!p) {
        p = this.#result(v, { keys, result, signal, emit, outcomes, reported, forced });
        results.set(v.digest, p);
        // A failure is reported by whoever awaits it; avoid unhandled-rejection noise.
        p.catch(() => {});
      }
      return p;
    };

    // Keys in topological order: each vertex's promise exists before its dependants'.
    for (const v of order) {
      const p = this.#key(v, keys, result, signal);
      p.catch(() => {});
      keys.set(v.digest, p);
    }
    try {
      const out = await Promise.all(targets.map((t) => result(t)));
      // Vertices never loaded because a dependant was cached are cached too.
      for (const v of order) {
        if (reported.has(v.digest)) continue;
        const t = this.#now();
        emit({
          type: "vertex.started",
          digest: v.digest,
          name: v.name,
          inputs: v.inputs.map((i) => i.digest),
          time: t,
        });
        emit({ type: "vertex.completed", digest: v.digest, time: t, cached: true });
        const key = await keys.get(v.digest)!;
        outcomes.set(v.digest, { key: key.key, cached: true });
      }
      return out;
    } catch (err) {
      job.abort(err);
      throw err;
    } finally {
      outer?.removeEventListener("abort", onOuterAbort);
    }
  }

  async #key(
    v: Vertex<R>,
    keys: Map<string, Promise<KeyRecord>>,
    result: (v: Vertex<R>) => Promise<R>,
    signal: AbortSignal,
  ): Promise<KeyRecord> {
    const cm = await v.op.cacheMap(signal);
    if (cm.deps.length !== v.inputs.length) {
      throw new SolveError(
        v,
        new Error(`cache map has ${cm.deps.length} deps for ${v.inputs.length} inputs`),
      );
    }
    const deps = await Promise.all(v.inputs.map(async (input, i) => {
      const dep = cm.deps[i]!;
      const name = input.name;
      if (dep.content) {
        if (!v.op.contentChecksum) {
          throw new SolveError(v, new Error("content dep without contentChecksum"));
        }
        const r = await result(input);
        const value = await v.op.contentChecksum(i, r, signal);
        return {
          kind: "content" as const,
          value,
          name,
          ...(dep.selector ? { selector: dep.selector } : {}),
        };
      }
      const k = await keys.get(input.digest)!;
      return {
        kind: "key" as const,
        value: k.key,
        name,
        ...(dep.selector ? { selector: dep.selector } : {}),
      };
    }));
    const material = canonicalJson({
      definition: cm.digest,
      deps: deps.map((d) => [d.kind, d.value, d.selector ?? ""]),
    });
    return { key: `sha256:${sha256Hex(encoder.encode(material))}`, definition: cm.digest, deps };
  }

  async #result(
    v: Vertex<R>,
    ctx: {
      keys: Map<string, Promise<KeyRecord>>;
      result: (v: Vertex<R>) => Promise<R>;
      signal: AbortSignal;
      emit: (e: ProgressEvent) => void;
      outcomes: Map<string, VertexOutcome>;
      reported: Set<string>;
      forced: Set<string>;
    },
  ): Promise<R> {
    const { signal, emit } = ctx;
    let record: KeyRecord;
    try {
      record = await ctx.keys.get(v.digest)!;
    } catch (err) {
      throw err instanceof SolveError ? err : new SolveError(v, err);
    }
    const explainId = v.explainId ?? v.name;
    const started = () => {
      ctx.reported.add(v.digest);
      emit({
        type: "vertex.started",
        digest: v.digest,
        name: v.name,
        inputs: v.inputs.map((i) => i.digest),
        time: this.#now(),
      });
    };
    const force = ctx.forced.has(v.digest);
    if (!force) {
      const hit = await this.#cache.load(record.key, signal);
      if (hit !== undefined) {
        started();
        emit({ type: "vertex.completed", digest: v.digest, time: this.#now(), cached: true });
        ctx.outcomes.set(v.digest, { key: record.key, cached: true });
        await this.#cache.remember?.(explainId, record);
        return hit;
      }
    }
    // Single flight: another solve computing the same key shares its result.
    const shared = this.#inflight.get(record.key);
    if (shared && !force) {
      const r = await shared;
      if (!ctx.reported.has(v.digest)) {
        started();
        emit({ type: "vertex.completed", digest: v.digest, time: this.#now(), cached: true });
      }
      ctx.outcomes.set(v.digest, { key: record.key, cached: true });
      return r;
    }
    const run = (async () => {
      const inputs = await Promise.all(v.inputs.map((i) => ctx.result(i)));
      const cacheMiss = await this.#explain(v, explainId, record, force);
      return await this.#limiter.run(async () => {
        started();
        try {
          const r = await v.op.exec(inputs, { signal, emit, digest: v.digest });
          await this.#cache.save(record.key, r, record);
          await this.#cache.remember?.(explainId, record);
          emit({
            type: "vertex.completed",
            digest: v.digest,
            time: this.#now(),
            cached: false,
            cacheMiss,
          });
          ctx.outcomes.set(v.digest, { key: record.key, cached: false, cacheMiss });
          return r;
        } catch (err) {
          const e = err instanceof SolveError ? err : new SolveError(v, err);
          emit({
            type: "vertex.completed",
            digest: v.digest,
            time: this.#now(),
            cached: false,
            error: err instanceof Error ? err.message : String(err),
          });
          throw e;
        }
      }, signal);
    })();
    this.#inflight.set(record.key, run);
    try {
      return await run;
    } finally {
      if (this.#inflight.get(record.key) === run) this.#inflight.delete(record.key);
    }
  }

  async #explain(
    v: Vertex<R>,
    explainId: string,
    record: KeyRecord,
    force: boolean,
  ): Promise<CacheMissReason> {
    if (v.ignoreCache) {
      return { kind: "no-cache", detail: "cache disabled for this step (--no-cache)" };
    }
    if (force) return { kind: "no-cache", detail: "an input step ran with the cache disabled" };
    const prev = await this.#cache.lastRecord?.(explainId);
    if (!prev) return { kind: "new", detail: "no earlier build of this step in the cache" };
    if (prev.definition !== record.definition) {
      return {
        kind: "definition",
        detail: "the step's definition changed (command, flags, options or source)",
      };
    }
    for (let i = 0; i < record.deps.length; i++) {
      const now = record.deps[i]!;
      const before = prev.deps[i];
      if (before && before.kind === now.kind && before.value === now.value) continue;
      if (now.kind === "content") {
        return {
          kind: "content",
          detail: `content changed: ${now.selector ?? `files read from ${now.name}`}`,
        };
      }
      return { kind: "input", detail: `input changed: ${now.name}` };
    }
    return { kind: "new", detail: "the cached result was removed (pruned)" };
  }
}

/** Vertices reachable from the targets, inputs before dependants, each digest once. */
export function topoOrder<R>(targets: Vertex<R>[]): Vertex<R>[] {
  const out: Vertex<R>[] = [];
  const state = new Map<string, 1 | 2>();
  const stack: Array<{ v: Vertex<R>; i: number }> = [];
  for (const t of targets) {
    if (state.has(t.digest)) continue;
    stack.push({ v: t, i: 0 });
    state.set(t.digest, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.i < top.v.inputs.length) {
        const next = top.v.inputs[top.i++]!;
        const s = state.get(next.digest);
        if (s === 1) throw new Error(`cycle in build graph at ${next.name}`);
        if (s === undefined) {
          state.set(next.digest, 1);
          stack.push({ v: next, i: 0 });
        }
      } else {
        stack.pop();
        state.set(top.v.digest, 2);
        out.push(top.v);
      }
    }
  }
  return out;
}
