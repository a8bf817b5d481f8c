// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Renders the Dockerfile lines around an error the way BuildKit's
 * `solver/errdefs/source.go` (`Source.Print`) does:
 *
 * ```
 * Dockerfile:3
 * --------------------
 *    1 |     FROM alpine
 *    2 |
 *    3 | >>> RUN foo
 * --------------------
 * ```
 *
 * @module
 */

import type { LineRange } from "./ast.ts";

/** Options of {@linkcode codeFrame}. */
export interface CodeFrameOptions {
  /**
   * Context budget. By default BuildKit's: 4 for a one-line range, else 2;
   * each step that widens both sides costs 3, one side 2.
   */
  context?: number;
  /** Wrap the marked lines in ANSI red/bold. */
  color?: boolean;
  /** Name printed in the header (default `Dockerfile`). */
  file?: string;
}

const RULE = "--------------------";

function contains(ranges: LineRange[], line: number): boolean {
  return ranges.some((r) => r.start <= line && Math.max(r.start, r.end) >= line);
}

/**
 * Renders `source` around the lines in `range` with `>>>` markers. Returns an
 * empty string when the range is empty or outside the source.
 *
 * @example
 * ```ts
 * import { codeFrame } from "./code_frame.ts";
 * const f = codeFrame("FROM a\nRUN x\n", [{ start: 2, end: 2 }]);
 * console.assert(f.includes("   2 | >>> RUN x"));
 * ```
 */
export function codeFrame(
  source: string,
  range: LineRange[],
  options: CodeFrameOptions = {},
): string {
  if (range.length === 0) return "";
  const lines = source.split("\n");
  let start = Math.min(...range.map((r) => r.start));
  let end = Math.max(...range.map((r) => Math.max(r.start, r.end)));
  if (start > lines.length || start < 1) return "";
  if (end > lines.length) end = lines.length;

  const pad = options.context ?? (end === start ? 4 : 2);
  const headerLine = start;
  // BuildKit's widening loop: each round takes one line before (if any) and
  // one after (if any), costing one per line taken plus one.
  for (let p = 0; p < pad;) {
    if (start > 1) {
      start--;
      p++;
    }
    if (end !== lines.length) {
      end++;
      p++;
    }
    p++;
  }

  const out: string[] = [`${options.file ?? "Dockerfile"}:${headerLine}`, RULE];
  for (let i = start; i <= end; i++) {
    const marked = contains(range, i);
    const text = lines[i - 1]!.replace(/\r$/, "");
    let row = ` ${String(i).padStart(3)} | ${marked ? ">>>" : "   "} ${text}`;
    if (marked && options.color) row = `\x1b[1;31m${row}\x1b[0m`;
    out.push(row);
  }
  out.push(RULE);
  return out.join("\n") + "\n";
}
