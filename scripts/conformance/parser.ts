// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Conformance runner for the Dockerfile parser: BuildKit's golden parser
 * files (`frontend/dockerfile/parser/testfiles*`, `testfile-line`) and the
 * JSON extracts `heredoc_cases.json`, `json_and_words_cases.json`,
 * `parser_misc_cases.json`.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConformanceCase, ConformanceRunner, ConformanceTable } from "./types.ts";
import type { Heredoc, Node } from "../../src/dockerfile/ast.ts";
import { DockerfileError } from "../../src/dockerfile/errors.ts";
import { parseDockerfile } from "../../src/dockerfile/parser.ts";
import { dumpAst } from "../../src/dockerfile/dump.ts";
import {
  chompHeredocContent,
  heredocsFromLine,
  parseHeredoc,
} from "../../src/dockerfile/heredoc.ts";
import {
  NOT_STRING_ARRAY_MESSAGE,
  parseJSON,
  parseWords,
} from "../../src/dockerfile/line_parsers.ts";
import {
  type DetectedDirective,
  detectSyntax,
  DirectiveParser,
  parseDirective,
} from "../../src/dockerfile/directives.ts";

const PARSER_DIR = "frontend/dockerfile/parser";

/** Collects the outcome of the cases of one corpus file. */
class Table {
  readonly t: ConformanceTable;
  constructor(file: string) {
    this.t = { file, passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
  }
  /** Runs one case: `check` returns undefined on success or the reason of a failure. */
  check(name: string, check: () => string | undefined): void {
    let reason: string | undefined;
    try {
      reason = check();
    } catch (e) {
      reason = `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (reason === undefined) this.t.passed++;
    else {
      this.t.failed++;
      this.t.failures.push({ name, reason });
    }
  }
  skip(c: ConformanceCase): void {
    this.t.skipped++;
    this.t.skips.push(c);
  }
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 300 ? s.slice(0, 300) + "…" : s;
}

function runTestfiles(dir: string): ConformanceTable {
  const table = new Table(`${PARSER_DIR}/testfiles`);
  const root = join(dir, PARSER_DIR, "testfiles");
  for (const name of readdirSync(root).sort()) {
    table.check(name, () => {
      const input = readFileSync(join(root, name, "Dockerfile"));
      const expected = readFileSync(join(root, name, "result"), "utf8");
      const actual = dumpAst(parseDockerfile(input).ast) + "\n";
      if (actual === expected) return undefined;
      const a = actual.split("\n");
      const e = expected.split("\n");
      const i = a.findIndex((l, k) => l !== e[k]);
      return `dump differs at line ${i + 1}: got ${show(a[i])}, want ${show(e[i])}`;
    });
  }
  return table.t;
}

const NEGATIVE_MESSAGES: Record<string, string> = {
  empty_dockerfile: "file with no instructions",
  only_comments: "file with no instructions",
  env_no_value: "ENV must have two arguments",
  "shykes-nested-json": NOT_STRING_ARRAY_MESSAGE,
};

function runNegative(dir: string): ConformanceTable {
  const table = new Table(`${PARSER_DIR}/testfiles-negative`);
  const root = join(dir, PARSER_DIR, "testfiles-negative");
  for (const name of readdirSync(root).sort()) {
    table.check(name, () => {
      const err = errorOf(() => parseDockerfile(readFileSync(join(root, name, "Dockerfile"))));
      if (err === undefined) return "parsed without error";
      if (!(err instanceof DockerfileError)) return `not a DockerfileError: ${String(err)}`;
      const want = NEGATIVE_MESSAGES[name];
      if (want !== undefined && err.message !== want) {
        return `message ${show(err.message)}, want ${show(want)}`;
      }
      return undefined;
    });
  }
  return table.t;
}

function runTestfileLine(dir: string): ConformanceTable {
  const table = new Table(`${PARSER_DIR}/testfile-line`);
  const misc = JSON.parse(readFileSync(join(dir, PARSER_DIR, "parser_misc_cases.json"), "utf8"));
  const spec = misc.lineNumbers as {
    file: string;
    root: { StartLine: number; EndLine: number };
    children: [number, number][];
  };
  const { ast } = parseDockerfile(readFileSync(join(dir, PARSER_DIR, spec.file)));
  table.check(
    "root",
    () =>
      ast.startLine === spec.root.StartLine && ast.endLine === spec.root.EndLine
        ? undefined
        : `root [${ast.startLine},${ast.endLine}], want [${spec.root.StartLine},${spec.root.EndLine}]`,
  );
  table.check("children", () => {
    const got = ast.children.map((c) => [c.startLine, c.endLine]);
    return same(got, spec.children) ? undefined : `got ${show(got)}, want ${show(spec.children)}`;
  });
  return table.t;
}

interface GoHeredoc {
  Name: string;
  FileDescriptor: number;
  Expand: boolean;
  Chomp: boolean;
  Content: string;
}

function toGo(h: Heredoc): GoHeredoc {
  return {
    Name: h.name,
    FileDescriptor: h.fileDescriptor,
    Expand: h.expand,
    Chomp: h.chomp,
    Content: h.content,
  };
}

function runHeredocCases(dir: string): ConformanceTable {
  const file = `${PARSER_DIR}/heredoc_cases.json`;
  const table = new Table(file);
  const data = JSON.parse(readFileSync(join(dir, file), "utf8"));

  const extract = data.parseExtractsHeredoc as {
    dockerfile: string;
    expected: (GoHeredoc[] | null)[];
  };
  let children: Node[] = [];
  table.check("parseExtractsHeredoc/parse", () => {
    children = parseDockerfile(extract.dockerfile).ast.children;
    return children.length === extract.expected.length + 1
      ? undefined
      : `${children.length} instructions, want ${extract.expected.length + 1}`;
  });
  extract.expected.forEach((want, i) => {
    table.check(`parseExtractsHeredoc[${i}]`, () => {
      const child = children[i + 1];
      if (child === undefined) return "missing instruction";
      const got = child.heredocs.length === 0 ? null : child.heredocs.map(toGo);
      return same(got, want) ? undefined : `got ${show(got)}, want ${show(want)}`;
    });
  });

  const jsonForm = data.jsonFormNoHeredoc as { dockerfile: string };
  table.check("jsonFormNoHeredoc", () => {
    const kids = parseDockerfile(jsonForm.dockerfile).ast.children;
    const bad = kids.slice(1, 4).filter((c) => c.heredocs.length > 0);
    return bad.length === 0 ? undefined : `heredocs found on ${show(bad.map((b) => b.original))}`;
  });

  (data.chompHeredocContent as { input: string; expected: string }[]).forEach((c, i) => {
    table.check(`chompHeredocContent[${i}]`, () => {
      const got = chompHeredocContent(c.input);
      return got === c.expected ? undefined : `got ${show(got)}`;
    });
  });

  const words = data.parseHeredocWord as Record<
    "valid_name_EOF" | "error" | "notHeredoc",
    string[]
  >;
  for (const w of words.valid_name_EOF) {
    table.check(`parseHeredocWord/valid ${w}`, () => {
      const h = parseHeredoc(w);
      return h?.name === "EOF" ? undefined : `got ${show(h)}`;
    });
  }
  for (const w of words.error) {
    table.check(`parseHeredocWord/error ${w}`, () => {
      const err = errorOf(() => parseHeredoc(w));
      return err instanceof DockerfileError ? undefined : "no error";
    });
  }
  for (const w of words.notHeredoc) {
    table.check(`parseHeredocWord/notHeredoc ${show(w)}`, () => {
      const h = parseHeredoc(w);
      return h === undefined ? undefined : `got ${show(h)}`;
    });
  }

  (data.heredocsFromLine as { line: string; names: string[] | null }[]).forEach((c) => {
    table.check(`heredocsFromLine ${c.line}`, () => {
      // Upstream (TestHeredocsFromLine) asserts the name of every heredoc
      // returned, not that each listed name is found: BuildKit itself returns
      // none for `RUN <<- EOF` (its lexer splits `<<-` from `EOF`).
      const got = heredocsFromLine(c.line).map((h) => h.name);
      const want = c.names ?? [];
      if (got.length > want.length) return `got ${show(got)}, want ${show(c.names)}`;
      return got.every((n, i) => n === want[i])
        ? undefined
        : `got ${show(got)}, want ${show(want)}`;
    });
  });
  return table.t;
}

function runJsonAndWords(dir: string): ConformanceTable {
  const file = `${PARSER_DIR}/json_and_words_cases.json`;
  const table = new Table(file);
  const data = JSON.parse(readFileSync(join(dir, file), "utf8"));
  (data.parseJSON_valid as { input: string; expected: string[] }[]).forEach((c, i) => {
    table.check(`parseJSON_valid[${i}] ${c.input}`, () => {
      const got = parseJSON(c.input);
      return same(got, c.expected) ? undefined : `got ${show(got)}`;
    });
  });
  (data.parseJSON_notStringArray_error as string[]).forEach((input, i) => {
    table.check(`parseJSON_notStringArray_error[${i}] ${input}`, () => {
      const err = errorOf(() => parseJSON(input));
      if (!(err instanceof DockerfileError)) return `no error (got ${show(err)})`;
      return err.message === NOT_STRING_ARRAY_MESSAGE ? undefined : `message ${show(err.message)}`;
    });
  });
  (data.parseWords as { input: string; expected: string[] }[]).forEach((c, i) => {
    table.check(`parseWords[${i}] ${c.input}`, () => {
      const got = parseWords(c.input, { escapeToken: "\\" });
      return same(got, c.expected) ? undefined : `got ${show(got)}`;
    });
  });
  return table.t;
}

interface DirectiveCase {
  input?: string;
  inputHex?: string;
  func: string;
  expected?: { Name: string; Value: string }[];
  ok?: boolean;
  ref?: string;
  cmdline?: string;
  line?: number;
}

function checkDetected(c: DirectiveCase, got: DetectedDirective | undefined): string | undefined {
  if (!c.ok) {
    if (got !== undefined) return `found ${show(got)}, want none`;
    return undefined;
  }
  if (got === undefined) return "not found";
  if (c.ref !== undefined && got.ref !== c.ref) return `ref ${show(got.ref)}, want ${show(c.ref)}`;
  if (c.cmdline !== undefined && got.cmdline !== c.cmdline) {
    return `cmdline ${show(got.cmdline)}, want ${show(c.cmdline)}`;
  }
  if (c.line !== undefined && got.range[0]?.start !== c.line) {
    return `line ${show(got.range)}, want ${c.line}`;
  }
  return undefined;
}

function runMisc(dir: string): ConformanceTable {
  const file = `${PARSER_DIR}/parser_misc_cases.json`;
  const table = new Table(file);
  const data = JSON.parse(readFileSync(join(dir, file), "utf8"));

  const ec = data.emptyContinuationWarnings as {
    dockerfile: string;
    expectedWarningCount: number;
    warningShortContains: string[];
    secondWarningShortContains: string[];
    detailContains: string;
  };
  table.check("emptyContinuationWarnings", () => {
    const { warnings } = parseDockerfile(ec.dockerfile);
    if (warnings.length !== ec.expectedWarningCount) {
      return `${warnings.length} warnings, want ${ec.expectedWarningCount}`;
    }
    for (const s of ec.warningShortContains) {
      if (!warnings[0]!.short.includes(s)) {
        return `first warning ${show(warnings[0]!.short)} lacks ${show(s)}`;
      }
    }
    for (const s of ec.secondWarningShortContains) {
      if (!warnings[1]!.short.includes(s)) return `second warning lacks ${show(s)}`;
    }
    if (!warnings.every((w) => w.detail.join("\n").includes(ec.detailContains))) {
      return "detail text missing";
    }
    if (!warnings.every((w) => w.rule === "NoEmptyContinuation")) return "wrong rule name";
    return undefined;
  });

  const ml = data.maxLineLength as { generator: string; error: string };
  table.check("maxLineLength", () => {
    // generator: '\n\t\tFROM image\n\t\tLABEL test=' + 'a'*65536 + '\n'
    const m = /^'(.*)' \+ 'a'\*(\d+) \+ '(.*)'$/.exec(ml.generator);
    if (m === null) return `cannot read generator ${ml.generator}`;
    const unescape = (s: string) => s.replaceAll("\\n", "\n").replaceAll("\\t", "\t");
    const input = unescape(m[1]!) + "a".repeat(Number(m[2])) + unescape(m[3]!);
    const err = errorOf(() => parseDockerfile(input));
    if (!(err instanceof DockerfileError)) return "no error";
    return err.message === ml.error ? undefined : `message ${show(err.message)}`;
  });

  (data.directives as DirectiveCase[]).forEach((c, i) => {
    const input: string | Uint8Array = c.inputHex !== undefined
      ? Uint8Array.from(c.inputHex.match(/../g)!.map((h) => parseInt(h, 16)))
      : c.input!;
    table.check(`directives[${i}] ${c.func} ${show(c.input ?? c.inputHex)}`, () => {
      switch (c.func) {
        case "DirectiveParser.ParseAll": {
          const text = typeof input === "string" ? input : new TextDecoder().decode(input);
          const got = new DirectiveParser().parseAll(text).map((d) => ({
            Name: d.name,
            Value: d.value,
          }));
          return same(got, c.expected) ? undefined : `got ${show(got)}`;
        }
        case "DetectSyntax":
          return checkDetected(c, detectSyntax(input));
        case "ParseDirective(check)":
          return checkDetected(c, parseDirective("check", input));
        default:
          return `unknown func ${c.func}`;
      }
    });
  });
  return table.t;
}

/** Runs every parser corpus file found under `dir`. */
export const run: ConformanceRunner = (dir) => {
  if (!existsSync(join(dir, PARSER_DIR))) {
    const t = new Table(PARSER_DIR);
    t.skip({ name: PARSER_DIR, reason: `corpus not found at ${join(dir, PARSER_DIR)}` });
    return Promise.resolve([t.t]);
  }
  return Promise.resolve([
    runTestfiles(dir),
    runNegative(dir),
    runTestfileLine(dir),
    runHeredocCases(dir),
    runJsonAndWords(dir),
    runMisc(dir),
  ]);
};
