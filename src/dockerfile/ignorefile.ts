// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Reading `.dockerignore` files (moby/patternmatcher `ignorefile.ReadAll`) and
 * finding which ignore file applies to a Dockerfile.
 *
 * @module
 */

import { cleanPath, goTrimSpace } from "./patternmatcher.ts";

/**
 * Parses the text of a `.dockerignore` file into patterns: a UTF-8 BOM is
 * stripped, lines whose first character is `#` are comments, lines are
 * trimmed, empty lines skipped, `!` is kept as a prefix, the rest is
 * `path.Clean`ed and one leading `/` is dropped. `null` gives `[]`.
 *
 * @example
 * ```ts
 * import { readIgnoreFile } from "./ignorefile.ts";
 * const got = readIgnoreFile("# c\n/a/../b\n! /x/\n");
 * console.assert(got.join(",") === "b,!x");
 * ```
 */
export function readIgnoreFile(text: string | null | undefined): string[] {
  if (text === null || text === undefined) return [];
  const out: string[] = [];
  const lines = text.split("\n");
  // A trailing newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n] as string;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (n === 0 && line.startsWith("\uFEFF")) line = line.slice(1);
    if (line.startsWith("#")) continue;
    let pattern = goTrimSpace(line);
    if (pattern === "") continue;
    const invert = pattern[0] === "!";
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern[0] === "/") pattern = pattern.slice(1);
    }
    out.push(invert ? "!" + pattern : pattern);
  }
  return out;
}

/**
 * Where to look for the ignore file of a build, in order of precedence:
 * `<Dockerfile path>.dockerignore` (read from the Dockerfile's own local, next
 * to the Dockerfile) first, then `.dockerignore` at the context root. The first
 * one that exists is used; the other is not merged.
 *
 * @example
 * ```ts
 * import { dockerignorePathsFor } from "./ignorefile.ts";
 * const [first, second] = dockerignorePathsFor("build/app.Dockerfile");
 * console.assert(first?.path === "build/app.Dockerfile.dockerignore" && first.source === "dockerfile");
 * console.assert(second?.path === ".dockerignore" && second.source === "context");
 * ```
 */
export function dockerignorePathsFor(
  dockerfilePath: string,
): { path: string; source: "dockerfile" | "context" }[] {
  const out: { path: string; source: "dockerfile" | "context" }[] = [];
  if (dockerfilePath !== "") {
    out.push({ path: dockerfilePath + ".dockerignore", source: "dockerfile" });
  }
  out.push({ path: ".dockerignore", source: "context" });
  return out;
}
