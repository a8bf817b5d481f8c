// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The `.dockerignore` pattern engine, with the semantics of moby/patternmatcher:
 * ordered patterns, `!` exclusions, last match wins, a path matches when it or
 * any of its parent directories matches. Patterns use Go `filepath.Match`
 * syntax plus `**` (any number of path segments, including none).
 *
 * Every pattern is compiled once into a JavaScript RegExp; matching a path and
 * all of its parents is a single RegExp test for clean paths.
 *
 * @module
 */

/** How a cleaned pattern is matched (the classification used by moby/patternmatcher). */
export type MatchType = "exactMatch" | "prefixMatch" | "suffixMatch" | "regexpMatch";

/**
 * The error of a malformed pattern (Go's `filepath.ErrBadPattern`).
 *
 * @example
 * ```ts
 * import { BadPatternError, filepathMatch } from "./patternmatcher.ts";
 * try { filepathMatch("[", "a"); } catch (e) { console.assert(e instanceof BadPatternError); }
 * ```
 */
export class BadPatternError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("syntax error in pattern", options);
    this.name = "BadPatternError";
  }
}

/**
 * Go's `path.Clean` for `/`-separated paths: collapses `//`, `.` and `..`
 * elements and drops a trailing slash; the empty path becomes `.`.
 *
 * @example
 * ```ts
 * import { cleanPath } from "./patternmatcher.ts";
 * console.assert(cleanPath("a//b/../c/") === "a/c");
 * ```
 */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.charCodeAt(0) === 0x2f;
  if (!rooted && isCleanRelative(p) && !p.endsWith("/")) return p;
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return "/" + joined;
  return joined === "" ? "." : joined;
}

const GO_SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/**
 * Go's `strings.TrimSpace`: unlike `String.prototype.trim` it keeps U+FEFF and
 * strips U+0085.
 *
 * @example
 * ```ts
 * import { goTrimSpace } from "./patternmatcher.ts";
 * console.assert(goTrimSpace(" \uFEFFa\u0085") === "\uFEFFa");
 * ```
 */
export function goTrimSpace(s: string): string {
  return s.replace(GO_SPACE, "");
}

/** True when `p` is relative and has no empty, `.` or `..` element (a trailing `/` allowed). */
function isCleanRelative(p: string): boolean {
  if (p === "" || p.charCodeAt(0) === 0x2f) return false;
  let start = 0;
  const end = p.endsWith("/") ? p.length - 1 : p.length;
  for (let i = 0; i <= end; i++) {
    if (i === end || p.charCodeAt(i) === 0x2f) {
      const len = i - start;
      if (len === 0) return false;
      if (len === 1 && p.charCodeAt(start) === 0x2e) return false;
      if (len === 2 && p.charCodeAt(start) === 0x2e && p.charCodeAt(start + 1) === 0x2e) {
        return false;
      }
      start = i + 1;
    }
  }
  return true;
}

/** Go's `filepath.Dir` for `/`-separated paths. */
function dirOf(p: string): string {
  const i = p.lastIndexOf("/");
  return cleanPath(p.slice(0, i + 1));
}

// ---------------------------------------------------------------------------
// Go filepath.Match (unix flavour), used to validate patterns and exported for
// callers that need plain glob matching (COPY source wildcards).

function codePointAt(s: string, i: number): [number, number] {
  const cp = s.codePointAt(i);
  if (cp === undefined) return [-1, 0];
  return [cp, cp > 0xffff ? 2 : 1];
}

/** Splits off the leading run of `*` and the chunk up to the next unbracketed `*`. */
function scanChunk(pattern: string): { star: boolean; chunk: string; rest: string } {
  let star = false;
  let p = pattern;
  while (p.length > 0 && p.charCodeAt(0) === 0x2a) {
    p = p.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  scan: for (; i < p.length; i++) {
    switch (p[i]) {
      case "\\":
        if (i + 1 < p.length) i++;
        break;
      case "[":
        inRange = true;
        break;
      case "]":
        inRange = false;
        break;
      case "*":
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunk: p.slice(0, i), rest: p.slice(i) };
}

/** Reads one (possibly escaped) character of a class; throws on malformed input. */
function getEsc(chunk: string, at: number): [number, number] {
  let i = at;
  if (i >= chunk.length || chunk[i] === "-" || chunk[i] === "]") throw new BadPatternError();
  if (chunk[i] === "\\") {
    i++;
    if (i >= chunk.length) throw new BadPatternError();
  }
  const [r, n] = codePointAt(chunk, i);
  i += n;
  if (i >= chunk.length) throw new BadPatternError();
  return [r, i];
}

/**
 * Matches one chunk against the start of `s`; returns the rest of `s` or null.
 * Keeps parsing after a mismatch so that syntax errors are always reported.
 */
function matchChunk(chunk: string, s: string): string | null {
  let failed = false;
  let si = 0;
  let ci = 0;
  while (ci < chunk.length) {
    if (!failed && si >= s.length) failed = true;
    const c = chunk[ci];
    if (c === "[") {
      let r = -1;
      if (!failed) {
        const [cp, n] = codePointAt(s, si);
        r = cp;
        si += n;
      }
      ci++;
      let negated = false;
      if (ci < chunk.length && chunk[ci] === "^") {
        negated = true;
        ci++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (ci < chunk.length && chunk[ci] === "]" && nrange > 0) {
          ci++;
          break;
        }
        const [lo, next] = getEsc(chunk, ci);
        ci = next;
        let hi = lo;
        if (chunk[ci] === "-") {
          const [h, next2] = getEsc(chunk, ci + 1);
          hi = h;
          ci = next2;
        }
        if (lo <= r && r <= hi) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === "?") {
      if (!failed) {
        if (s[si] === "/") failed = true;
        si += codePointAt(s, si)[1];
      }
      ci++;
    } else {
      if (c === "\\") {
        ci++;
        if (ci >= chunk.length) throw new BadPatternError();
      }
      if (!failed) {
        if (chunk.charCodeAt(ci) !== s.charCodeAt(si)) failed = true;
        si++;
      }
      ci++;
    }
  }
  return failed ? null : s.slice(si);
}

/**
 * Go's `filepath.Match` on `/`-separated names: `*` (no `/`), `?`, `[...]`
 * classes with ranges and `^` negation, `\` escapes. Throws
 * {@linkcode BadPatternError} for a malformed pattern.
 *
 * @example
 * ```ts
 * import { filepathMatch } from "./patternmatcher.ts";
 * console.assert(filepathMatch("a*b?c*x", "abxbbxdbxebxczzx"));
 * console.assert(!filepathMatch("a*", "a/b"));
 * ```
 */
export function filepathMatch(pattern: string, name: string): boolean {
  let pat = pattern;
  let nm = name;
  outer: while (pat.length > 0) {
    const { star, chunk, rest } = scanChunk(pat);
    pat = rest;
    if (star && chunk === "") return !nm.includes("/");
    const t = matchChunk(chunk, nm);
    if (t !== null && (t.length === 0 || pat.length > 0)) {
      nm = t;
      continue;
    }
    if (star) {
      for (let i = 0; i < nm.length && nm[i] !== "/"; i++) {
        const t2 = matchChunk(chunk, nm.slice(i + 1));
        if (t2 !== null) {
          if (pat.length === 0 && t2.length > 0) continue;
          nm = t2;
          continue outer;
        }
      }
    }
    // No match: still check that the rest of the pattern is well formed.
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.rest;
      matchChunk(next.chunk, "");
    }
    return false;
  }
  return nm.length === 0;
}

// ---------------------------------------------------------------------------
// Pattern compilation.

const SHOULD_ESCAPE = ".+()|{}$";

function jsLiteral(ch: string): string {
  return "\\u{" + (ch.codePointAt(0) ?? 0).toString(16) + "}";
}

function escapeJs(s: string): string {
  let out = "";
  for (const ch of s) out += /[A-Za-z0-9_\-/ ]/.test(ch) ? ch : jsLiteral(ch);
  return out;
}

interface Compiled {
  matchType: MatchType;
  /** The RE2 expression moby/patternmatcher builds (for `regexpMatch` only). */
  goRegexp: string | null;
  /** Body of the JS expression (no anchors), or null when not a regexp pattern. */
  jsBody: string | null;
}

/**
 * Translates a cleaned pattern following moby/patternmatcher's rules
 * (`*` → `[^/]*`, `?` → `[^/]`, a `**` segment → any run of directories, trailing
 * `**` → anything).
 * Inside `[...]`, `*` and `?` are literal, as in filepath.Match.
 */
function compilePattern(pattern: string): Compiled {
  const chars = Array.from(pattern);
  let goRe = "^";
  let js = "";
  let matchType: MatchType = "exactMatch";
  let inClass = false;
  let classStart = false;
  for (let idx = 0, i = 0; idx < chars.length; i++) {
    const ch = chars[idx++] as string;
    const atClassStart = classStart;
    classStart = false;
    if (inClass) {
      // Go emits class contents through the same loop; we keep filepath.Match meaning.
      if (ch === "]" && !atClassStart) {
        inClass = false;
        goRe += "]";
        js += "]";
      } else if (ch === "\\") {
        const next = chars[idx];
        if (next !== undefined) {
          idx++;
          goRe += "\\" + next;
          js += jsLiteral(next);
        } else {
          goRe += "\\";
          js += "\\";
        }
      } else if (ch === "^" && atClassStart) {
        goRe += "^";
        js += "^";
        classStart = true;
      } else if (ch === "-" || /[A-Za-z0-9_]/.test(ch)) {
        goRe += SHOULD_ESCAPE.includes(ch) ? "\\" + ch : ch;
        js += ch;
      } else {
        goRe += SHOULD_ESCAPE.includes(ch)
          ? "\\" + ch
          : ch === "*"
          ? "[^/]*"
          : ch === "?"
          ? "[^/]"
          : ch;
        js += jsLiteral(ch);
      }
      continue;
    }
    if (ch === "*") {
      if (chars[idx] === "*") {
        idx++;
        if (chars[idx] === "/") idx++;
        if (idx >= chars.length) {
          if (matchType === "exactMatch") {
            matchType = "prefixMatch";
          } else {
            goRe += ".*";
            js += "[^\\n]*";
            matchType = "regexpMatch";
          }
        } else {
          goRe += "(.*/)?";
          js += "(?:[^\\n]*/)?";
          matchType = "regexpMatch";
        }
        if (i === 0) matchType = "suffixMatch";
      } else {
        goRe += "[^/]*";
        js += "[^/]*";
        matchType = "regexpMatch";
      }
    } else if (ch === "?") {
      goRe += "[^/]";
      js += "[^/]";
      matchType = "regexpMatch";
    } else if (SHOULD_ESCAPE.includes(ch)) {
      goRe += "\\" + ch;
      js += "\\" + ch;
    } else if (ch === "\\") {
      const next = chars[idx];
      if (next !== undefined) {
        idx++;
        goRe += "\\" + next;
        js += jsLiteral(next);
        matchType = "regexpMatch";
      } else {
        goRe += "\\";
        js += "\\";
      }
    } else if (ch === "[") {
      goRe += "[";
      js += "[";
      inClass = true;
      classStart = true;
      matchType = "regexpMatch";
    } else if (ch === "]") {
      goRe += "]";
      js += "\\]";
      matchType = "regexpMatch";
    } else {
      goRe += ch;
      js += ch === "^" ? "^" : /[A-Za-z0-9_\-/ ]/.test(ch) ? ch : jsLiteral(ch);
    }
  }
  if (matchType !== "regexpMatch") return { matchType, goRegexp: null, jsBody: null };
  return { matchType, goRegexp: goRe + "$", jsBody: js };
}

/**
 * The classification and RE2 expression moby/patternmatcher would produce for a
 * pattern (after `filepath.Clean`). Exposed for conformance checks.
 *
 * @example
 * ```ts
 * import { describePattern } from "./patternmatcher.ts";
 * console.assert(describePattern("dir/**").matchType === "prefixMatch");
 * console.assert(describePattern("a*\/b").regexp === "^a[^/]*\/b$");
 * ```
 */
export function describePattern(pattern: string): { matchType: MatchType; regexp: string | null } {
  const c = compilePattern(cleanPath(pattern));
  return { matchType: c.matchType, regexp: c.goRegexp };
}

/**
 * One compiled pattern of a {@linkcode PatternMatcher}.
 *
 * @example
 * ```ts
 * import { PatternMatcher } from "./patternmatcher.ts";
 * const [p] = new PatternMatcher(["!a/b"]).patterns();
 * console.assert(p?.exclusion === true && p.pattern === "a/b");
 * ```
 */
export class Pattern {
  /** The cleaned pattern, without the `!` prefix. */
  readonly pattern: string;
  /** True for a `!` (re-include) pattern. */
  readonly exclusion: boolean;
  /** How the pattern is matched. */
  readonly matchType: MatchType;
  /** Path segments of the pattern (used by the one-level legacy match). */
  readonly dirs: readonly string[];
  #error: unknown;
  #regexp: RegExp | null = null;
  #orParent: RegExp | null = null;

  constructor(pattern: string, exclusion: boolean) {
    this.pattern = pattern;
    this.exclusion = exclusion;
    this.dirs = pattern.split("/");
    const compiled = compilePattern(pattern);
    this.matchType = compiled.matchType;
    try {
      let body: string;
      switch (compiled.matchType) {
        case "exactMatch":
          body = escapeJs(pattern);
          break;
        case "prefixMatch":
          body = escapeJs(pattern.slice(0, -2)) + "[\\s\\S]*";
          break;
        case "suffixMatch": {
          const suffix = pattern.slice(2);
          body = "[\\s\\S]*" + escapeJs(suffix);
          if (suffix.startsWith("/")) body = "(?:" + body + "|" + escapeJs(suffix.slice(1)) + ")";
          break;
        }
        case "regexpMatch":
          body = compiled.jsBody ?? "";
          this.#regexp = new RegExp("^(?:" + body + ")$", "u");
          break;
      }
      this.#orParent = new RegExp("^(?:" + body + ")(?:/[\\s\\S]*)?$", "u");
    } catch (cause) {
      // moby/patternmatcher reports a failed regexp compile as ErrBadPattern on every match.
      this.#error = new BadPatternError({ cause });
    }
  }

  /** The pattern as written in the matcher (with `!` for exclusions). */
  toString(): string {
    return (this.exclusion ? "!" : "") + this.pattern;
  }

  /** Whether `path` itself matches (no parent check). Throws {@linkcode BadPatternError}. */
  match(path: string): boolean {
    if (this.#error !== undefined) throw this.#error;
    const p = this.pattern;
    switch (this.matchType) {
      case "exactMatch":
        return path === p;
      case "prefixMatch":
        return path.startsWith(p.slice(0, -2));
      case "suffixMatch": {
        const suffix = p.slice(2);
        if (path.endsWith(suffix)) return true;
        return suffix.startsWith("/") && path === suffix.slice(1);
      }
      case "regexpMatch":
        return (this.#regexp as RegExp).test(path);
    }
  }

  /**
   * Whether a clean relative path or one of its parent directories matches, in
   * one RegExp test. Only valid for paths accepted by `isCleanRelative`.
   */
  matchSelfOrParent(path: string): boolean {
    if (this.#error !== undefined) throw this.#error;
    return (this.#orParent as RegExp).test(path);
  }
}

/**
 * Per-pattern results for a directory, handed to its children in an
 * incremental walk ({@linkcode PatternMatcher.matchesUsingParentResults}).
 * The empty value (`{ parentMatched: [] }`) means "no information".
 */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

/** The empty {@linkcode MatchInfo}. */
export const EMPTY_MATCH_INFO: MatchInfo = Object.freeze({ parentMatched: Object.freeze([]) });

/**
 * An ordered list of `.dockerignore` patterns. The last matching pattern wins;
 * `!pattern` re-includes. Throws {@linkcode BadPatternError} for a malformed
 * pattern and an Error for a lone `!`.
 *
 * @example
 * ```ts
 * import { PatternMatcher } from "./patternmatcher.ts";
 * const pm = new PatternMatcher(["docs", "!docs/README.md"]);
 * console.assert(pm.matchesOrParentMatches("docs/a.md"));
 * console.assert(!pm.matchesOrParentMatches("docs/README.md"));
 * ```
 */
export class PatternMatcher {
  #patterns: Pattern[] = [];
  #exclusions = false;

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      let p = goTrimSpace(raw);
      if (p === "") continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p[0] === "!") {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
        this.#exclusions = true;
      }
      // Syntax check, as moby/patternmatcher does with filepath.Match(p, ".").
      filepathMatch(p, ".");
      this.#patterns.push(new Pattern(p, exclusion));
    }
  }

  /** The compiled patterns, in order. */
  patterns(): readonly Pattern[] {
    return this.#patterns;
  }

  /** True when any pattern is a `!` exclusion. */
  exclusions(): boolean {
    return this.#exclusions;
  }

  /**
   * The deprecated one-level check of moby/patternmatcher's `Matches`: the path,
   * or its leading directories as deep as the pattern has segments.
   */
  matches(file: string): boolean {
    let matched = false;
    const parentPath = dirOf(file);
    const parentDirs = parentPath.split("/");
    for (const pattern of this.#patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match && parentPath !== "." && pattern.dirs.length <= parentDirs.length) {
        match = pattern.match(parentDirs.slice(0, pattern.dirs.length).join("/"));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * Whether `file` (a `/`-separated path relative to the context) is matched,
   * either itself or through any parent directory.
   */
  matchesOrParentMatches(file: string): boolean {
    let matched = false;
    if (isCleanRelative(file)) {
      for (const pattern of this.#patterns) {
        if (pattern.exclusion !== matched) continue;
        if (pattern.matchSelfOrParent(file)) matched = !pattern.exclusion;
      }
      return matched;
    }
    const parentPath = dirOf(file);
    const parentDirs = parentPath === "." ? [] : parentPath.split("/");
    for (const pattern of this.#patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      for (let i = 0; !match && i < parentDirs.length; i++) {
        match = pattern.match(parentDirs.slice(0, i + 1).join("/"));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * Incremental form for walks: evaluates only `file` itself and reuses the
   * per-pattern results of its parent directory. With the empty MatchInfo it
   * behaves like {@linkcode matchesOrParentMatches}.
   */
  matchesUsingParentResults(
    file: string,
    parent: MatchInfo,
  ): { matched: boolean; info: MatchInfo } {
    const parentMatched = parent.parentMatched;
    const n = this.#patterns.length;
    if (parentMatched.length !== 0 && parentMatched.length !== n) {
      throw new Error("wrong number of values in parentMatched");
    }
    let matched = false;
    const result = new Array<boolean>(n).fill(false);
    const noInfo = parentMatched.length === 0;
    const clean = noInfo && isCleanRelative(file);
    for (let i = 0; i < n; i++) {
      const pattern = this.#patterns[i] as Pattern;
      let match = noInfo ? false : parentMatched[i] === true;
      if (!match) {
        if (pattern.exclusion !== matched) continue;
        if (clean) {
          match = pattern.matchSelfOrParent(file);
        } else {
          match = pattern.match(file);
          if (!match && noInfo) {
            const parentPath = dirOf(file);
            if (parentPath !== ".") {
              const dirs = parentPath.split("/");
              for (let j = 0; !match && j < dirs.length; j++) {
                match = pattern.match(dirs.slice(0, j + 1).join("/"));
              }
            }
          }
        }
      }
      result[i] = match;
      if (match) matched = !pattern.exclusion;
    }
    return { matched, info: { parentMatched: result } };
  }
}

/**
 * The deprecated package-level `Matches(file, patterns)` of moby/patternmatcher:
 * cleans `file`, never matches `.`, and checks one parent level.
 *
 * @example
 * ```ts
 * import { matches } from "./patternmatcher.ts";
 * console.assert(matches("fileutils.go", ["*.go"]));
 * console.assert(!matches(".", ["*"]));
 * ```
 */
export function matches(file: string, patterns: readonly string[]): boolean {
  const pm = new PatternMatcher(patterns);
  const f = cleanPath(file);
  if (f === ".") return false;
  return pm.matches(f);
}
