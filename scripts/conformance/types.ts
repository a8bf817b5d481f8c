// Copyright 2026 the buildkit-ts authors. MIT license.

/** One failed (or skipped) conformance case and why. */
export interface ConformanceCase {
  /** Case name: file plus index or test name. */
  name: string;
  /** What differed, or why it was skipped. */
  reason: string;
}

/** The outcome of the cases read from one corpus file (or one folder of golden files). */
export interface ConformanceTable {
  /** Corpus path relative to the conformance folder, e.g. `frontend/dockerfile/shell/envVarTest`. */
  file: string;
  passed: number;
  failed: number;
  /** Cases that do not apply here (Windows-only rows, cases of a later issue). */
  skipped: number;
  failures: ConformanceCase[];
  /** Why each skipped case was skipped (may be summarized). */
  skips: ConformanceCase[];
}

/** Each area's runner: reads the corpus in place under `dir` (the conformance folder). */
export type ConformanceRunner = (dir: string) => Promise<ConformanceTable[]>;
