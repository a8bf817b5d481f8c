// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Dockerfile word expansion (BuildKit's `frontend/dockerfile/shell`): quotes,
 * escapes, `$VAR` and `${VAR…}` modifiers, word splitting.
 *
 * @example
 * ```ts
 * import { ShellLex } from "./mod.ts";
 * const lex = new ShellLex("\\");
 * console.assert(lex.processWord("${A:-x}y", new Map()) === "xy");
 * ```
 *
 * @module
 */

export {
  createShellEnv,
  type ShellEnv,
  ShellExpansionError,
  ShellLex,
  type ShellLexOptions,
  type ShellMatchResult,
  type ShellPlatform,
  type ShellWordResult,
} from "./lex.ts";
