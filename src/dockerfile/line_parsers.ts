// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Per-instruction argument parsers, shaped like BuildKit's
 * `frontend/dockerfile/parser/line_parsers.go` and `split_command.go`.
 *
 * Each parser receives `rest` (the logical line after the keyword and the
 * builder flags, trimmed) and returns the argument chain of the instruction.
 *
 * @module
 */

import type { Node } from "./ast.ts";
import { DockerfileError } from "./errors.ts";
import { goQuote } from "./dump.ts";

/** Message of the error raised when a JSON array holds something other than strings. */
export const NOT_STRING_ARRAY_MESSAGE =
  "when using JSON array syntax, arrays must be comprised of strings only";

/** Options shared by the line parsers. */
export interface LineParserOptions {
  /** Escape token in effect (`\\` or `` ` ``). */
  escapeToken: string;
}

/** The argument chain produced for one instruction. */
export interface ArgumentChain {
  /** Argument nodes in order (BuildKit's `Next` list). */
  next: Node[];
  /** True when the arguments were written as a JSON array (exec form). */
  json: boolean;
}

/**
 * Reports whether a code point is white space by Go's `unicode.IsSpace`
 * (Unicode White_Space; unlike JavaScript's `\s` it excludes U+FEFF and
 * includes U+0085).
 *
 * @example
 * ```ts
 * import { isSpace } from "./line_parsers.ts";
 * console.assert(isSpace(0x20) && !isSpace(0xfeff));
 * ```
 */
export function isSpace(cp: number): boolean {
  if (cp <= 0xff) {
    return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0xa0;
  }
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 ||
    cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/**
 * Removes leading white space (Go `strings.TrimLeftFunc(s, unicode.IsSpace)`).
 *
 * @example
 * ```ts
 * import { trimLeftSpace } from "./line_parsers.ts";
 * console.assert(trimLeftSpace(" \tRUN") === "RUN");
 * ```
 */
export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i)!;
    if (!isSpace(cp)) break;
    i += cp > 0xffff ? 2 : 1;
  }
  return i === 0 ? s : s.slice(i);
}

/**
 * Removes trailing white space (Go `strings.TrimRightFunc(s, unicode.IsSpace)`).
 *
 * @example
 * ```ts
 * import { trimRightSpace } from "./line_parsers.ts";
 * console.assert(trimRightSpace("a \n") === "a");
 * ```
 */
export function trimRightSpace(s: string): string {
  let end = s.length;
  // Every Go space is in the BMP, so code units suffice here.
  while (end > 0 && isSpace(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * Removes white space at both ends (Go `strings.TrimSpace`).
 *
 * @example
 * ```ts
 * import { trimSpace } from "./line_parsers.ts";
 * console.assert(trimSpace("  a b  ") === "a b");
 * ```
 */
export function trimSpace(s: string): string {
  return trimRightSpace(trimLeftSpace(s));
}

const reWhitespace = /[\t\v\f\r ]+/;
const reWhitespaceGlobal = /[\t\v\f\r ]+/g;

/**
 * Splits on runs of `[\t\v\f\r ]` like Go's `regexp.Split(s, n)`;
 * `limit` 2 splits once.
 *
 * @example
 * ```ts
 * import { splitWhitespace } from "./line_parsers.ts";
 * console.assert(splitWhitespace("a  b c", 2).length === 2);
 * ```
 */
export function splitWhitespace(s: string, limit = -1): string[] {
  if (limit === 2) {
    const m = reWhitespace.exec(s);
    if (m === null) return [s];
    return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
  }
  return s.split(reWhitespaceGlobal);
}

/** Creates an argument node carrying only a value. */
export function argumentNode(value: string): Node {
  return {
    value,
    next: [],
    children: [],
    flags: [],
    json: false,
    original: "",
    heredocs: [],
    prevComment: [],
    startLine: 0,
    endLine: 0,
  };
}

function chain(values: string[], json = false): ArgumentChain {
  return { next: values.map(argumentNode), json };
}

/**
 * Splits `rest` into words like BuildKit's `parseWords`: quotes and escape
 * tokens are kept verbatim, quoted spans keep their spaces.
 *
 * @example
 * ```ts
 * import { parseWords } from "./line_parsers.ts";
 * console.assert(parseWords("foo 'a b'", { escapeToken: "\\" })[1] === "'a b'");
 * ```
 */
export function parseWords(rest: string, options: LineParserOptions): string[] {
  // Every character is kept verbatim except an escape token at the very end
  // of the input, so each word is a slice of `rest`. Code units suffice:
  // quotes, escape tokens and Go's spaces are all in the BMP.
  const esc = options.escapeToken.charCodeAt(0);
  const words: string[] = [];
  const n = rest.length;
  let phase: 0 | 1 | 2 = 0; // 0 = in spaces, 1 = in word, 2 = in quote
  let quote = 0;
  let blankOK = false;
  let start = 0;
  let end = 0; // the word is rest.slice(start, end)
  for (let pos = 0; pos <= n; pos++) {
    const ch = pos < n ? rest.charCodeAt(pos) : -1;
    if (phase === 0) {
      if (pos === n) break;
      if (isSpace(ch)) continue;
      phase = 1;
      start = end = pos;
    }
    if (pos === n) {
      if (blankOK || end > start) words.push(rest.slice(start, end));
      break;
    }
    if (phase === 1) {
      if (isSpace(ch)) {
        phase = 0;
        if (blankOK || end > start) words.push(rest.slice(start, end));
        blankOK = false;
        continue;
      }
      if (ch === 0x27 || ch === 0x22) {
        quote = ch;
        blankOK = true;
        phase = 2;
      }
      if (ch === esc) {
        if (pos + 1 === n) continue; // an escape token at the very end is dropped
        pos++;
      }
      end = pos + 1;
      continue;
    }
    // phase 2: inside quotes
    if (ch === quote) phase = 1;
    if (ch === esc && quote !== 0x27) {
      if (pos + 1 === n) {
        phase = 1;
        continue;
      }
      pos++;
    }
    end = pos + 1;
  }
  return words;
}

/**
 * Parses a JSON (exec form) array of strings. Returns `undefined` when `input`
 * is not a JSON array at all (the caller then falls back to shell form) and
 * throws {@linkcode DockerfileError} when it is an array holding non-strings.
 *
 * @example
 * ```ts
 * import { parseJSON } from "./line_parsers.ts";
 * console.assert(parseJSON(' ["a", "b"]')?.length === 2);
 * console.assert(parseJSON("['a']") === undefined);
 * ```
 */
export function parseJSON(input: string): string[] | undefined {
  const rest = trimLeftSpace(input);
  if (!rest.startsWith("[")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  // Go's decoder rejects numbers that overflow float64 (the whole value then
  // counts as "not JSON"), even after a non-string element.
  if (parsed.some((v) => typeof v === "number" && !Number.isFinite(v))) return undefined;
  const out: string[] = [];
  for (const v of parsed) {
    if (typeof v !== "string") throw new DockerfileError(NOT_STRING_ARRAY_MESSAGE);
    out.push(v);
  }
  return out;
}

/**
 * For ADD, COPY and VOLUME: a JSON array, else whitespace-separated words.
 *
 * @example
 * ```ts
 * import { parseMaybeJSONToList } from "./line_parsers.ts";
 * console.assert(parseMaybeJSONToList("a b").next.length === 2);
 * ```
 */
export function parseMaybeJSONToList(rest: string): ArgumentChain {
  const json = parseJSON(rest);
  if (json !== undefined) return chain(json, true);
  return parseStringsWhitespaceDelimited(rest);
}

/**
 * For RUN, CMD, ENTRYPOINT and SHELL: a JSON array, else one node with the
 * whole text.
 *
 * @example
 * ```ts
 * import { parseMaybeJSON } from "./line_parsers.ts";
 * console.assert(parseMaybeJSON("echo hi").next[0]?.value === "echo hi");
 * ```
 */
export function parseMaybeJSON(rest: string): ArgumentChain {
  if (rest === "") return chain([]);
  const json = parseJSON(rest);
  if (json !== undefined) return chain(json, true);
  return chain([rest]);
}

/**
 * For FROM and EXPOSE: words split on `[\t\v\f\r ]+`.
 *
 * @example
 * ```ts
 * import { parseStringsWhitespaceDelimited } from "./line_parsers.ts";
 * console.assert(parseStringsWhitespaceDelimited("a\tb").next.length === 2);
 * ```
 */
export function parseStringsWhitespaceDelimited(rest: string): ArgumentChain {
  if (rest === "") return chain([]);
  return chain(splitWhitespace(rest));
}

/**
 * For MAINTAINER, STOPSIGNAL, USER and WORKDIR: one node with the whole text.
 *
 * @example
 * ```ts
 * import { parseString } from "./line_parsers.ts";
 * console.assert(parseString("a b").next.length === 1);
 * ```
 */
export function parseString(rest: string): ArgumentChain {
  return chain(rest === "" ? [] : [rest]);
}

/**
 * For ARG: the words of {@linkcode parseWords}, quotes kept.
 *
 * @example
 * ```ts
 * import { parseNameOrNameVal } from "./line_parsers.ts";
 * console.assert(parseNameOrNameVal("A B=1", { escapeToken: "\\" }).next.length === 2);
 * ```
 */
export function parseNameOrNameVal(rest: string, options: LineParserOptions): ArgumentChain {
  return chain(parseWords(rest, options));
}

/**
 * For ENV and LABEL: `key, value, sep` triples. The legacy `KEY value` form
 * yields one triple with sep `""`; `k=v` words yield sep `"="`.
 *
 * @example
 * ```ts
 * import { parseNameVal } from "./line_parsers.ts";
 * const c = parseNameVal("a=1 b=2", "ENV", { escapeToken: "\\" });
 * console.assert(c.next.length === 6);
 * ```
 */
export function parseNameVal(
  rest: string,
  key: string,
  options: LineParserOptions,
): ArgumentChain {
  const words = parseWords(rest, options);
  if (words.length === 0) return chain([]);
  if (!words[0]!.includes("=")) {
    const parts = splitWhitespace(rest, 2);
    if (parts.length < 2) throw new DockerfileError(`${key} must have two arguments`);
    return chain([parts[0]!, parts[1]!, ""]);
  }
  const values: string[] = [];
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 0) {
      throw new DockerfileError(
        `Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`,
      );
    }
    values.push(word.slice(0, eq), word.slice(eq + 1), "=");
  }
  return chain(values);
}

/**
 * For HEALTHCHECK: the first word (`CMD`, `NONE`, …) then the rest parsed
 * like {@linkcode parseMaybeJSON}.
 *
 * @example
 * ```ts
 * import { parseHealthConfig } from "./line_parsers.ts";
 * console.assert(parseHealthConfig('CMD ["a"]').json);
 * ```
 */
export function parseHealthConfig(rest: string): ArgumentChain {
  // BuildKit scans bytes here; code units give the same result for ASCII.
  let sep = 0;
  while (sep < rest.length && !isSpace(rest.charCodeAt(sep))) sep++;
  let next = sep;
  while (next < rest.length && isSpace(rest.charCodeAt(next))) next++;
  if (sep === 0) return chain([]);
  const cmd = parseMaybeJSON(rest.slice(next));
  return { next: [argumentNode(rest.slice(0, sep)), ...cmd.next], json: cmd.json };
}

/** The keyword, flags and remaining arguments of one logical line. */
export interface SplitCommand {
  /** Keyword as written. */
  cmd: string;
  /** Builder flags (`--name=value`), quotes removed. */
  flags: string[];
  /** Arguments after the flags, trimmed. */
  args: string;
}

/**
 * Splits a logical line into keyword, builder flags and arguments
 * (BuildKit's `splitCommand`).
 *
 * @example
 * ```ts
 * import { splitCommand } from "./line_parsers.ts";
 * const s = splitCommand("COPY --from=a x y", { escapeToken: "\\" });
 * console.assert(s.cmd === "COPY" && s.flags[0] === "--from=a" && s.args === "x y");
 * ```
 */
export function splitCommand(line: string, options: LineParserOptions): SplitCommand {
  const parts = splitWhitespace(trimSpace(line), 2);
  let args = "";
  let flags: string[] = [];
  if (parts.length === 2) {
    const extracted = extractBuilderFlags(parts[1]!, options);
    args = extracted.rest;
    flags = extracted.flags;
  }
  return { cmd: parts[0]!, flags, args: trimSpace(args) };
}

/**
 * Takes the leading `--flag` words off `line`. A bare `--` ends the flags and
 * is dropped. Quotes inside flag words are removed; the escape token escapes
 * the next character.
 *
 * @example
 * ```ts
 * import { extractBuilderFlags } from "./line_parsers.ts";
 * const r = extractBuilderFlags('--a="x y" -- b', { escapeToken: "\\" });
 * console.assert(r.flags[0] === "--a=x y" && r.rest === " b");
 * ```
 */
export function extractBuilderFlags(
  line: string,
  options: LineParserOptions,
): { rest: string; flags: string[] } {
  const esc = options.escapeToken;
  const words: string[] = [];
  let phase: 0 | 1 | 2 = 0;
  let word = "";
  let quote = "";
  let blankOK = false;
  const n = line.length;
  for (let pos = 0; pos <= n; pos++) {
    let ch = pos < n ? line[pos]! : "";
    if (phase === 0) {
      if (pos === n) break;
      if (isSpace(line.charCodeAt(pos))) continue;
      if (ch !== "-" || pos + 1 === n || line[pos + 1] !== "-") {
        return { rest: line.slice(pos), flags: words };
      }
      phase = 1;
    }
    if (pos === n) {
      if (word !== "--" && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 1) {
      if (isSpace(line.charCodeAt(pos))) {
        phase = 0;
        if (word === "--") return { rest: line.slice(pos), flags: words };
        if (blankOK || word.length > 0) words.push(word);
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 2;
        continue;
      }
      if (ch === esc) {
        if (pos + 1 === n) continue;
        pos++;
        ch = line[pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 1;
      continue;
    }
    if (ch === esc) {
      if (pos + 1 === n) {
        phase = 1;
        continue;
      }
      pos++;
      ch = line[pos]!;
    }
    word += ch;
  }
  return { rest: "", flags: words };
}
