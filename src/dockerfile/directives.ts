// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Parser directives (`# syntax=`, `# escape=`, `# check=`) as in BuildKit's
 * `frontend/dockerfile/parser/directives.go`.
 *
 * Directives are only recognised in the leading block of comment lines:
 * the first line that is not a recognised directive (blank line, instruction,
 * ordinary comment, unknown key) ends the block. Keys are case-insensitive;
 * repeating one is an error.
 *
 * @module
 */

import type { LineRange } from "./ast.ts";
import { DockerfileError } from "./errors.ts";
import { trimLeftSpace } from "./line_parsers.ts";

/** Names of the directives BuildKit recognises. */
export const VALID_DIRECTIVES: readonly string[] = ["syntax", "escape", "check"];

// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` with Go's `\s` and `.` (which,
// unlike JavaScript's, matches `\r`).
const reDirective = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;

/** One parser directive. */
export interface Directive {
  /** Lower-cased key, e.g. `escape`. */
  name: string;
  /** Value as written (trimmed), e.g. `` ` ``. */
  value: string;
  /** The line of the directive. */
  range: LineRange[];
}

/** A directive found by {@linkcode detectSyntax} or {@linkcode parseDirective}. */
export interface DetectedDirective {
  /** The value up to its first space (for `syntax`: the frontend image reference). */
  ref: string;
  /** The whole value (image reference plus arguments). */
  cmdline: string;
  /** Where it was found (line 0 for the JSON form without a shebang). */
  range: LineRange[];
}

/**
 * Checks an `escape` directive value and returns the escape token.
 * Throws {@linkcode DockerfileError} unless it is `` ` `` or `\`.
 *
 * @example
 * ```ts
 * import { validateEscapeToken } from "./directives.ts";
 * console.assert(validateEscapeToken("`") === "`");
 * ```
 */
export function validateEscapeToken(value: string, options: { range?: LineRange[] } = {}): string {
  if (value !== "`" && value !== "\\") {
    throw new DockerfileError(`invalid escape token '${value}' does not match \` or \\`, {
      range: options.range ?? [],
    });
  }
  return value;
}

/**
 * Reads directives line by line, enforcing BuildKit's placement rules: once a
 * line is not a directive, no later line is one.
 *
 * @example
 * ```ts
 * import { DirectiveParser } from "./directives.ts";
 * const p = new DirectiveParser();
 * console.assert(p.parseLine("# escape=`")?.value === "`");
 * console.assert(p.parseLine("FROM a") === undefined && p.done);
 * ```
 */
export class DirectiveParser {
  #line: number;
  #comment: string;
  #seen = new Set<string>();
  #done = false;

  /**
   * Creates a parser for one file.
   *
   * @param options.comment comment prefix (`#`, or `//` for {@linkcode detectSyntax})
   * @param options.line number of lines already consumed (e.g. 1 after a shebang)
   */
  constructor(options: { comment?: string; line?: number } = {}) {
    this.#comment = options.comment ?? "#";
    this.#line = options.line ?? 0;
  }

  /** True once a non-directive line was seen. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Feeds the next physical line (without its line ending). Returns the
   * directive it holds, if any. Throws {@linkcode DockerfileError} when a
   * directive is repeated.
   */
  parseLine(line: string): Directive | undefined {
    this.#line++;
    if (this.#done) return undefined;
    if (!line.startsWith(this.#comment)) {
      this.#done = true;
      return undefined;
    }
    const m = reDirective.exec(trimLeftSpace(line.slice(this.#comment.length)));
    if (m === null) {
      this.#done = true;
      return undefined;
    }
    const name = m[1]!.toLowerCase();
    if (!VALID_DIRECTIVES.includes(name)) {
      this.#done = true;
      return undefined;
    }
    const range = [{ start: this.#line, end: this.#line }];
    if (this.#seen.has(name)) {
      throw new DockerfileError(`only one ${name} parser directive can be used`, { range });
    }
    this.#seen.add(name);
    return { name, value: m[2]!, range };
  }

  /**
   * Reads the directives at the top of `input` (lines split like Go's
   * `bufio.ScanLines`: `\n` separated, one trailing `\r` dropped).
   * Throws on a repeated directive.
   */
  parseAll(input: string): Directive[] {
    return collect(this, input, true);
  }
}

function collect(parser: DirectiveParser, input: string, strict: boolean): Directive[] {
  const out: Directive[] = [];
  if (input === "") return out;
  const lines = input.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    if (parser.done) break;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    try {
      const d = parser.parseLine(line);
      if (d !== undefined) out.push(d);
    } catch (e) {
      if (strict) throw e;
      break;
    }
  }
  return out;
}

function toText(input: string | Uint8Array): string {
  const s = typeof input === "string"
    ? input
    : new TextDecoder("utf-8", { ignoreBOM: true }).decode(input);
  return s.startsWith("\ufeff") ? s.slice(1) : s;
}

function find(
  key: string,
  text: string,
  options: { comment: string; line: number },
): DetectedDirective | undefined {
  for (const d of collect(new DirectiveParser(options), text, false)) {
    if (d.name === key) {
      const sp = d.value.indexOf(" ");
      return { ref: sp < 0 ? d.value : d.value.slice(0, sp), cmdline: d.value, range: d.range };
    }
  }
  return undefined;
}

function detect(
  key: string,
  input: string | Uint8Array,
  anyFormat: boolean,
): DetectedDirective | undefined {
  let text = toText(input);
  let line = 0;
  const nl = text.indexOf("\n");
  if ((nl < 0 ? text : text.slice(0, nl)).startsWith("#!")) {
    text = nl < 0 ? "" : text.slice(nl + 1);
    line = 1;
  }
  const hash = find(key, text, { comment: "#", line });
  if (hash !== undefined || !anyFormat) return hash;
  const slashes = find(key, text, { comment: "//", line });
  if (slashes !== undefined) return slashes;
  try {
    const doc: unknown = JSON.parse(text);
    if (doc !== null && typeof doc === "object" && !Array.isArray(doc)) {
      const v = (doc as Record<string, unknown>)[key];
      if (typeof v === "string" && Object.hasOwn(doc, key)) {
        return { ref: v, cmdline: v, range: [{ start: line, end: line }] };
      }
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/**
 * Finds the `syntax` directive like BuildKit's `DetectSyntax`: a UTF-8 BOM and
 * a leading `#!` line are skipped; `# syntax=…`, then `// syntax=…`, then a
 * JSON document `{"syntax": "…"}` are tried.
 *
 * @example
 * ```ts
 * import { detectSyntax } from "./directives.ts";
 * const d = detectSyntax("# syntax = docker/dockerfile:1 --opt\nFROM a\n");
 * console.assert(d?.ref === "docker/dockerfile:1" && d.cmdline.endsWith("--opt"));
 * ```
 */
export function detectSyntax(input: string | Uint8Array): DetectedDirective | undefined {
  return detect("syntax", input, true);
}

/**
 * Finds a `# key=value` directive (only the `#` form) like BuildKit's
 * `ParseDirective`, e.g. `check`.
 *
 * @example
 * ```ts
 * import { parseDirective } from "./directives.ts";
 * console.assert(parseDirective("check", "# check=skip=all\n")?.ref === "skip=all");
 * ```
 */
export function parseDirective(
  key: string,
  input: string | Uint8Array,
): DetectedDirective | undefined {
  return detect(key.toLowerCase(), input, false);
}
