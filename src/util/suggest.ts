// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * "Did you mean …?" suggestions, following BuildKit's `util/suggest`:
 * the closest candidate by Levenshtein distance, only when the distance is
 * below 3, and nothing when the word is itself a candidate.
 *
 * @module
 */

/** Options for {@link suggest}. */
export interface SuggestOptions {
  /** Compare case-sensitively (BuildKit does for flags and mount keys). Default false. */
  caseSensitive?: boolean;
}

/**
 * Levenshtein edit distance (insert, delete, substitute, each cost 1) between
 * two strings, counted in code points.
 *
 * @example
 * ```ts
 * import { levenshtein } from "./suggest.ts";
 * console.assert(levenshtein("kitten", "sitting") === 3);
 * ```
 */
export function levenshtein(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  if (s.length === 0) return t.length;
  if (t.length === 0) return s.length;
  let prev = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/**
 * The candidate closest to `word` (distance < 3), or undefined when none is
 * close enough or `word` equals a candidate. When comparing case-insensitively
 * the suggestion takes the case of `word` if `word` is all lower or all upper case.
 *
 * @example
 * ```ts
 * import { suggest } from "./suggest.ts";
 * console.assert(suggest("FORM", ["FROM", "RUN"]) === "FROM");
 * console.assert(suggest("xyz", ["FROM"]) === undefined);
 * ```
 */
export function suggest(
  word: string,
  candidates: Iterable<string>,
  options: SuggestOptions = {},
): string | undefined {
  const caseSensitive = options.caseSensitive ?? false;
  const val = caseSensitive ? word : word.toLowerCase();
  let match = "";
  let minDist = 3;
  for (const candidate of candidates) {
    const opt = caseSensitive ? candidate : candidate.toLowerCase();
    if (opt === val) return undefined;
    const dist = levenshtein(val, opt);
    if (dist < minDist) {
      match = caseSensitive ? opt : matchCase(opt, word);
      minDist = dist;
    }
  }
  return match === "" ? undefined : match;
}

/**
 * Appends BuildKit's ` (did you mean X?)` to `message` when `match` is defined
 * (typically the result of {@link suggest}).
 *
 * @example
 * ```ts
 * import { suggest, withSuggestion } from "./suggest.ts";
 * const msg = withSuggestion("unknown flag: --form", suggest("form", ["from"]));
 * console.assert(msg === "unknown flag: --form (did you mean from?)");
 * ```
 */
export function withSuggestion(message: string, match: string | undefined): string {
  return match === undefined ? message : `${message} (did you mean ${match}?)`;
}

function matchCase(value: string, original: string): string {
  if (original === original.toLowerCase()) return value.toLowerCase();
  if (original === original.toUpperCase()) return value.toUpperCase();
  return value;
}
