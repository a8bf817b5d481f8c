// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

import type { LineRange } from "./ast.ts";

/**
 * An error in a Dockerfile, carrying the lines it is about so that the CLI can
 * print a code frame. Messages follow BuildKit's wording.
 *
 * @example
 * ```ts
 * import { DockerfileError } from "./errors.ts";
 * const err = new DockerfileError("unknown instruction: FRM", { range: [{ start: 1, end: 1 }] });
 * console.assert(err.range[0]?.start === 1);
 * ```
 */
export class DockerfileError extends SyntaxError {
  /** 1-based line ranges the error points at; empty when it concerns the whole file. */
  readonly range: LineRange[];
  /** Dockerfile path, when known (filled in by the caller that read the file). */
  file: string | undefined;

  constructor(
    message: string,
    options: { range?: LineRange[]; file?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DockerfileError";
    this.range = options.range ?? [];
    this.file = options.file;
  }
}
