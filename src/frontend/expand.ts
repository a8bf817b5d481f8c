// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Word expansion against a stage environment, with the set of variables a
 * word used (for the used/unused build-arg report).
 *
 * @module
 */

import { ShellLex } from "./_deps.ts";
import type { EnvList } from "./env_list.ts";

/** Lexer modes (BuildKit's `shell.Lex` switches). */
export interface ExpandOptions {
  /** Escape token of the Dockerfile (`\\` or `` ` ``). */
  escapeToken: string;
  /** Keep quotes in the result (RUN progress names). */
  rawQuotes?: boolean;
  /** Leave `$UNSET` as written (RUN progress names). */
  skipUnsetEnv?: boolean;
  /** Do not process quotes at all (heredoc bodies). */
  skipProcessQuotes?: boolean;
}

/** Result of {@link expandWord}. */
export interface Expanded {
  result: string;
  /** Variables the word referenced that were set. */
  matched: Set<string>;
  /** Variables the word referenced that were not set. */
  unmatched: Set<string>;
}

/**
 * Expands one word (quotes removed, no splitting).
 *
 * @example
 * ```ts ignore
 * expandWord("$A/b", EnvList.empty().set("A", "x"), { escapeToken: "\\" }).result; // "x/b"
 * ```
 */
export function expandWord(word: string, env: EnvList, options: ExpandOptions): Expanded {
  const res = lexer(options).processWordWithMatches(word, envOf(env));
  return {
    result: res.result,
    matched: new Set(res.matched),
    unmatched: new Set(res.unmatched),
  };
}

/**
 * Expands and splits into words (EXPOSE).
 *
 * @example
 * ```ts ignore
 * expandWords("$P 443", EnvList.empty().set("P", "80"), { escapeToken: "\\" }); // ["80", "443"]
 * ```
 */
export function expandWords(word: string, env: EnvList, options: ExpandOptions): string[] {
  return lexer(options).processWords(word, envOf(env));
}

function lexer(options: ExpandOptions): ShellLex {
  const opts: { rawQuotes?: boolean; skipUnsetEnv?: boolean; skipProcessQuotes?: boolean } = {};
  if (options.rawQuotes) opts.rawQuotes = true;
  if (options.skipUnsetEnv) opts.skipUnsetEnv = true;
  if (options.skipProcessQuotes) opts.skipProcessQuotes = true;
  return new ShellLex(options.escapeToken, opts);
}

function envOf(env: EnvList): { get(name: string): string | undefined } {
  return { get: (name) => env.get(name) };
}
