// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Dumps of the syntax tree: BuildKit's golden s-expression format
 * (`Node.Dump`) and a plain JSON shape for `--format=json`.
 *
 * @module
 */

import type { Heredoc, Node, ParseResult } from "./ast.ts";

const rePrintable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/**
 * Quotes a string exactly like Go's `strconv.Quote`: `\a \b \f \n \r \t \v`,
 * `\\`, `\"`, other control bytes as `\xNN`, non-printable code points as
 * `\uNNNN`/`\UNNNNNNNN`, printable non-ASCII verbatim. A lone surrogate
 * (impossible in Go's UTF-8 strings) is printed as U+FFFD.
 *
 * @example
 * ```ts
 * import { goQuote } from "./dump.ts";
 * console.assert(goQuote('a"\u0000♥') === '"a\\"\\x00♥"');
 * ```
 */
export function goQuote(s: string): string {
  let out = '"';
  let plainStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Fast path: printable ASCII other than quote and backslash.
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue;
    let esc: string | undefined;
    let width = 1;
    if (c < 0x80) {
      switch (c) {
        case 0x07:
          esc = "\\a";
          break;
        case 0x08:
          esc = "\\b";
          break;
        case 0x0c:
          esc = "\\f";
          break;
        case 0x0a:
          esc = "\\n";
          break;
        case 0x0d:
          esc = "\\r";
          break;
        case 0x09:
          esc = "\\t";
          break;
        case 0x0b:
          esc = "\\v";
          break;
        case 0x22:
          esc = '\\"';
          break;
        case 0x5c:
          esc = "\\\\";
          break;
        default:
          esc = "\\x" + hex(c, 2);
      }
    } else {
      const cp = s.codePointAt(i)!;
      width = cp > 0xffff ? 2 : 1;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        esc = "\ufffd";
      } else if (!rePrintable.test(String.fromCodePoint(cp))) {
        esc = cp < 0x10000 ? "\\u" + hex(cp, 4) : "\\U" + hex(cp, 8);
      }
    }
    if (esc !== undefined) {
      out += s.slice(plainStart, i) + esc;
      plainStart = i + width;
    }
    if (width === 2) i++;
  }
  return out + s.slice(plainStart) + '"';
}

function isGoSpaceCode(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0 ||
    c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000;
}

function goTrimSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isGoSpaceCode(s.charCodeAt(a))) a++;
  while (b > a && isGoSpaceCode(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Dumps a node in BuildKit's golden format (`Node.Dump`). For the root node
 * this gives one `(instruction …)` per line; append `"\n"` to compare with a
 * `result` file.
 *
 * @example
 * ```ts
 * import { dumpAst } from "./dump.ts";
 * import { parseDockerfile } from "./parser.ts";
 * console.assert(dumpAst(parseDockerfile("FROM ubuntu\n").ast) === '(from "ubuntu")');
 * ```
 */
export function dumpAst(node: Node): string {
  const parts: string[] = [node.value.toLowerCase()];
  if (node.flags.length > 0) parts.push(" [", node.flags.map(goQuote).join(" "), "]");
  for (const child of node.children) parts.push("(", dumpAst(child), ")\n");
  for (const arg of node.next) {
    parts.push(" ", arg.children.length > 0 ? dumpAst(arg) : goQuote(arg.value));
  }
  return goTrimSpace(parts.join(""));
}

/** One instruction in the JSON dump. */
export interface InstructionJson {
  /** Keyword, lower-cased. */
  keyword: string;
  /** Argument values in order (for ONBUILD: empty; see `children`). */
  args: string[];
  /** Builder flags as written. */
  flags: string[];
  /** True for the JSON (exec) form. */
  json: boolean;
  /** Heredocs attached to the instruction. */
  heredocs: Heredoc[];
  /** The logical line as written. */
  original: string;
  /** Comment lines directly above the instruction. */
  prevComment: string[];
  /** 1-based first line. */
  startLine: number;
  /** 1-based last line. */
  endLine: number;
  /** For ONBUILD: the wrapped instruction. */
  children: InstructionJson[];
}

/** The JSON dump of a whole parse. */
export interface ParseResultJson {
  /** Escape token in effect. */
  escapeToken: string;
  /** Parser directives found at the top of the file. */
  directives: Record<string, { value: string; line: number }>;
  /** Instructions in file order. */
  instructions: InstructionJson[];
  /** Parser warnings. */
  warnings: ParseResult["warnings"];
}

function instructionToJson(node: Node): InstructionJson {
  const args: string[] = [];
  const children: InstructionJson[] = [];
  for (const arg of node.next) {
    if (arg.children.length > 0) children.push(...arg.children.map(instructionToJson));
    else args.push(arg.value);
  }
  return {
    keyword: node.value.toLowerCase(),
    args,
    flags: [...node.flags],
    json: node.json,
    heredocs: node.heredocs.map((h) => ({ ...h })),
    original: node.original,
    prevComment: [...node.prevComment],
    startLine: node.startLine,
    endLine: node.endLine,
    children,
  };
}

/**
 * Converts a parse result to a plain JSON-serialisable object (used by
 * `--format=json` dumps).
 *
 * @example
 * ```ts
 * import { astToJson } from "./dump.ts";
 * import { parseDockerfile } from "./parser.ts";
 * const j = astToJson(parseDockerfile("FROM a\nRUN [\"x\"]\n"));
 * console.assert(j.instructions[1]?.json === true);
 * ```
 */
export function astToJson(result: ParseResult): ParseResultJson {
  return {
    escapeToken: result.escapeToken,
    directives: structuredClone(result.directives),
    instructions: result.ast.children.map(instructionToJson),
    warnings: structuredClone(result.warnings),
  };
}
