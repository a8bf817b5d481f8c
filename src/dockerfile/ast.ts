// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The Dockerfile syntax tree, shaped like BuildKit's `parser.Node` so that the
 * golden dump (`(from "ubuntu")`) can be produced rule for rule.
 *
 * @module
 */

/** A heredoc attached to an ADD, COPY or RUN instruction. */
export interface Heredoc {
  /** Delimiter word with quotes removed, e.g. `EOF`. */
  name: string;
  /** File descriptor prefix (`3<<EOF` → 3); 0 when absent. */
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted (`<<'EOF'`). */
  expand: boolean;
  /** True for `<<-`: leading tabs are stripped when the instruction is built. */
  chomp: boolean;
  /** Body including line endings, excluding the terminator line; never tab-stripped here. */
  content: string;
}

/** A 1-based inclusive line range in the Dockerfile. */
export interface LineRange {
  start: number;
  end: number;
}

/**
 * One node of the tree. An instruction node has `value` = lower-cased keyword,
 * `next` = its argument chain, `flags` = raw `--flag[=value]` words.
 * Only ONBUILD's single argument node has `children` (the wrapped instruction).
 */
export interface Node {
  /** Lower-cased keyword for instruction nodes; the argument text for argument nodes. */
  value: string;
  /** Argument chain (BuildKit's `Next` list, flattened). */
  next: Node[];
  /** Nested instructions (only ONBUILD's argument node has one). */
  children: Node[];
  /** Builder flags as written, quotes removed, e.g. `--from=build`. */
  flags: string[];
  /** Set when the arguments were written in JSON (exec) form. */
  json: boolean;
  /** The full logical line as written (after continuation joining), keyword included. */
  original: string;
  /** Heredocs read after this instruction (ADD, COPY, RUN only). */
  heredocs: Heredoc[];
  /** Comment lines (without `#` and leading space) directly above the instruction. */
  prevComment: string[];
  /** 1-based first line of the instruction. */
  startLine: number;
  /** 1-based last line (covers continuations and heredoc bodies). */
  endLine: number;
}

/** A non-fatal parser diagnostic, e.g. an empty continuation line. */
export interface ParseWarning {
  /** Linter rule name, e.g. `NoEmptyContinuation`. */
  rule: string;
  /** Short human text. */
  short: string;
  /** Detail lines. */
  detail: string[];
  /** Documentation URL, when the rule has one. */
  url: string;
  /** Lines the warning is about. */
  location: LineRange[];
}

/** The result of parsing a whole Dockerfile. */
export interface ParseResult {
  /** Root node: its `children` are the instructions in file order. */
  ast: Node;
  /** Escape token in effect (`\\` or `` ` ``). */
  escapeToken: string;
  /** Non-fatal diagnostics. */
  warnings: ParseWarning[];
  /** Parser directives found at the top of the file, keys lower-cased. */
  directives: Record<string, { value: string; line: number }>;
}
