// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Dockerfile text → syntax tree → typed instructions, with BuildKit's rules:
 * parser directives, heredocs, JSON and shell forms, line ranges, the golden dump,
 * code frames, word expansion, `.dockerignore` patterns and Git references.
 *
 * @example
 * ```ts
 * import { dumpAst, parseDockerfile } from "./mod.ts";
 * const { ast } = parseDockerfile("FROM alpine AS build\nRUN echo hi\n");
 * console.assert(dumpAst(ast) === '(from "alpine" "AS" "build")\n(run "echo hi")');
 * ```
 *
 * @module
 */

export type * from "./ast.ts";
export { DockerfileError } from "./errors.ts";
export { MAX_LINE_LENGTH, parseDockerfile } from "./parser.ts";
export type { ParseDockerfileOptions } from "./parser.ts";
export { detectSyntax, DirectiveParser, parseDirective, VALID_DIRECTIVES } from "./directives.ts";
export type { DetectedDirective, Directive } from "./directives.ts";
export { chompHeredocContent, heredocsFromLine, parseHeredoc } from "./heredoc.ts";
export { astToJson, dumpAst, goQuote } from "./dump.ts";
export type { InstructionJson, ParseResultJson } from "./dump.ts";
export { codeFrame } from "./code_frame.ts";
export type { CodeFrameOptions } from "./code_frame.ts";
export * from "./instructions/mod.ts";
export * from "./shell/mod.ts";
export {
  BadPatternError,
  cleanPath,
  EMPTY_MATCH_INFO,
  filepathMatch,
  matches,
  Pattern,
  PatternMatcher,
} from "./patternmatcher.ts";
export type { MatchInfo, MatchType } from "./patternmatcher.ts";
export { dockerignorePathsFor, readIgnoreFile } from "./ignorefile.ts";
export { GitRefError, gitRefFragmentFormat, parseGitRef } from "./git_ref.ts";
export type { GitRef } from "./git_ref.ts";
