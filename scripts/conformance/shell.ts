// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Conformance runner for Dockerfile word expansion against BuildKit's
 * `frontend/dockerfile/shell` test data: `envVarTest`, `wordsTest` and
 * `processWordWithMatches.json` (see the corpus FORMAT.md §2–§4).
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createShellEnv, ShellLex, type ShellPlatform } from "../../src/dockerfile/shell/mod.ts";
// Internal pattern helpers, checked against the corpus' shellPatternToRegex/reversePattern
// sections; they are not part of the folder's public surface.
import { reverseShellPattern, shellPatternToRegexSource } from "../../src/dockerfile/shell/lex.ts";
import type { ConformanceCase, ConformanceRunner, ConformanceTable } from "./types.ts";

const SHELL_DIR = "frontend/dockerfile/shell";

/** The environment every `envVarTest` row is expanded with. */
export const ENV_VAR_TEST_ENV: readonly string[] = [
  "PWD=/home",
  "SHELL=bash",
  "KOREAN=한국어",
  "NULL=",
];

/** Runs every shell corpus file found under the conformance folder `dir`. */
export const run: ConformanceRunner = async (dir) => {
  const tables: ConformanceTable[] = [];
  for (
    const [name, check] of [
      ["envVarTest", (text: string, file: string) => checkEnvVarFile(text, file)],
      ["wordsTest", checkWordsFile],
      ["processWordWithMatches.json", checkMatchesFile],
    ] as const
  ) {
    const file = `${SHELL_DIR}/${name}`;
    let text: string;
    try {
      text = await readFile(join(dir, file), "utf8");
    } catch (err) {
      const t = table(file);
      fail(t, file, `cannot read corpus file: ${(err as Error).message}`);
      tables.push(t);
      continue;
    }
    tables.push(check(text, file));
  }
  return tables;
};

/**
 * Checks a file in `envVarTest` format (`PLATFORM | SOURCE | EXPECTED`).
 * Rows for the other platform are counted as skipped.
 */
export function checkEnvVarFile(
  text: string,
  file: string,
  options: { platform?: ShellPlatform } = {},
): ConformanceTable {
  const platform = options.platform ?? "linux";
  const t = table(file);
  const lex = new ShellLex("\\", { platform });
  const env = createShellEnv(ENV_VAR_TEST_ENV, { platform });
  scanLines(text).forEach((raw, index) => {
    const name = `${file}:${index + 1}`;
    if (raw.startsWith("#")) return;
    const line = goTrimSpace(raw);
    if (line === "") return;
    const fields = line.split("|");
    if (fields.length !== 3) {
      fail(t, name, `expected 3 fields separated by |, got ${fields.length}`);
      return;
    }
    const [tag, source, expected] = fields.map(goTrimSpace) as [string, string, string];
    if (tag !== "A" && tag !== "U" && tag !== "W") {
      fail(t, name, `invalid platform tag ${JSON.stringify(tag)}`);
      return;
    }
    if (tag === (platform === "windows" ? "U" : "W")) {
      t.skipped++;
      t.skips.push({
        name,
        reason: tag === "W" ? "Windows-only row" : "non-Windows row (running as Windows)",
      });
      return;
    }
    let got: string;
    try {
      got = lex.processWord(source, env);
    } catch (err) {
      if (expected === "error") pass(t);
      else fail(t, name, `${JSON.stringify(source)}: unexpected error: ${(err as Error).message}`);
      return;
    }
    if (expected === "error") {
      fail(t, name, `${JSON.stringify(source)}: expected an error, got ${JSON.stringify(got)}`);
    } else if (got !== expected) {
      fail(
        t,
        name,
        `${JSON.stringify(source)}: expected ${JSON.stringify(expected)}, got ${
          JSON.stringify(got)
        }`,
      );
    } else {
      pass(t);
    }
  });
  return t;
}

/** Checks a file in `wordsTest` format (`ENV k=v` lines accumulate; `input | w1,w2`). */
export function checkWordsFile(text: string, file: string): ConformanceTable {
  const t = table(file);
  const lex = new ShellLex("\\");
  const envs: string[] = [];
  scanLines(text).forEach((line, index) => {
    const name = `${file}:${index + 1}`;
    if (line.startsWith("#")) return;
    if (line.startsWith("ENV ")) {
      envs.push(line.slice(3).replace(/^ +/, ""));
      return;
    }
    const fields = line.split("|");
    if (fields.length !== 2) {
      fail(t, name, `expected exactly one | in ${JSON.stringify(line)}`);
      return;
    }
    const input = goTrimSpace(fields[0] as string);
    const expected = (fields[1] as string).replace(/^ +/, "").split(",");
    let got: string[];
    try {
      got = lex.processWords(input, createShellEnv(envs));
    } catch {
      got = ["error"];
    }
    if (JSON.stringify(got) === JSON.stringify(expected)) pass(t);
    else {
      fail(
        t,
        name,
        `${JSON.stringify(input)}: expected ${JSON.stringify(expected)}, got ${
          JSON.stringify(got)
        }`,
      );
    }
  });
  return t;
}

interface ExpansionCase {
  input: string;
  envs: Record<string, string>;
  expectedErr?: boolean;
  expected?: string | null;
  matched?: string[];
  unmatched?: string[];
  errorContains?: string;
}

interface MatchesCorpus {
  processWordWithMatches?: ExpansionCase[];
  mandatoryVars?: ExpansionCase[];
  platformFilename?: ExpansionCase[];
  shellPatternToRegex?: {
    cases?: { pattern: string; regex: string }[];
    invalidPatterns?: string[];
  };
  reversePattern?: { pattern: string; reversed: string }[];
}

/** Checks `processWordWithMatches.json` (all five sections). */
export function checkMatchesFile(text: string, file: string): ConformanceTable {
  const t = table(file);
  const corpus = JSON.parse(text) as MatchesCorpus;
  const lex = new ShellLex("\\");
  const sections = [
    ["processWordWithMatches", corpus.processWordWithMatches ?? []],
    ["mandatoryVars", corpus.mandatoryVars ?? []],
    ["platformFilename", corpus.platformFilename ?? []],
  ] as const;
  for (const [section, cases] of sections) {
    cases.forEach((c, i) => {
      const name = `${section}[${i}] ${JSON.stringify(c.input)}`;
      const problem = checkExpansionCase(lex, c, section === "processWordWithMatches");
      if (problem === undefined) pass(t);
      else fail(t, name, problem);
    });
  }
  const regex = corpus.shellPatternToRegex;
  (regex?.cases ?? []).forEach((c, i) => {
    const name = `shellPatternToRegex.cases[${i}] ${JSON.stringify(c.pattern)}`;
    try {
      const got = shellPatternToRegexSource(c.pattern, { greedy: true, anchored: true });
      if (got === c.regex) pass(t);
      else fail(t, name, `expected ${JSON.stringify(c.regex)}, got ${JSON.stringify(got)}`);
    } catch (err) {
      fail(t, name, `unexpected error: ${(err as Error).message}`);
    }
  });
  (regex?.invalidPatterns ?? []).forEach((pattern, i) => {
    const name = `shellPatternToRegex.invalidPatterns[${i}] ${JSON.stringify(pattern)}`;
    try {
      const got = shellPatternToRegexSource(pattern, { greedy: true, anchored: true });
      fail(t, name, `expected an error, got ${JSON.stringify(got)}`);
    } catch {
      pass(t);
    }
  });
  (corpus.reversePattern ?? []).forEach((c, i) => {
    const got = reverseShellPattern(c.pattern);
    if (got === c.reversed) pass(t);
    else {
      fail(
        t,
        `reversePattern[${i}] ${JSON.stringify(c.pattern)}`,
        `expected ${JSON.stringify(c.reversed)}, got ${JSON.stringify(got)}`,
      );
    }
  });
  return t;
}

/** One expansion case; returns what differed, or `undefined` when it passes. */
function checkExpansionCase(
  lex: ShellLex,
  c: ExpansionCase,
  compareNames: boolean,
): string | undefined {
  let got;
  try {
    got = lex.processWordWithMatches(c.input, new Map(Object.entries(c.envs)));
  } catch (err) {
    const message = (err as Error).message;
    if (c.expectedErr !== true) return `unexpected error: ${message}`;
    if (c.errorContains !== undefined && !message.includes(c.errorContains)) {
      return `error ${JSON.stringify(message)} does not contain ${JSON.stringify(c.errorContains)}`;
    }
    return undefined;
  }
  if (c.expectedErr === true) return `expected an error, got ${JSON.stringify(got.result)}`;
  if (got.result !== c.expected) {
    return `expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(got.result)}`;
  }
  if (compareNames) {
    const matched = [...got.matched].sort();
    const unmatched = [...got.unmatched].sort();
    const wantMatched = [...(c.matched ?? [])].sort();
    const wantUnmatched = [...(c.unmatched ?? [])].sort();
    if (JSON.stringify(matched) !== JSON.stringify(wantMatched)) {
      return `matched: expected ${JSON.stringify(wantMatched)}, got ${JSON.stringify(matched)}`;
    }
    if (JSON.stringify(unmatched) !== JSON.stringify(wantUnmatched)) {
      return `unmatched: expected ${JSON.stringify(wantUnmatched)}, got ${
        JSON.stringify(unmatched)
      }`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------

function table(file: string): ConformanceTable {
  return { file, passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
}

function pass(t: ConformanceTable): void {
  t.passed++;
}

function fail(t: ConformanceTable, name: string, reason: string): void {
  t.failed++;
  const c: ConformanceCase = { name, reason };
  t.failures.push(c);
}

/** Lines as Go's `bufio.ScanLines` yields them (no final empty line, `\r\n` accepted). */
function scanLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
}

/** Go's `strings.TrimSpace` (Unicode white space, not U+FEFF). */
function goTrimSpace(s: string): string {
  return s.replace(GO_SPACE_START, "").replace(GO_SPACE_END, "");
}

const GO_SPACES =
  "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const GO_SPACE_START = new RegExp(`^[${GO_SPACES}]+`);
const GO_SPACE_END = new RegExp(`[${GO_SPACES}]+$`);
