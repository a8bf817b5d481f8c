// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Merge and diff ops.
 *
 * @module
 */

import { makeVertex, type OpOptions, type Output } from "./_vertex.ts";
import { DEFAULT_META, newState, type State, stateMeta, stateOutput } from "./state.ts";
import type { Platform } from "./types.ts";

/** Options of {@linkcode merge} and {@linkcode diff}. */
export interface MergeDiffOptions extends OpOptions {
  /** Platform of the op and of the resulting state. */
  platform?: Platform;
}

/**
 * Stacks states: later ones win where paths collide. Scratch inputs are
 * dropped; with none left the result is scratch, with one it is that state.
 *
 * @example
 * ```ts
 * import { image, local, marshal, merge } from "./mod.ts";
 * const def = marshal(merge([image("alpine"), local("context")]));
 * const op = def.ops.at(-2)!.op;
 * console.assert("merge" in op && op.merge.inputs.length === 2);
 * ```
 */
export function merge(states: readonly State[], options: MergeDiffOptions = {}): State {
  const outputs = states.map(stateOutput).filter((o): o is Output => o !== undefined);
  if (outputs.length === 0) return newState(undefined);
  if (outputs.length === 1) return states.find((s) => !s.isScratch())!;
  const platform = options.platform ?? stateMeta(states[0]!).platform;
  const vertex = makeVertex({
    inputs: outputs,
    platform,
    build: (ctx) => ({ merge: { inputs: outputs.map((_, i) => ctx.input(i)) } }),
  }, options);
  return newState({ vertex, index: 0 }, { ...DEFAULT_META, platform });
}

/**
 * The changes that turn `lower` into `upper`, as a state that can be merged
 * onto another base (`merge([lower, diff(lower, upper)])` equals `upper`).
 *
 * @example
 * ```ts
 * import { diff, image, marshal } from "./mod.ts";
 * const base = image("alpine");
 * const built = base.run({ args: ["touch", "/x"] }).root();
 * const def = marshal(diff(base, built));
 * const op = def.ops.at(-2)!.op;
 * console.assert("diff" in op && op.diff.lower === 0 && op.diff.upper === 1);
 * ```
 */
export function diff(lower: State, upper: State, options: MergeDiffOptions = {}): State {
  const lo = stateOutput(lower);
  const up = stateOutput(upper);
  if (up === undefined) return newState(undefined);
  const inputs = lo === undefined ? [up] : [lo, up];
  const platform = options.platform ?? stateMeta(upper).platform;
  const vertex = makeVertex({
    inputs,
    platform,
    build: (ctx) => ({
      diff: {
        lower: lo === undefined ? -1 : ctx.input(0),
        upper: ctx.input(lo === undefined ? 0 : 1),
      },
    }),
  }, options);
  return newState({ vertex, index: 0 }, { ...DEFAULT_META, platform });
}
