// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Conformance runner for the instruction layer:
 * `frontend/dockerfile/instructions/instructions_cases.json`
 * (from BuildKit's `instructions/parse_test.go` and `parse_heredoc_test.go`).
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseDockerfile } from "../../src/dockerfile/parser.ts";
import {
  type Instruction,
  parseInstruction,
  parseStages,
} from "../../src/dockerfile/instructions/mod.ts";
import type { ConformanceCase, ConformanceRunner, ConformanceTable } from "./types.ts";

/** Corpus path relative to the conformance folder. */
export const INSTRUCTIONS_CORPUS = "frontend/dockerfile/instructions/instructions_cases.json";

/** One runnable case: `check()` returns undefined on success, else the reason it failed. */
export interface InstructionCase {
  name: string;
  check: () => string | undefined;
}

// deno-lint-ignore no-explicit-any
type Json = any;

function firstInstruction(dockerfile: string): Instruction {
  const node = parseDockerfile(dockerfile).ast.children[0];
  if (node === undefined) throw new Error("no instruction parsed");
  return parseInstruction(node);
}

function errorMessage(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function same(actual: unknown, expected: unknown): string | undefined {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  return a === b ? undefined : `expected ${b}, got ${a}`;
}

function expectError(dockerfile: string, check: (msg: string) => boolean, want: string) {
  const msg = errorMessage(() => firstInstruction(dockerfile));
  if (msg === undefined) return `expected error ${JSON.stringify(want)}, got none`;
  return check(msg)
    ? undefined
    : `expected error ${JSON.stringify(want)}, got ${JSON.stringify(msg)}`;
}

/** Builds the runnable cases of the corpus document. */
export function instructionCases(corpus: Json): InstructionCase[] {
  const cases: InstructionCase[] = [];
  (corpus.errorCases ?? []).forEach((c: Json, i: number) => {
    cases.push({
      name: `errorCases[${i}] ${c.name}`,
      check: () => expectError(c.dockerfile, (m) => m.includes(c.errorContains), c.errorContains),
    });
  });
  for (const section of ["exactlyOneArgument", "atLeastOneArgument", "noDestination"]) {
    (corpus[section] ?? []).forEach((c: Json, i: number) => {
      cases.push({
        name: `${section}[${i}] ${c.dockerfile}`,
        check: () => expectError(c.dockerfile, (m) => m === c.error, c.error),
      });
    });
  }
  (corpus.copyHeredoc ?? []).forEach((c: Json, i: number) => {
    cases.push({
      name: `copyHeredoc[${i}]`,
      check: () => {
        const inst = firstInstruction(c.dockerfile);
        if (inst.kind !== "copy") return `expected a COPY instruction, got ${inst.kind}`;
        return same({
          DestPath: inst.destPath,
          SourcePaths: inst.sourcePaths,
          SourceContents: inst.sourceContents.map((s) => ({
            Path: s.path,
            Data: s.data,
            Expand: s.expand,
          })),
        }, c.sourcesAndDest);
      },
    });
  });
  (corpus.runHeredoc ?? []).forEach((c: Json, i: number) => {
    cases.push({
      name: `runHeredoc[${i}]`,
      check: () => {
        const inst = firstInstruction(c.dockerfile);
        if (inst.kind !== "run") return `expected a RUN instruction, got ${inst.kind}`;
        return same({
          prependShell: inst.prependShell,
          cmdLine: inst.cmdLine,
          files: inst.files.map((f) => ({ Name: f.name, Data: f.data, Chomp: f.chomp })),
        }, { prependShell: c.prependShell, cmdLine: c.cmdLine, files: c.files });
      },
    });
  });
  (corpus.misc ?? []).forEach((c: Json, i: number) => {
    cases.push({
      name: `misc[${i}] ${c.dockerfile}`,
      check: () => {
        if (c.errorContains !== undefined) {
          return expectError(c.dockerfile, (m) => m.includes(c.errorContains), c.errorContains);
        }
        let inst: Instruction;
        try {
          inst = firstInstruction(c.dockerfile);
        } catch (e) {
          return `unexpected error: ${(e as Error).message}`;
        }
        if (c.expectTest !== undefined) {
          if (inst.kind !== "healthcheck") return `expected HEALTHCHECK, got ${inst.kind}`;
          return same(inst.health.test, c.expectTest);
        }
        if (c.flagsUsed !== undefined) {
          if (inst.kind !== "run") return `expected RUN, got ${inst.kind}`;
          return same([...inst.flagsUsed].sort(), [...c.flagsUsed].sort());
        }
        if (c.ok === true) return undefined;
        return "case has no expectation this runner knows";
      },
    });
  });
  if (corpus.docComments !== undefined) {
    const dc = corpus.docComments;
    for (const [key, want] of Object.entries(dc.expected as Record<string, Json>)) {
      cases.push({
        name: `docComments ${key}`,
        check: () => {
          const { metaArgs, stages } = parseStages(parseDockerfile(dc.dockerfile));
          if (key === "stage0.DocComment") return same(stages[0]?.docComment, want);
          let m = /^metaArgs\[(\d+)\]$/.exec(key);
          if (m !== null) {
            const a = metaArgs.flatMap((x) => x.args)[Number(m[1])];
            return same({ Key: a?.key, DocComment: a?.docComment }, want);
          }
          m = /^stage(\d+)\.cmd(\d+)\.args\[(\d+)\]$/.exec(key);
          if (m !== null) {
            const cmd = stages[Number(m[1])]?.commands[Number(m[2])];
            if (cmd?.kind !== "arg") return `expected ARG, got ${cmd?.kind}`;
            const a = cmd.args[Number(m[3])];
            return same({ Key: a?.key, DocComment: a?.docComment }, want);
          }
          return `unknown expectation key ${key}`;
        },
      });
    }
  }
  return cases;
}

/** Runs every case of the corpus file found under `dir`. */
export const run: ConformanceRunner = (dir: string) => {
  const path = join(dir, INSTRUCTIONS_CORPUS);
  const table: ConformanceTable = {
    file: INSTRUCTIONS_CORPUS,
    passed: 0,
    failed: 0,
    skipped: 0,
    failures: [],
    skips: [],
  };
  if (!existsSync(path)) {
    table.skipped = 1;
    table.skips.push({ name: INSTRUCTIONS_CORPUS, reason: `corpus not found at ${path}` });
    return Promise.resolve([table]);
  }
  const corpus = JSON.parse(readFileSync(path, "utf8"));
  for (const c of instructionCases(corpus)) {
    let reason: string | undefined;
    try {
      reason = c.check();
    } catch (e) {
      reason = `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (reason === undefined) table.passed++;
    else {
      table.failed++;
      const failure: ConformanceCase = { name: c.name, reason };
      table.failures.push(failure);
    }
  }
  return Promise.resolve([table]);
};

if (import.meta.main) {
  const dir = process.env.BUILDKIT_CONFORMANCE_DIR ??
    join(dirname(fileURLToPath(import.meta.url)), "../../../shared/conformance");
  for (const t of await run(dir)) {
    console.log(`${t.file}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
    for (const f of t.failures) console.log(`  FAIL ${f.name}: ${f.reason}`);
    for (const s of t.skips) console.log(`  SKIP ${s.name}: ${s.reason}`);
  }
}
