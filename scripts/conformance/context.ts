// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Conformance runner for the build-context area: .dockerignore matching
 * (moby/patternmatcher), ignore-file reading, fsutil walk filtering, Git ref
 * recognition and EXPOSE port specs. Reads the corpus in place.
 *
 * @module
 */

import * as nodeFs from "node:fs";
import * as nodePath from "node:path";
import * as os from "node:os";
import process from "node:process";
import type { ConformanceCase, ConformanceRunner, ConformanceTable } from "./types.ts";
import {
  BadPatternError,
  cleanPath,
  describePattern,
  EMPTY_MATCH_INFO,
  matches,
  PatternMatcher,
} from "../../src/dockerfile/patternmatcher.ts";
import { readIgnoreFile } from "../../src/dockerfile/ignorefile.ts";
import { type GitRef, gitRefFragmentFormat, parseGitRef } from "../../src/dockerfile/git_ref.ts";
import { parsePortSpecs } from "../../src/frontend/expose.ts";
import {
  ContextFilter,
  type FilterOptions,
  walkContext,
  type WalkFs,
  type WalkStat,
} from "../../src/archive/walk.ts";

class Table {
  passed = 0;
  failed = 0;
  skipped = 0;
  failures: ConformanceCase[] = [];
  skips: ConformanceCase[] = [];
  constructor(readonly file: string) {}
  check(name: string, fn: () => string | null): void {
    let reason: string | null;
    try {
      reason = fn();
    } catch (e) {
      reason = `threw: ${(e as Error).message}`;
    }
    if (reason === null) this.passed++;
    else {
      this.failed++;
      this.failures.push({ name, reason });
    }
  }
  skip(name: string, reason: string): void {
    this.skipped++;
    this.skips.push({ name, reason });
  }
  result(): ConformanceTable {
    return {
      file: this.file,
      passed: this.passed,
      failed: this.failed,
      skipped: this.skipped,
      failures: this.failures,
      skips: this.skips,
    };
  }
}

function readJson(dir: string, rel: string): unknown {
  return JSON.parse(nodeFs.readFileSync(nodePath.join(dir, rel), "utf8"));
}

function missing(rel: string, dir: string): ConformanceTable {
  return {
    file: rel,
    passed: 0,
    failed: 0,
    skipped: 1,
    failures: [],
    skips: [{ name: rel, reason: `corpus file not found under ${dir}` }],
  };
}

/** Evaluates the parents of `path` first, as an incremental walk would. */
function incrementalMatch(pm: PatternMatcher, path: string): boolean {
  const parentPath = cleanPath(path.slice(0, path.lastIndexOf("/") + 1));
  let info = EMPTY_MATCH_INFO;
  if (parentPath !== ".") {
    const dirs = parentPath.split("/");
    for (let i = 0; i < dirs.length; i++) {
      info = pm.matchesUsingParentResults(dirs.slice(0, i + 1).join("/"), info).info;
    }
  }
  return pm.matchesUsingParentResults(path, info).matched;
}

function threeWays(pm: PatternMatcher, path: string, expected: boolean): string | null {
  const a = pm.matchesOrParentMatches(path);
  const b = incrementalMatch(pm, path);
  const c = pm.matchesUsingParentResults(path, EMPTY_MATCH_INFO).matched;
  if (a !== expected) return `matchesOrParentMatches=${a}, want ${expected}`;
  if (b !== expected) return `matchesUsingParentResults (incremental)=${b}, want ${expected}`;
  if (c !== expected) return `matchesUsingParentResults (empty info)=${c}, want ${expected}`;
  return null;
}

interface MatchesJson {
  singlePattern: { pattern: string; path: string; expected: boolean; unixOnly?: boolean }[];
  multiPattern: { patterns: string[]; path: string; expected: boolean }[];
  legacyMatchesFunc: {
    cases: { pattern: string; path: string; expected: boolean; err: string | null }[];
  };
  compile: { cases: { pattern: string; matchType: string; regexp: string | null }[] };
  misc: {
    patterns: string[];
    path?: string;
    expected?: boolean;
    func: string;
    expectError?: boolean | string;
    expectPatternCount?: number;
    expectExclusions?: boolean;
  }[];
}

function runMatches(dir: string): ConformanceTable {
  const rel = "patternmatcher/matches.json";
  const t = new Table(rel);
  const d = readJson(dir, rel) as MatchesJson;
  d.singlePattern.forEach((c, i) => {
    t.check(`singlePattern[${i}] ${c.pattern} ~ ${c.path}`, () => {
      return threeWays(new PatternMatcher([c.pattern]), c.path, c.expected);
    });
  });
  d.multiPattern.forEach((c, i) => {
    t.check(`multiPattern[${i}] ${JSON.stringify(c.patterns)} ~ ${c.path}`, () => {
      return threeWays(new PatternMatcher(c.patterns), c.path, c.expected);
    });
  });
  d.legacyMatchesFunc.cases.forEach((c, i) => {
    t.check(`legacyMatchesFunc[${i}] ${c.pattern} ~ ${c.path}`, () => {
      let got: boolean;
      try {
        got = matches(c.path, [c.pattern]);
      } catch (e) {
        if (c.err === "ErrBadPattern" && e instanceof BadPatternError) return null;
        return `threw ${(e as Error).message}, want ${c.err ?? c.expected}`;
      }
      if (c.err !== null) return `returned ${got}, want error ${c.err}`;
      return got === c.expected ? null : `got ${got}, want ${c.expected}`;
    });
  });
  d.compile.cases.forEach((c, i) => {
    t.check(`compile[${i}] ${c.pattern}`, () => {
      const got = describePattern(c.pattern);
      if (got.matchType !== c.matchType) return `matchType ${got.matchType}, want ${c.matchType}`;
      if (got.regexp !== c.regexp) return `regexp ${got.regexp}, want ${c.regexp}`;
      return null;
    });
  });
  d.misc.forEach((c, i) => {
    t.check(`misc[${i}] ${c.func} ${JSON.stringify(c.patterns)}`, () => {
      if (c.func === "MatchesOrParentMatches" && c.expectError !== undefined) {
        const pm = new PatternMatcher(c.patterns);
        for (let k = 0; k < 2; k++) {
          try {
            pm.matchesOrParentMatches(c.path ?? "");
            return "no error";
          } catch (e) {
            if (!(e instanceof BadPatternError)) return `wrong error ${(e as Error).message}`;
          }
        }
        return null;
      }
      if (c.expectError !== undefined) {
        try {
          matches(c.path ?? "", c.patterns);
        } catch {
          return null;
        }
        return "no error";
      }
      if (c.expectPatternCount !== undefined) {
        const n = new PatternMatcher(c.patterns).patterns().length;
        return n === c.expectPatternCount ? null : `count ${n}, want ${c.expectPatternCount}`;
      }
      if (c.expectExclusions !== undefined) {
        const x = new PatternMatcher(c.patterns).exclusions();
        return x === c.expectExclusions ? null : `exclusions ${x}`;
      }
      const got = matches(c.path ?? "", c.patterns);
      return got === c.expected ? null : `got ${got}, want ${c.expected}`;
    });
  });
  return t.result();
}

function runIgnoreFile(dir: string): ConformanceTable {
  const rel = "patternmatcher/ignorefile_readall.json";
  const t = new Table(rel);
  const d = readJson(dir, rel) as { cases: { input: string | null; expected: string[] }[] };
  d.cases.forEach((c, i) => {
    t.check(`cases[${i}]`, () => {
      const got = JSON.stringify(readIgnoreFile(c.input));
      const want = JSON.stringify(c.expected);
      return got === want ? null : `got ${got}, want ${want}`;
    });
  });
  return t.result();
}

/** A {@linkcode WalkFs} over a real directory. */
export function nodeWalkFs(root: string): WalkFs {
  const abs = (p: string) => (p === "" ? root : nodePath.join(root, p));
  return {
    readdir: (p) => nodeFs.readdirSync(abs(p)),
    lstat: (p): WalkStat => {
      const st = nodeFs.lstatSync(abs(p));
      const type = st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : "file";
      return {
        type,
        mode: st.mode & 0o7777,
        size: st.size,
        uid: st.uid,
        gid: st.gid,
        mtimeMs: st.mtimeMs,
      };
    },
    readlink: (p) => nodeFs.readlinkSync(abs(p)),
  };
}

interface TreeEntry {
  path: string;
  type: "file" | "dir" | "symlink";
  target?: string;
  data?: string;
}

/** Creates `tree` under a fresh temporary directory and returns its path. */
export function buildTree(tree: readonly TreeEntry[]): string {
  const root = nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), "bkts-walk-"));
  for (const e of tree) {
    const p = nodePath.join(root, e.path);
    if (e.type === "dir") nodeFs.mkdirSync(p, { mode: 0o700 });
    else if (e.type === "file") nodeFs.writeFileSync(p, e.data ?? "", { mode: 0o644 });
    else nodeFs.symlinkSync(e.target ?? "", p);
  }
  return root;
}

interface FilterJson {
  IncludePatterns?: string[];
  ExcludePatterns?: string[];
  FollowPaths?: string[];
}

function toOptions(f: FilterJson): FilterOptions {
  const o: FilterOptions = {};
  if (f.IncludePatterns) o.includePatterns = f.IncludePatterns;
  if (f.ExcludePatterns) o.excludePatterns = f.ExcludePatterns;
  if (f.FollowPaths) o.followPaths = f.FollowPaths;
  return o;
}

interface WalkCase {
  test: string;
  tree?: TreeEntry[];
  filter?: FilterJson;
  filterStack?: FilterJson[];
  expectedWalk?: string[];
  openable?: string[];
  notOpenable?: string[];
  expectError?: boolean;
}

function runWalkCase(c: WalkCase): string | null {
  const root = buildTree(c.tree ?? []);
  try {
    const fs = nodeWalkFs(root);
    if (c.expectError) {
      try {
        new ContextFilter(fs, toOptions(c.filter ?? {}));
      } catch {
        return null;
      }
      return "no error";
    }
    if (c.expectedWalk) {
      const entries = c.filterStack
        ? walkContext(fs, { filterStack: c.filterStack.map(toOptions) })
        : walkContext(fs, toOptions(c.filter ?? {}));
      const lines = entries.map((e) =>
        e.type === "symlink" ? `symlink:${e.target} ${e.path}` : `${e.type} ${e.path}`
      );
      const got = JSON.stringify(lines);
      const want = JSON.stringify(c.expectedWalk);
      return got === want ? null : `walk ${got}, want ${want}`;
    }
    const filter = new ContextFilter(fs, toOptions(c.filter ?? {}));
    const canOpen = (p: string) => filter.allows(p) && nodeFs.existsSync(nodePath.join(root, p));
    for (const p of c.openable ?? []) if (!canOpen(p)) return `${p} not openable`;
    for (const p of c.notOpenable ?? []) if (canOpen(p)) return `${p} openable`;
    return null;
  } finally {
    nodeFs.rmSync(root, { recursive: true, force: true });
  }
}

function runWalk(dir: string): ConformanceTable {
  const rel = "fsutil/walk_filter_cases.json";
  const t = new Table(rel);
  const d = readJson(dir, rel) as { cases: WalkCase[]; extraHandWritten: WalkCase[] };
  d.cases.forEach((c, i) => t.check(`cases[${i}] ${c.test}`, () => runWalkCase(c)));
  d.extraHandWritten.forEach((c, i) => {
    t.check(`extraHandWritten[${i}] ${c.test}`, () => runWalkCase(c));
  });
  return t.result();
}

const GIT_FIELDS: [string, keyof GitRef][] = [
  ["Remote", "remote"],
  ["ShortName", "shortName"],
  ["Ref", "ref"],
  ["Checksum", "checksum"],
  ["SubDir", "subDir"],
  ["IndistinguishableFromLocal", "indistinguishableFromLocal"],
  ["UnencryptedTCP", "unencryptedTcp"],
  ["KeepGitDir", "keepGitDir"],
  ["Submodules", "submodules"],
  ["MTime", "mtime"],
  ["FetchByCommit", "fetchByCommit"],
];

function gitRefToGo(r: GitRef): Record<string, unknown> {
  const zero: Record<string, unknown> = {
    Remote: "",
    ShortName: "",
    Ref: "",
    Checksum: "",
    SubDir: "",
    IndistinguishableFromLocal: false,
    UnencryptedTCP: false,
    KeepGitDir: null,
    Submodules: null,
    MTime: "",
    FetchByCommit: false,
  };
  for (const [go, ts] of GIT_FIELDS) if (r[ts] !== undefined) zero[go] = r[ts];
  return zero;
}

function runGitRef(dir: string): ConformanceTable {
  const rel = "frontend/dockerfile/dfgitutil/git_ref_cases.json";
  const t = new Table(rel);
  interface FragCase {
    ref: string;
    expected: string;
    ok: boolean;
  }
  const d = readJson(dir, rel) as {
    cases: { ref: string; expected: Record<string, unknown> | null; err: string | null }[];
    fragmentFormat: { cases: FragCase[] };
    fragmentFormatWithSubdir: { cases: FragCase[] };
  };
  d.cases.forEach((c, i) => {
    t.check(`cases[${i}] ${c.ref}`, () => {
      let got: GitRef;
      try {
        got = parseGitRef(c.ref);
      } catch (e) {
        if (c.expected !== null) return `threw ${(e as Error).message}`;
        if (c.err !== null && !(e as Error).message.includes(c.err)) {
          return `error ${JSON.stringify((e as Error).message)} lacks ${JSON.stringify(c.err)}`;
        }
        return null;
      }
      if (c.expected === null) return `parsed ${JSON.stringify(got)}, want error`;
      const want = gitRefToGo({} as GitRef);
      for (const [k, v] of Object.entries(c.expected)) want[k] = v;
      const g = JSON.stringify(gitRefToGo(got));
      const w = JSON.stringify(want);
      return g === w ? null : `got ${g}, want ${w}`;
    });
  });
  const frag = (name: string, cases: FragCase[], withSubdir: boolean) => {
    cases.forEach((c, i) => {
      t.check(`${name}[${i}] ${c.ref}`, () => {
        const got = gitRefFragmentFormat(c.ref, { withSubdir });
        if (got.url !== c.expected || got.ok !== c.ok) {
          return `got ${JSON.stringify(got)}, want ${JSON.stringify(c)}`;
        }
        return null;
      });
    });
  };
  frag("fragmentFormat", d.fragmentFormat.cases, false);
  frag("fragmentFormatWithSubdir", d.fragmentFormatWithSubdir.cases, true);
  return t.result();
}

function runExpose(dir: string): ConformanceTable {
  const rel = "frontend/dockerfile/dockerfile2llb/expose_cases.json";
  const t = new Table(rel);
  const d = readJson(dir, rel) as {
    errorCases: { spec: string; error: string }[];
    ipv6: { spec: string; expected: string[] }[];
    inline: { spec?: string; specs?: string[]; expected?: string[]; expectError?: boolean }[];
  };
  d.errorCases.forEach((c, i) => {
    t.check(`errorCases[${i}] ${c.spec}`, () => {
      try {
        parsePortSpecs([c.spec]);
      } catch (e) {
        const m = (e as Error).message;
        return m === c.error ? null : `error ${JSON.stringify(m)}, want ${JSON.stringify(c.error)}`;
      }
      return "no error";
    });
  });
  const expectPorts = (specs: string[], expected: string[]) => {
    const got = JSON.stringify(parsePortSpecs(specs).ports);
    const want = JSON.stringify(expected);
    return got === want ? null : `got ${got}, want ${want}`;
  };
  d.ipv6.forEach((c, i) =>
    t.check(`ipv6[${i}] ${c.spec}`, () => expectPorts([c.spec], c.expected))
  );
  d.inline.forEach((c, i) => {
    const specs = c.specs ?? (c.spec !== undefined ? [c.spec] : []);
    t.check(`inline[${i}] ${JSON.stringify(specs)}`, () => {
      if (c.expectError) {
        try {
          parsePortSpecs(specs);
        } catch {
          return null;
        }
        return "no error";
      }
      return expectPorts(specs, c.expected ?? []);
    });
  });
  return t.result();
}

/** Runs every corpus file of the area; a missing file yields a skipped table. */
export const run: ConformanceRunner = (dir) => {
  const tables: ConformanceTable[] = [];
  const parts: [string, (d: string) => ConformanceTable][] = [
    ["patternmatcher/matches.json", runMatches],
    ["patternmatcher/ignorefile_readall.json", runIgnoreFile],
    ["fsutil/walk_filter_cases.json", runWalk],
    ["frontend/dockerfile/dfgitutil/git_ref_cases.json", runGitRef],
    ["frontend/dockerfile/dockerfile2llb/expose_cases.json", runExpose],
  ];
  for (const [rel, fn] of parts) {
    if (!nodeFs.existsSync(nodePath.join(dir, rel))) tables.push(missing(rel, dir));
    else tables.push(fn(dir));
  }
  return Promise.resolve(tables);
};

if (import.meta.main) {
  const here = nodePath.dirname(new URL(import.meta.url).pathname);
  const dir = process.env.BUILDKIT_CONFORMANCE_DIR ??
    nodePath.resolve(here, "../../../shared/conformance");
  for (const table of await run(dir)) {
    console.log(
      `${table.file}: ${table.passed} passed, ${table.failed} failed, ${table.skipped} skipped`,
    );
    for (const f of table.failures) console.log(`  FAIL ${f.name}: ${f.reason}`);
  }
}
