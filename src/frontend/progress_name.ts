// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Progress names of build steps, as BuildKit shows them:
 * `[stage-0 2/4] COPY . /app`, `[linux/arm64 build 1/3] RUN make`.
 *
 * @module
 */

/** Step counter of one stage: how many steps it has and which one is next. */
export interface StepCounter {
  /** Steps of the stage that get a number (FROM image, RUN, COPY, ADD, WORKDIR). */
  total: number;
  /** Steps numbered so far. */
  index: number;
}

/** Options of {@link prefixCommand}. */
export interface PrefixOptions {
  /** Stage name ("" when the Dockerfile has one stage). */
  stageName: string;
  /** Platform prefix (e.g. `linux/arm64`), set when several platforms are built. */
  platform?: string;
  /** True when the step comes from an ONBUILD trigger. */
  onBuild?: boolean;
}

/**
 * Prefixes `text` with the step number (incrementing `counter.index`), the
 * stage name and, for multi-platform builds, the platform. The number is
 * right-aligned to the width of the total.
 *
 * @example
 * ```ts
 * import { prefixCommand } from "./progress_name.ts";
 * const c = { total: 12, index: 2 };
 * console.assert(prefixCommand(c, "RUN make", { stageName: "build" }) === "[build  3/12] RUN make");
 * ```
 */
export function prefixCommand(counter: StepCounter, text: string, options: PrefixOptions): string {
  if (counter.total === 0) return text;
  let out = "[";
  if (options.platform !== undefined && options.platform !== "") out += options.platform + " ";
  if (options.stageName !== "") out += options.stageName + " ";
  counter.index++;
  const width = String(counter.total).length;
  out += `${String(counter.index).padStart(width, " ")}/${counter.total}] `;
  if (options.onBuild) out += "ONBUILD ";
  return out + text;
}

/**
 * Upper-cases the first word (the instruction keyword) of a command line.
 *
 * @example
 * ```ts
 * import { uppercaseCommand } from "./progress_name.ts";
 * console.assert(uppercaseCommand("copy a b") === "COPY a b");
 * ```
 */
export function uppercaseCommand(text: string): string {
  const i = text.indexOf(" ");
  if (i < 0) return text.toUpperCase();
  return text.slice(0, i).toUpperCase() + text.slice(i);
}
