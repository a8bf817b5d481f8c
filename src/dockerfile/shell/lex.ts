// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Dockerfile word expansion: quotes, escapes and `$VAR` / `${VAR…}` substitution,
 * following BuildKit's `frontend/dockerfile/shell/lex.go` rule for rule.
 *
 * @module
 */

import { goQuote } from "../dump.ts";
import { DockerfileError } from "../errors.ts";

/**
 * Read access to the variables a word is expanded with. A `Map<string, string>`
 * fits as is. A variable is "set" when `get` returns a string (even `""`).
 *
 * On Windows BuildKit compares keys case-insensitively; pass
 * `{ platform: "windows" }` to {@linkcode ShellLex} (a `Map` is then searched
 * case-insensitively) or build the lookup with {@linkcode createShellEnv}.
 *
 * @example
 * ```ts
 * import { ShellLex, type ShellEnv } from "./lex.ts";
 * const env: ShellEnv = new Map([["A", "1"]]);
 * console.assert(new ShellLex().processWord("$A", env) === "1");
 * ```
 */
export interface ShellEnv {
  /** The value of `name`, or `undefined` when the variable is unset. */
  get(name: string): string | undefined;
}

/** The platform whose environment-key rules apply. */
export type ShellPlatform = "linux" | "windows";

/**
 * Switches of the lexer, named like BuildKit's `Lex` fields.
 *
 * @example
 * ```ts
 * import { ShellLex, type ShellLexOptions } from "./lex.ts";
 * const opts: ShellLexOptions = { rawQuotes: true };
 * console.assert(new ShellLex("\\", opts).processWord("'a'", new Map()) === "'a'");
 * ```
 */
export interface ShellLexOptions {
  /** Keep quote characters in the result (their contents are still treated as quoted). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the result (the escaped character is still taken literally). */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (`$X`, `${X:-y}`) instead of expanding them. */
  skipUnsetEnv?: boolean;
  /** Treat `'` and `"` as ordinary characters. */
  skipProcessQuotes?: boolean;
  /** `windows` makes variable names case-insensitive. Default `linux`. */
  platform?: ShellPlatform;
}

/**
 * Everything one expansion produces.
 *
 * @example
 * ```ts
 * import { ShellLex } from "./lex.ts";
 * const r = new ShellLex().process("a ${B:-c d}", new Map());
 * console.assert(r.words.length === 3 && r.unmatched.has("B"));
 * ```
 */
export interface ShellWordResult {
  /** The expanded word, quotes removed, no word splitting. */
  result: string;
  /** The expanded text split on unquoted whitespace (quoted parts are never split). */
  words: string[];
  /** Names that were looked up and found set (possibly to `""`). */
  matched: Set<string>;
  /** Names that were looked up and found unset. */
  unmatched: Set<string>;
}

/** {@linkcode ShellLex.processWordWithMatches}'s answer. */
export type ShellMatchResult = Omit<ShellWordResult, "words">;

/**
 * A word that cannot be expanded. The message is BuildKit's:
 * `failed to process "<word>": <reason>`.
 *
 * @example
 * ```ts
 * import { ShellExpansionError, ShellLex } from "./lex.ts";
 * try {
 *   new ShellLex().processWord("${}", new Map());
 * } catch (err) {
 *   console.assert(err instanceof ShellExpansionError && err.reason === "syntax error: bad substitution");
 * }
 * ```
 */
export class ShellExpansionError extends DockerfileError {
  /** The word as given to the lexer. */
  readonly word: string;
  /** The cause without the `failed to process` prefix, e.g. `syntax error: missing '}'`. */
  readonly reason: string;

  constructor(word: string, reason: string) {
    super(`failed to process ${goQuote(word)}: ${reason}`);
    this.name = "ShellExpansionError";
    this.word = word;
    this.reason = reason;
  }
}

/**
 * Builds a {@linkcode ShellEnv} from a map, a record, `[key, value]` pairs or
 * `key=value` strings (a string without `=` sets the key to `""`). Later entries
 * override earlier ones; on Windows keys are compared upper-cased, like
 * BuildKit's `EnvsFromSlice`.
 *
 * @example
 * ```ts
 * import { createShellEnv } from "./lex.ts";
 * const env = createShellEnv(["Path=/bin", "HOME=/root"], { platform: "windows" });
 * console.assert(env.get("PATH") === "/bin");
 * ```
 */
export function createShellEnv(
  source:
    | ReadonlyMap<string, string>
    | Readonly<Record<string, string>>
    | Iterable<string | readonly [string, string]>,
  options: { platform?: ShellPlatform } = {},
): ShellEnv {
  const windows = options.platform === "windows";
  const norm = windows ? normalizeWindowsKey : (k: string) => k;
  const map = new Map<string, string>();
  const pairs: Iterable<string | readonly [string, string]> =
    source instanceof Map || isIterable(source)
      ? source as Iterable<string | readonly [string, string]>
      : Object.entries(source as Record<string, string>);
  for (const item of pairs) {
    if (typeof item === "string") {
      const eq = item.indexOf("=");
      if (eq < 0) map.set(norm(item), "");
      else map.set(norm(item.slice(0, eq)), item.slice(eq + 1));
    } else {
      map.set(norm(item[0]), item[1]);
    }
  }
  return { get: (name) => map.get(norm(name)) };
}

/**
 * The Dockerfile word lexer (BuildKit's `shell.Lex`). Unlike BuildKit's, an
 * instance keeps no state between calls and can be shared.
 *
 * Differences from BuildKit, on purpose: BuildKit's `ProcessWords` shares one
 * word buffer between nested `${…}` scans, so the unfinished word before a
 * `${X:-…}` is lost (`a${X:-b}` gives `["b"]`); here it gives `["ab"]`.
 *
 * @example
 * ```ts
 * import { ShellLex } from "./lex.ts";
 * const lex = new ShellLex("\\");
 * const env = new Map([["PWD", "/home"]]);
 * console.assert(lex.processWord("he${PWD:-x}", env) === "he/home");
 * console.assert(lex.processWords("a \"b c\"", env).length === 2);
 * ```
 */
export class ShellLex {
  /** The escape token: `\` (default) or `` ` `` (from `# escape=`). */
  readonly escapeToken: string;
  /** The switches in effect. */
  readonly options: Readonly<ShellLexOptions>;

  constructor(escapeToken = "\\", options: ShellLexOptions = {}) {
    if ([...escapeToken].length !== 1) {
      throw new TypeError(`escape token must be a single character, got ${goQuote(escapeToken)}`);
    }
    this.escapeToken = escapeToken;
    this.options = { ...options };
  }

  /**
   * A copy of this lexer with some switches changed.
   *
   * @example
   * ```ts
   * import { ShellLex } from "./lex.ts";
   * const raw = new ShellLex().withOptions({ rawQuotes: true });
   * console.assert(raw.processWord('"a"', new Map()) === '"a"');
   * ```
   */
  withOptions(options: ShellLexOptions): ShellLex {
    return new ShellLex(this.escapeToken, { ...this.options, ...options });
  }

  /**
   * Expands `word` into one string (quotes removed, no word splitting).
   * Throws {@linkcode ShellExpansionError}.
   *
   * @example
   * ```ts
   * import { ShellLex } from "./lex.ts";
   * console.assert(new ShellLex().processWord("'$A'$A", new Map([["A", "x"]])) === "$Ax");
   * ```
   */
  processWord(word: string, env: ShellEnv): string {
    return this.process(word, env).result;
  }

  /**
   * Expands `word` and splits the result on unquoted, unescaped whitespace
   * (whitespace coming from a variable value splits too). Empty words are dropped.
   * Throws {@linkcode ShellExpansionError}.
   *
   * @example
   * ```ts
   * import { ShellLex } from "./lex.ts";
   * const words = new ShellLex().processWords("$A 'c  d'", new Map([["A", "a b"]]));
   * console.assert(words.join("|") === "a|b|c  d");
   * ```
   */
  processWords(word: string, env: ShellEnv): string[] {
    return this.process(word, env).words;
  }

  /**
   * Expands `word` and reports which variable names were looked up and found
   * set (`matched`) or unset (`unmatched`). Throws {@linkcode ShellExpansionError}.
   *
   * @example
   * ```ts
   * import { ShellLex } from "./lex.ts";
   * const r = new ShellLex().processWordWithMatches("${A-x}$B", new Map([["A", ""]]));
   * console.assert(r.result === "" && r.matched.has("A") && r.unmatched.has("B"));
   * ```
   */
  processWordWithMatches(word: string, env: ShellEnv): ShellMatchResult {
    const { result, matched, unmatched } = this.process(word, env);
    return { result, matched, unmatched };
  }

  /**
   * Expands `word` and returns the single-word result, the split words and
   * the matched/unmatched names at once. Throws {@linkcode ShellExpansionError}.
   *
   * @example
   * ```ts
   * import { ShellLex } from "./lex.ts";
   * const r = new ShellLex().process("a b", new Map());
   * console.assert(r.result === "a b" && r.words.length === 2);
   * ```
   */
  process(word: string, env: ShellEnv): ShellWordResult {
    const run = new Expansion(this.escapeToken, this.options, lookupFor(env, this.options));
    run.reset(word);
    try {
      const { result, words } = run.scanUntil(EOF, this.options.rawEscapes === true);
      return { result, words, matched: run.matched, unmatched: run.unmatched };
    } catch (err) {
      if (err instanceof Reason) throw new ShellExpansionError(word, err.message);
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------
// The scanner and the expansion rules.

/** End of input, as returned by `peek`/`next`. */
const EOF = "";
/** What Go prints for `string(EOF)` / `%c` of EOF. */
const EOF_TEXT = "\uFFFD";

/** An expansion failure before the `failed to process` wrapping. */
class Reason extends Error {}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

function isLetter(ch: string): boolean {
  return ch !== EOF && LETTER.test(ch);
}

function isDigit(ch: string): boolean {
  return ch !== EOF && DIGIT.test(ch);
}

/** Go's `unicode.IsSpace`. */
function isSpace(ch: string): boolean {
  switch (ch) {
    case "\t":
    case "\n":
    case "\v":
    case "\f":
    case "\r":
    case " ":
    case "\u0085":
    case "\u00a0":
    case "\u1680":
    case "\u2028":
    case "\u2029":
    case "\u202f":
    case "\u205f":
    case "\u3000":
      return true;
  }
  return ch >= "\u2000" && ch <= "\u200a" && ch.length === 1;
}

/** POSIX special parameters: `$@ $* $# $? $- $$ $! $0` (always unset here). */
function isSpecialParam(ch: string): boolean {
  return ch.length === 1 && "@*#?-$!0".includes(ch);
}

/** Word splitting while scanning (BuildKit's `wordsStruct`). */
class WordSplitter {
  words: string[] = [];
  #buf = "";
  #inWord = false;

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.#inWord && this.#buf.length !== 0) {
        this.words.push(this.#buf);
        this.#buf = "";
        this.#inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.#buf += ch;
    this.#inWord = true;
  }

  addString(str: string): void {
    for (const ch of str) this.addChar(ch);
  }

  addRawString(str: string): void {
    this.#buf += str;
    this.#inWord = true;
  }

  finish(): string[] {
    if (this.#buf.length > 0) {
      this.words.push(this.#buf);
      this.#buf = "";
      this.#inWord = false;
    }
    return this.words;
  }
}

type Lookup = (name: string) => string | undefined;

function lookupFor(env: ShellEnv, options: ShellLexOptions): Lookup {
  if (options.platform !== "windows" || !(env instanceof Map)) return (name) => env.get(name);
  // A plain Map on Windows: compare upper-cased keys; the last matching entry wins,
  // as when BuildKit builds its env from a list.
  let folded: Map<string, string> | undefined;
  return (name) => {
    if (folded === undefined) {
      folded = new Map();
      for (const [k, v] of env as Map<string, string>) folded.set(normalizeWindowsKey(k), v);
    }
    return folded.get(normalizeWindowsKey(name));
  };
}

/** Go's `strings.ToUpper` (simple, one-to-one case mapping per code point). */
function normalizeWindowsKey(key: string): string {
  let out = "";
  for (const ch of key) {
    const up = ch.toUpperCase();
    out += up.length === ch.length && [...up].length === 1 ? up : ch;
  }
  return out;
}

/** One run of the lexer over one word. */
class Expansion {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  #chars: string[] = [];
  #pos = 0;
  #rawEscapes = false;

  readonly escapeToken: string;
  readonly options: Readonly<ShellLexOptions>;
  readonly lookup: Lookup;

  constructor(escapeToken: string, options: Readonly<ShellLexOptions>, lookup: Lookup) {
    this.escapeToken = escapeToken;
    this.options = options;
    this.lookup = lookup;
  }

  reset(word: string): void {
    this.#chars = Array.from(word);
    // Go's text/scanner drops a byte order mark at the very start.
    this.#pos = this.#chars[0] === "\uFEFF" ? 1 : 0;
  }

  peek(): string {
    return this.#chars[this.#pos] ?? EOF;
  }

  next(): string {
    const ch = this.#chars[this.#pos];
    if (ch === undefined) return EOF;
    this.#pos++;
    return ch;
  }

  getEnv(name: string): string | undefined {
    const value = this.lookup(name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }

  /**
   * Scans up to `stop` (consumed) or to the end of input when `stop` is EOF.
   * `rawEscapes` applies while this scan runs (BuildKit's `processStopOn`).
   */
  scanUntil(stop: string, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.#rawEscapes;
    this.#rawEscapes = rawEscapes;
    try {
      return this.#scanUntil(stop);
    } finally {
      this.#rawEscapes = saved;
    }
  }

  #scanUntil(stop: string): { result: string; words: string[] } {
    let result = "";
    const words = new WordSplitter();
    const quotes = this.options.skipProcessQuotes !== true;
    for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
      if (stop !== EOF && ch === stop) {
        this.next();
        return { result, words: words.finish() };
      }
      if (ch === "$") {
        const tmp = this.dollar();
        result += tmp;
        words.addString(tmp);
      } else if (ch === "<") {
        const tmp = this.possibleHeredoc();
        result += tmp;
        words.addRawString(tmp);
      } else if (quotes && (ch === "'" || ch === '"')) {
        const tmp = ch === "'" ? this.singleQuote() : this.doubleQuote();
        result += tmp;
        words.addRawString(tmp);
      } else {
        let c = this.next();
        if (c === this.escapeToken) {
          if (this.#rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          // The escape token escapes the next character; at the end it is dropped.
          c = this.next();
          if (c === EOF) break;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
    }
    if (stop !== EOF) {
      throw new Reason(`unexpected end of statement while looking for matching ${stop}`);
    }
    return { result, words: words.finish() };
  }

  /** `'…'`: everything literal up to the next `'`. */
  singleQuote(): string {
    const raw = this.options.rawQuotes === true;
    const open = this.next();
    let result = raw ? open : "";
    for (;;) {
      const ch = this.next();
      if (ch === EOF) {
        throw new Reason("unexpected end of statement while looking for matching single-quote");
      }
      if (ch === "'") return raw ? result + ch : result;
      result += ch;
    }
  }

  /** `"…"`: `$` expands; the escape token escapes only `"`, `$` and itself. */
  doubleQuote(): string {
    const raw = this.options.rawQuotes === true;
    const open = this.next();
    let result = raw ? open : "";
    for (;;) {
      const p = this.peek();
      if (p === EOF) {
        throw new Reason("unexpected end of statement while looking for matching double-quote");
      }
      if (p === '"') {
        this.next();
        return raw ? result + p : result;
      }
      if (p === "$") {
        result += this.dollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.escapeToken) {
        if (this.#rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue; // dropped; the loop then reports the missing quote
        if (after === '"' || after === "$" || after === this.escapeToken) ch = this.next();
      }
      result += ch;
    }
  }

  /** `<<` plus following blanks stays together as one word (heredoc detection). */
  possibleHeredoc(): string {
    this.next();
    if (this.peek() !== "<") return "<";
    this.next();
    let result = "<<";
    for (let p = this.peek(); p === "\t" || p === "\r" || p === " "; p = this.peek()) {
      result += this.next();
    }
    return result;
  }

  /** A name after `$`: digits, one special parameter, or letters/digits/`_`. */
  name(): string {
    let name = "";
    for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
      if (name === "" && isDigit(ch)) {
        while (isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === "" && isSpecialParam(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== "_") break;
      name += this.next();
    }
    return name;
  }

  /** Everything starting at `$`. */
  dollar(): string {
    const skipUnset = this.options.skipUnsetEnv === true;
    this.next(); // `$`
    if (this.peek() !== "{") {
      const name = this.name();
      if (name === "") return "$";
      const value = this.getEnv(name);
      if (value === undefined) return skipUnset ? "$" + name : "";
      return value;
    }
    this.next(); // `{`
    const first = this.peek();
    if (first === EOF) throw new Reason("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") {
      throw new Reason("syntax error: bad substitution");
    }
    const name = this.name();
    let ch = this.next();
    let modifier = ch === EOF ? EOF_TEXT : ch;

    if (ch === "}") {
      const value = this.getEnv(name);
      if (value === undefined) return skipUnset ? "${" + name + "}" : "";
      return value;
    }

    if (ch === ":" || ch === "+" || ch === "-" || ch === "?" || ch === "#" || ch === "%") {
      let nullIsUnset = false;
      if (ch === ":") {
        // `${a:X…}`: whatever follows the colon is the operator, checked below.
        nullIsUnset = true;
        ch = this.next();
        modifier += ch === EOF ? EOF_TEXT : ch;
      }
      // Patterns keep their escapes so that `\*` can reach the pattern compiler.
      const rawEscapes = ch === "#" || ch === "%";
      if (nullIsUnset && rawEscapes) {
        throw new Reason(`unsupported modifier (${modifier}) in substitution`);
      }
      const word = this.scanNested("}", rawEscapes, "syntax error: missing '}'");
      const value = this.getEnv(name);
      if (skipUnset && value === undefined) return "${" + name + modifier + word + "}";
      const unsetOrNull = value === undefined || (nullIsUnset && value === "");
      switch (ch) {
        case "-":
          return unsetOrNull ? word : value ?? "";
        case "+":
          return unsetOrNull ? "" : word;
        case "?":
          if (value === undefined) {
            throw new Reason(`${name}: ${word !== "" ? word : "is not allowed to be unset"}`);
          }
          if (nullIsUnset && value === "") {
            throw new Reason(`${name}: ${word !== "" ? word : "is not allowed to be empty"}`);
          }
          return value;
        case "#":
        case "%": {
          // A doubled operator (`##`, `%%`) asks for the longest match.
          const greedy = word.startsWith(ch);
          const pattern = greedy ? word.slice(1) : word;
          return ch === "%"
            ? trimSuffix(pattern, value ?? "", greedy)
            : trimPrefix(pattern, value ?? "", greedy);
        }
        default:
          throw new Reason(`unsupported modifier (${modifier}) in substitution`);
      }
    }

    if (ch === "/") {
      const all = this.peek() === "/";
      if (all) this.next();
      const pattern = this.scanNested("/", true, "syntax error: missing '/' in ${}");
      const replacement = this.scanNested("}", true, "syntax error: missing '}'");
      const value = this.getEnv(name);
      if (skipUnset && value === undefined) {
        // BuildKit writes a single `/` back even for `//`.
        return "${" + name + "/" + pattern + "/" + replacement + "}";
      }
      return replacePattern(value ?? "", pattern, replacement, all);
    }

    throw new Reason(`unsupported modifier (${modifier}) in substitution`);
  }

  /** A nested scan inside `${…}`; running out of input becomes `atEof`. */
  scanNested(stop: string, rawEscapes: boolean, atEof: string): string {
    try {
      return this.scanUntil(stop, rawEscapes).result;
    } catch (err) {
      if (err instanceof Reason && this.peek() === EOF) throw new Reason(atEof);
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------
// Patterns of `${a#p}`, `${a%p}`, `${a/p/r}`.
//
// BuildKit turns the pattern into a Go regexp (`*` → `.*` or `.*?`, `?` → `.`)
// and lets RE2 find the leftmost-first match. Here the pattern is a token list
// run by a small Pike VM with the same thread priorities, so the result is the
// same and the time stays proportional to pattern × value (no backtracking). Like Go's
// `.`, `*` and `?` never match a newline.

/** One pattern element: `*`, `?`, or one literal code point. */
type PatternToken = { kind: "star" } | { kind: "any" } | { kind: "lit"; ch: string };

/** Characters escaped when writing a literal in RE2 syntax. */
const REGEX_META = new Set([..."[]{}.+()|^$*?\\"]);

/** Tokenizes a shell pattern; throws `Reason` with the bare `invalid escape` text. */
function compilePattern(pattern: string): PatternToken[] {
  const chars = Array.from(pattern);
  const out: PatternToken[] = [];
  let i = chars[0] === "\uFEFF" ? 1 : 0; // text/scanner skips a leading BOM
  while (i < chars.length) {
    const ch = chars[i++] as string;
    if (ch === "*") {
      out.push({ kind: "star" });
    } else if (ch === "?") {
      out.push({ kind: "any" });
    } else if (ch === "\\") {
      const nextCh = chars[i];
      // `\}` and `\/` only protect the `${}` delimiters; the character itself is literal.
      if (nextCh === "}" || nextCh === "/") continue;
      i++;
      if (nextCh !== "*" && nextCh !== "?" && nextCh !== "\\") {
        throw new Reason(`invalid escape '\\${nextCh ?? EOF_TEXT}'`);
      }
      out.push({ kind: "lit", ch: nextCh });
    } else {
      out.push({ kind: "lit", ch });
    }
  }
  return out;
}

/**
 * The RE2 expression BuildKit's `convertShellPatternToRegex` builds for a
 * pattern. Internal helper, exported for the conformance runner only (the
 * lexer does not use regular expressions).
 *
 * @example
 * ```ts
 * import { shellPatternToRegexSource } from "./lex.ts";
 * console.assert(shellPatternToRegexSource("a*", { greedy: true, anchored: true }) === "^a.*");
 * ```
 */
export function shellPatternToRegexSource(
  pattern: string,
  options: { greedy: boolean; anchored: boolean },
): string {
  let tokens: PatternToken[];
  try {
    tokens = compilePattern(pattern);
  } catch (err) {
    if (err instanceof Reason) throw new SyntaxError(err.message);
    throw err;
  }
  let out = options.anchored ? "^" : "";
  for (const t of tokens) {
    if (t.kind === "star") out += options.greedy ? ".*" : ".*?";
    else if (t.kind === "any") out += ".";
    else out += (REGEX_META.has(t.ch) ? "\\" : "") + t.ch;
  }
  return out;
}

/**
 * Reverses a pattern by code point but keeps each `\x` escape pair in order
 * (`a\*c` → `c\*a`), as BuildKit does to turn a suffix match into a prefix
 * match. Internal helper, exported for the conformance runner.
 *
 * @example
 * ```ts
 * import { reverseShellPattern } from "./lex.ts";
 * console.assert(reverseShellPattern("a\\*c") === "c\\*a");
 * ```
 */
export function reverseShellPattern(pattern: string): string {
  const chars = Array.from(pattern);
  const last = chars.length - 1;
  const out = new Array<string>(chars.length);
  for (let i = 0; i <= last;) {
    const ch = chars[i] as string;
    const at = last - i;
    if (ch === "\\" && i !== last) {
      out[at - 1] = ch;
      out[at] = chars[i + 1] as string;
      i += 2;
    } else {
      out[at] = ch;
      i++;
    }
  }
  return out.join("");
}

const KIND_STAR = 0;
const KIND_ANY = 1;
const KIND_LIT = 2;
const NEWLINE = 10;

/**
 * A pattern ready to run: a Pike VM over the tokens, giving RE2's
 * leftmost-first answer in O(pattern × value) time. Positions are UTF-16
 * indices into the searched string; the VM steps one code point at a time.
 */
class PatternMatcher {
  /** The pattern text when it has no wildcard (fast path). */
  readonly literal: string | undefined;
  /** Start and end of the last match found by {@linkcode search}. */
  matchStart = 0;
  matchEnd = 0;
  readonly #kinds: Uint8Array;
  readonly #lits: Int32Array;
  readonly #m: number;
  readonly #seen: Int32Array;
  #gen = 0;
  #cur: Int32Array;
  #curStarts: Int32Array;
  #next: Int32Array;
  #nextStarts: Int32Array;
  readonly #stack: Int32Array;
  #greedy = true;

  constructor(tokens: readonly PatternToken[]) {
    // A run of `*` and `?` matches the same spans, in the same preference
    // order, as that many `?` followed by one `*`; folding keeps the VM small.
    const folded: PatternToken[] = [];
    for (let i = 0; i < tokens.length;) {
      const tok = tokens[i] as PatternToken;
      if (tok.kind === "lit") {
        folded.push(tok);
        i++;
        continue;
      }
      let star = false;
      for (; i < tokens.length && (tokens[i] as PatternToken).kind !== "lit"; i++) {
        if ((tokens[i] as PatternToken).kind === "star") star = true;
        else folded.push({ kind: "any" });
      }
      if (star) folded.push({ kind: "star" });
    }
    this.literal = folded.every((t) => t.kind === "lit")
      ? folded.map((t) => (t as { ch: string }).ch).join("")
      : undefined;
    const m = folded.length;
    this.#m = m;
    this.#kinds = new Uint8Array(m);
    this.#lits = new Int32Array(m);
    folded.forEach((t, i) => {
      this.#kinds[i] = t.kind === "star" ? KIND_STAR : t.kind === "any" ? KIND_ANY : KIND_LIT;
      if (t.kind === "lit") this.#lits[i] = t.ch.codePointAt(0) as number;
    });
    this.#seen = new Int32Array(m + 1);
    this.#cur = new Int32Array(m + 1);
    this.#curStarts = new Int32Array(m + 1);
    this.#next = new Int32Array(m + 1);
    this.#nextStarts = new Int32Array(m + 1);
    this.#stack = new Int32Array(2 * (m + 1));
  }

  /**
   * Leftmost-first search from `from`; with `anchored` only a match starting
   * at `from` counts. Stars prefer longer spans when `greedy`. On success sets
   * `matchStart`/`matchEnd` and returns true.
   */
  search(text: string, from: number, anchored: boolean, greedy: boolean): boolean {
    this.#greedy = greedy;
    const m = this.#m;
    const kinds = this.#kinds;
    const lits = this.#lits;
    let found = false;
    this.#newList();
    let curLen = 0;
    for (let pos = from;;) {
      if (!found && (pos === from || !anchored)) {
        curLen = this.#add(this.#cur, this.#curStarts, curLen, 0, pos);
      }
      if (curLen === 0) break;
      const cp = pos < text.length ? text.codePointAt(pos) as number : -1;
      this.#newList();
      let nextLen = 0;
      const cur = this.#cur;
      const curStarts = this.#curStarts;
      for (let t = 0; t < curLen; t++) {
        const node = cur[t] as number;
        const start = curStarts[t] as number;
        if (node === m) {
          // A match; threads of lower priority are cut off.
          found = true;
          this.matchStart = start;
          this.matchEnd = pos;
          break;
        }
        if (cp < 0) continue;
        const kind = kinds[node];
        if (kind === KIND_LIT) {
          if (cp === lits[node]) {
            nextLen = this.#add(this.#next, this.#nextStarts, nextLen, node + 1, start);
          }
        } else if (cp !== NEWLINE) {
          nextLen = this.#add(
            this.#next,
            this.#nextStarts,
            nextLen,
            kind === KIND_ANY ? node + 1 : node,
            start,
          );
        }
      }
      if (cp < 0) break;
      [this.#cur, this.#next] = [this.#next, this.#cur];
      [this.#curStarts, this.#nextStarts] = [this.#nextStarts, this.#curStarts];
      curLen = nextLen;
      pos += cp > 0xffff ? 2 : 1;
    }
    return found;
  }

  #newList(): void {
    if (++this.#gen >= 0x3fffffff) {
      this.#seen.fill(0);
      this.#gen = 1;
    }
  }

  /** Appends node `at` and its epsilon closure, in priority order; returns the new length. */
  #add(nodes: Int32Array, starts: Int32Array, len: number, at: number, start: number): number {
    const stack = this.#stack;
    const seen = this.#seen;
    const gen = this.#gen;
    let sp = 0;
    stack[sp++] = at;
    while (sp > 0) {
      const top = stack[--sp] as number;
      if (top < 0) {
        // A lazy star's own loop, tried after what follows it.
        nodes[len] = -top - 1;
        starts[len++] = start;
        continue;
      }
      if (seen[top] === gen) continue;
      seen[top] = gen;
      if (top === this.#m || this.#kinds[top] !== KIND_STAR) {
        nodes[len] = top;
        starts[len++] = start;
      } else if (this.#greedy) {
        nodes[len] = top;
        starts[len++] = start;
        stack[sp++] = top + 1;
      } else {
        stack[sp++] = -top - 1;
        stack[sp++] = top + 1;
      }
    }
    return len;
  }
}

function compileForSubstitution(pattern: string): PatternMatcher {
  try {
    return new PatternMatcher(compilePattern(pattern));
  } catch (err) {
    if (err instanceof Reason) {
      throw new Reason(`invalid pattern (${pattern}) in substitution: ${err.message}`);
    }
    throw err;
  }
}

/** `${a#p}` / `${a##p}`. */
function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const matcher = compileForSubstitution(pattern);
  if (matcher.literal !== undefined) {
    return value.startsWith(matcher.literal) ? value.slice(matcher.literal.length) : value;
  }
  return matcher.search(value, 0, true, greedy) ? value.slice(matcher.matchEnd) : value;
}

/** `${a%p}` / `${a%%p}`: a prefix match on the reversed value and pattern. */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reversed = trimPrefix(reverseShellPattern(pattern), reverseString(value), greedy);
  return reverseString(reversed);
}

function reverseString(str: string): string {
  return Array.from(str).reverse().join("");
}

/**
 * `${a/p/r}` and `${a//p/r}`. Stars are greedy in both. Replace-all expands
 * `$0`/`${0}` (the match) and `$$` in the replacement like Go's
 * `Regexp.ReplaceAllString`; the single replacement is literal.
 */
function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  const matcher = compileForSubstitution(pattern);
  const literal = matcher.literal;
  if (!all) {
    if (literal !== undefined) {
      const at = value.indexOf(literal);
      return at < 0 ? value : value.slice(0, at) + replacement + value.slice(at + literal.length);
    }
    if (!matcher.search(value, 0, false, true)) return value;
    return value.slice(0, matcher.matchStart) + replacement + value.slice(matcher.matchEnd);
  }
  if (literal !== undefined && literal !== "") {
    return value.split(literal).join(expandTemplate(replacement, literal));
  }
  let out = "";
  let lastEnd = 0;
  for (let searchPos = 0; searchPos <= value.length;) {
    if (!matcher.search(value, searchPos, false, true)) break;
    const a = matcher.matchStart;
    const b = matcher.matchEnd;
    out += value.slice(lastEnd, a);
    // An empty match right after the previous match is not replaced again.
    if (b > lastEnd || a === 0) out += expandTemplate(replacement, value.slice(a, b));
    lastEnd = b;
    // Advance past the match, and by at least one character.
    const width = searchPos < value.length && (value.codePointAt(searchPos) as number) > 0xffff
      ? 2
      : 1;
    searchPos = searchPos + width > b ? searchPos + width : b;
  }
  return out + value.slice(lastEnd);
}

/** Go's `Regexp.Expand` for a regexp whose only group is the whole match. */
function expandTemplate(template: string, match: string): string {
  let out = "";
  let i = 0;
  for (;;) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) return out + template.slice(i);
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === "$") {
      out += "$";
      i++;
      continue;
    }
    const ref = /^(\{?)([\p{L}\p{Nd}_]+)(\}?)/u.exec(template.slice(i));
    if (ref === null || (ref[1] === "{" && ref[3] !== "}")) {
      out += "$"; // malformed reference: the `$` stays literal
      continue;
    }
    const name = ref[2] as string;
    i += (ref[1] as string).length + name.length + (ref[1] === "{" ? 1 : 0);
    // Only group 0 exists; `00`, named or other numbered groups expand to nothing.
    if (name === "0") out += match;
  }
}

// ---------------------------------------------------------------------------

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.iterator in value;
}
