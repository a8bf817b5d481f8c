// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Heredoc recognition for ADD, COPY and RUN (BuildKit's `ParseHeredoc`,
 * `heredocsFromLine` and `ChompHeredocContent` in
 * `frontend/dockerfile/parser/parser.go`).
 *
 * BuildKit lexes the instruction line and the delimiter word with its shell
 * lexer (`shell.Lex.ProcessWords`, escape `\`, unset variables kept as
 * written, an empty environment). This file carries a private, minimal copy of
 * that word splitting so that it does not depend on `./shell/`.
 *
 * @module
 */

import type { Heredoc } from "./ast.ts";
import { DockerfileError } from "./errors.ts";
import { isSpace } from "./line_parsers.ts";
import { goQuote } from "./dump.ts";

// `^(\d*)<<(-?)\s*([^<]*)$` with Go's `\s` (no \v, no Unicode spaces).
const reHeredoc = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;
const reLeadingTabs = /^\t+/gm;

class LexError extends Error {}

interface LexOptions {
  rawQuotes: boolean;
  rawEscapes: boolean;
}

/**
 * A minimal port of BuildKit's shell word splitter for an empty environment
 * with `SkipUnsetEnv`: variables are kept as written, but `${…}` syntax is
 * still checked, quotes and escapes are processed (or kept, in raw modes),
 * and `<<` swallows the blanks that follow it.
 */
class WordLexer {
  #cps: string[];
  #pos = 0;
  #rawQuotes: boolean;
  #rawEscapes: boolean;
  /** The word buffer BuildKit shares between nested scans (see processStopOn). */
  #buf = "";

  constructor(input: string, options: LexOptions) {
    this.#cps = Array.from(input);
    this.#rawQuotes = options.rawQuotes;
    this.#rawEscapes = options.rawEscapes;
  }

  #peek(): string | undefined {
    return this.#cps[this.#pos];
  }

  #next(): string | undefined {
    const ch = this.#cps[this.#pos];
    if (ch !== undefined) this.#pos++;
    return ch;
  }

  /** Splits the whole input into words; throws LexError on syntax errors. */
  words(): string[] {
    return this.#processStopOn(undefined, this.#rawEscapes).words;
  }

  #processStopOn(
    stopChar: string | undefined,
    rawEscapes: boolean,
  ): { result: string; words: string[] } {
    let result = "";
    // Upstream resets the shared word buffer on every (nested) call, which
    // drops a partial word that precedes a `${name<op>…}` expansion.
    this.#buf = "";
    const words: string[] = [];
    let inWord = false;
    const addChar = (ch: string) => {
      if (isSpace(ch.codePointAt(0)!)) {
        if (inWord && this.#buf.length !== 0) {
          words.push(this.#buf);
          this.#buf = "";
          inWord = false;
        }
      } else {
        this.#buf += ch;
        inWord = true;
      }
    };
    const savedRaw = this.#rawEscapes;
    this.#rawEscapes = rawEscapes;
    try {
      for (let ch = this.#peek(); ch !== undefined; ch = this.#peek()) {
        if (stopChar !== undefined && ch === stopChar) {
          this.#next();
          if (this.#buf.length > 0) {
            words.push(this.#buf);
            this.#buf = "";
          }
          return { result, words };
        }
        if (ch === "$") {
          const tmp = this.#processDollar();
          result += tmp;
          for (const c of tmp) addChar(c);
        } else if (ch === "<" || ch === "'" || ch === '"') {
          const tmp = ch === "<"
            ? this.#processPossibleHeredoc()
            : ch === "'"
            ? this.#processSingleQuote()
            : this.#processDoubleQuote();
          result += tmp;
          this.#buf += tmp;
          inWord = true;
        } else {
          let c = this.#next()!;
          if (c === "\\") {
            if (this.#rawEscapes) {
              this.#buf += c;
              inWord = true;
              result += c;
            }
            const n = this.#next();
            if (n === undefined) break;
            c = n;
            this.#buf += c;
            inWord = true;
          } else {
            addChar(c);
          }
          result += c;
        }
      }
      if (stopChar !== undefined) {
        throw new LexError(
          `unexpected end of statement while looking for matching ${stopChar}`,
        );
      }
      if (this.#buf.length > 0) {
        words.push(this.#buf);
        this.#buf = "";
      }
      return { result, words };
    } finally {
      this.#rawEscapes = savedRaw;
    }
  }

  #processSingleQuote(): string {
    let result = "";
    const open = this.#next()!;
    if (this.#rawQuotes) result += open;
    for (;;) {
      const ch = this.#next();
      if (ch === undefined) {
        throw new LexError("unexpected end of statement while looking for matching single-quote");
      }
      if (ch === "'") {
        if (this.#rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  #processDoubleQuote(): string {
    let result = "";
    const open = this.#next()!;
    if (this.#rawQuotes) result += open;
    for (;;) {
      const peek = this.#peek();
      if (peek === undefined) {
        throw new LexError("unexpected end of statement while looking for matching double-quote");
      }
      if (peek === '"') {
        this.#next();
        if (this.#rawQuotes) result += peek;
        return result;
      }
      if (peek === "$") {
        result += this.#processDollar();
        continue;
      }
      let ch = this.#next()!;
      if (ch === "\\") {
        if (this.#rawEscapes) result += ch;
        const p = this.#peek();
        if (p === undefined) continue;
        if (p === '"' || p === "$" || p === "\\") ch = this.#next()!;
      }
      result += ch;
    }
  }

  #processName(): string {
    let name = "";
    for (let ch = this.#peek(); ch !== undefined; ch = this.#peek()) {
      if (name.length === 0 && /^\p{Nd}$/u.test(ch)) {
        while (this.#peek() !== undefined && /^\p{Nd}$/u.test(this.#peek()!)) name += this.#next();
        return name;
      }
      if (name.length === 0 && "@*#?-$!0".includes(ch)) return this.#next()!;
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.#next();
    }
    return name;
  }

  #processDollar(): string {
    this.#next();
    if (this.#peek() !== "{") {
      const name = this.#processName();
      return "$" + name;
    }
    this.#next();
    const p = this.#peek();
    if (p === undefined) throw new LexError("syntax error: missing '}'");
    if (p === "{" || p === "}" || p === ":") throw new LexError("syntax error: bad substitution");
    const name = this.#processName();
    let ch = this.#next();
    let chs = ch ?? "\ufffd";
    switch (ch) {
      case "}":
        return "${" + name + "}";
      case ":":
      case "+":
      case "-":
      case "?":
      case "#":
      case "%": {
        const nullIsUnset = ch === ":";
        if (nullIsUnset) {
          ch = this.#next();
          chs += ch ?? "\ufffd";
        }
        const raw = ch === "#" || ch === "%";
        if (nullIsUnset && raw) throw new LexError(`unsupported modifier (${chs}) in substitution`);
        const word = this.#nested("}", raw, "syntax error: missing '}'");
        return "${" + name + chs + word + "}";
      }
      case "/": {
        if (this.#peek() === "/") this.#next();
        const pattern = this.#nested("/", true, "syntax error: missing '/' in ${}");
        const replacement = this.#nested("}", true, "syntax error: missing '}'");
        return "${" + name + "/" + pattern + "/" + replacement + "}";
      }
      default:
        throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  #nested(stop: string, rawEscapes: boolean, eofMessage: string): string {
    try {
      return this.#processStopOn(stop, rawEscapes).result;
    } catch (e) {
      if (this.#peek() === undefined) throw new LexError(eofMessage);
      throw e;
    }
  }

  #processPossibleHeredoc(): string {
    this.#next();
    if (this.#peek() !== "<") return "<";
    this.#next();
    let result = "<<";
    for (let p = this.#peek(); p === "\t" || p === "\r" || p === " "; p = this.#peek()) {
      result += this.#next();
    }
    return result;
  }
}

function lexWords(input: string, options: LexOptions): string[] {
  return new WordLexer(input, options).words();
}

/**
 * Parses one heredoc word such as `<<EOF`, `<<-'EOF'` or `3<<EOF`.
 * Returns `undefined` when the word is not a heredoc; throws
 * {@linkcode DockerfileError} when its delimiter cannot be lexed
 * (unbalanced quotes). The returned `content` is empty.
 *
 * @example
 * ```ts
 * import { parseHeredoc } from "./heredoc.ts";
 * const h = parseHeredoc("<<-'EOF'");
 * console.assert(h?.name === "EOF" && h.chomp && !h.expand);
 * ```
 */
export function parseHeredoc(word: string): Heredoc | undefined {
  const m = reHeredoc.exec(word);
  if (m === null) return undefined;
  const rest = m[3]!;
  if (rest.length === 0) return undefined;
  let words: string[];
  let wordsRaw: string[];
  try {
    words = lexWords(rest, { rawQuotes: false, rawEscapes: false });
    if (words.length !== 1) return undefined;
    wordsRaw = lexWords(rest, { rawQuotes: true, rawEscapes: false });
  } catch (e) {
    if (e instanceof LexError) {
      throw new DockerfileError(`failed to process ${goQuote(rest)}: ${e.message}`, {
        cause: e,
      });
    }
    throw e;
  }
  if (wordsRaw.length !== words.length) {
    throw new DockerfileError(
      `internal lexing of heredoc produced inconsistent results: ${rest}`,
    );
  }
  const name = words[0]!;
  const quotes = (s: string) => s.split(/['"]/).length - 1;
  const fd = m[1] === "" ? 0 : Number.parseInt(m[1]!, 10);
  return {
    name,
    fileDescriptor: Number.isSafeInteger(fd) ? fd : 0,
    expand: quotes(name) === quotes(wordsRaw[0]!),
    chomp: m[2] === "-",
    content: "",
  };
}

/**
 * Finds the heredocs announced on an instruction line, in order, e.g.
 * `COPY <<A <<B /dest` → `A`, `B`. A line that cannot be lexed (unbalanced
 * quotes) announces none. Contents are left empty.
 *
 * @example
 * ```ts
 * import { heredocsFromLine } from "./heredoc.ts";
 * console.assert(heredocsFromLine("RUN <<EOF <<EOF2").length === 2);
 * console.assert(heredocsFromLine("RUN '<<EOF'").length === 0);
 * ```
 */
export function heredocsFromLine(line: string): Heredoc[] {
  let words: string[];
  try {
    words = lexWords(line, { rawQuotes: true, rawEscapes: true });
  } catch (e) {
    if (e instanceof LexError) return [];
    throw e;
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredoc(word);
    if (doc !== undefined) docs.push(doc);
  }
  return docs;
}

/**
 * Removes the leading tabs of every line (what `<<-` does to a heredoc body).
 *
 * @example
 * ```ts
 * import { chompHeredocContent } from "./heredoc.ts";
 * console.assert(chompHeredocContent("\thello\n\tworld\n") === "hello\nworld\n");
 * ```
 */
export function chompHeredocContent(s: string): string {
  return s.replace(reLeadingTabs, "");
}
