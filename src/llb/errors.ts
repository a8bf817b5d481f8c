// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * An invalid build graph: a bad field, a wrong digest, a dangling input or a cycle.
 * `path` points at the offending field (e.g. `["ops", 2, "op", "exec", "meta", "args"]`).
 *
 * @example
 * ```ts
 * import { LlbError } from "./mod.ts";
 * const err = new LlbError("must not be empty", { path: ["ops", 0, "op", "exec", "meta", "args"] });
 * console.assert(err.message === "Invalid build graph at ops[0].op.exec.meta.args: must not be empty");
 * console.assert(err.path.length === 6);
 * ```
 */
export class LlbError extends Error {
  /** Path to the bad field; empty when the error concerns the whole graph. */
  readonly path: (string | number)[];
  /** The message without the path prefix. */
  readonly detail: string;

  constructor(detail: string, options: { path?: (string | number)[]; cause?: unknown } = {}) {
    const path = options.path ?? [];
    super(
      path.length === 0
        ? `Invalid build graph: ${detail}`
        : `Invalid build graph at ${formatPath(path)}: ${detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "LlbError";
    this.path = path;
    this.detail = detail;
  }
}

/** Formats a path as `ops[2].op.exec`. */
export function formatPath(path: readonly (string | number | symbol)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (typeof part === "string" && /^[A-Za-z_$][\w$]*$/.test(part)) {
      out += out === "" ? part : `.${part}`;
    } else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === "" ? "<root>" : out;
}
