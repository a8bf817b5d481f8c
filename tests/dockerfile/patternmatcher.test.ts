// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BadPatternError,
  cleanPath,
  describePattern,
  EMPTY_MATCH_INFO,
  filepathMatch,
  matches,
  PatternMatcher,
} from "../../src/dockerfile/patternmatcher.ts";

describe("patternmatcher", () => {
  it("cleanPath() behaves like Go path.Clean", () => {
    assert.equal(cleanPath(""), ".");
    assert.equal(cleanPath("a//b/./c/.."), "a/b");
    assert.equal(cleanPath("/../a/"), "/a");
    assert.equal(cleanPath("../../a"), "../../a");
    assert.equal(cleanPath("docs/"), "docs");
  });

  it("filepathMatch() follows Go filepath.Match for classes, escapes and stars", () => {
    assert.equal(filepathMatch("a*b*c*d*e*/f", "axbxcxdxexxx/f"), true);
    assert.equal(filepathMatch("a*", "ab/c"), false);
    assert.equal(filepathMatch("ab[^e-g]", "abc"), true);
    assert.equal(filepathMatch("[\\-x]", "-"), true);
    assert.equal(filepathMatch("a?b", "a☺b"), true);
    assert.equal(filepathMatch("a?b", "a😀b"), true);
    assert.equal(filepathMatch("[a-ζ]*", "α"), true);
    for (const bad of ["[]a]", "[-]", "[x-]", "\\", "[a-b-c]", "[", "[^bc", "a["]) {
      assert.throws(() => filepathMatch(bad, "a"), BadPatternError, bad);
    }
  });

  it("matchesOrParentMatches() matches a path through any parent directory", () => {
    const pm = new PatternMatcher(["**/dir2/*"]);
    assert.equal(pm.matchesOrParentMatches("dir/dir2/file"), true);
    assert.equal(pm.matchesOrParentMatches("dir/dir2/file/deeper/x"), true);
    assert.equal(pm.matchesOrParentMatches("dir/dir3/file"), false);
    assert.equal(new PatternMatcher(["abc/**"]).matchesOrParentMatches("abc"), false);
    assert.equal(new PatternMatcher(["**/.foo"]).matchesOrParentMatches("bar.foo"), false);
    assert.equal(new PatternMatcher(["a.|)$(}+{bc"]).matchesOrParentMatches("a.|)$(}+{bc"), true);
  });

  it("matchesOrParentMatches() lets the last matching pattern win", () => {
    const pm = new PatternMatcher(["**", "!util/docker/web", "util/docker/web/foo"]);
    assert.equal(pm.matchesOrParentMatches("util/docker/web/foo"), true);
    assert.equal(pm.matchesOrParentMatches("util/docker/web/bar"), false);
    assert.equal(pm.matchesOrParentMatches("other"), true);
    assert.equal(pm.exclusions(), true);
  });

  it("matchesOrParentMatches() agrees on unclean paths with the per-parent loop", () => {
    const pm = new PatternMatcher(["a/b"]);
    // Go takes parents from filepath.Dir, which cleans: "a//b/c" has parent "a/b".
    assert.equal(pm.matchesOrParentMatches("a//b/c"), true);
    assert.equal(pm.matchesOrParentMatches("a/b/c"), true);
    // "./a" has no parent after cleaning and is not itself "a".
    assert.equal(new PatternMatcher(["a"]).matchesOrParentMatches("./a"), false);
    assert.equal(
      new PatternMatcher(["a"]).matchesUsingParentResults("./a", EMPTY_MATCH_INFO).matched,
      false,
    );
    assert.equal(new PatternMatcher(["**"]).matchesOrParentMatches("/"), true);
  });

  it("matchesUsingParentResults() reuses the parent's per-pattern results", () => {
    const pm = new PatternMatcher(["foo*", "!foo/bar2"]);
    const foo = pm.matchesUsingParentResults("foo", EMPTY_MATCH_INFO);
    assert.equal(foo.matched, true);
    assert.deepEqual(foo.info.parentMatched, [true, false]);
    assert.equal(pm.matchesUsingParentResults("foo/bar2", foo.info).matched, false);
    assert.equal(pm.matchesUsingParentResults("foo/bar3", foo.info).matched, true);
    assert.throws(
      () => pm.matchesUsingParentResults("x", { parentMatched: [true] }),
      /wrong number of values/,
    );
  });

  it("PatternMatcher trims patterns like Go strings.TrimSpace", () => {
    assert.equal(new PatternMatcher(["\u00a0docs\u0085"]).matchesOrParentMatches("docs/x"), true);
    assert.equal(new PatternMatcher(["\uFEFFdocs"]).matchesOrParentMatches("docs"), false);
  });

  it("PatternMatcher rejects a lone ! and malformed patterns, drops empty ones", () => {
    assert.throws(() => new PatternMatcher(["!"]), /illegal exclusion pattern: "!"/);
    assert.throws(() => new PatternMatcher(["["]), BadPatternError);
    assert.equal(new PatternMatcher(["docs", "config", ""]).patterns().length, 2);
    assert.equal(new PatternMatcher(["  !docs/README.md"]).exclusions(), true);
  });

  it("matchesOrParentMatches() reports ErrBadPattern for a pattern RegExp cannot compile", () => {
    const pm = new PatternMatcher(["[Local-Only]/"]);
    assert.throws(() => pm.matchesOrParentMatches("x"), BadPatternError);
    assert.throws(() => pm.matchesOrParentMatches("x"), BadPatternError);
  });

  it("matches() is the one-level legacy check and never matches '.'", () => {
    assert.equal(matches("fileutils.go", ["*.go"]), true);
    assert.equal(matches("docs/README.md", ["docs/*", "!docs/README.md"]), false);
    assert.equal(matches(".", ["*"]), false);
    assert.equal(matches("a/b/c", ["a"]), true);
    assert.equal(matches("a*b", ["a\\*b"]), true);
    assert.equal(matches("ab", ["a\\*b"]), false);
  });

  it("describePattern() classifies patterns like moby/patternmatcher", () => {
    assert.deepEqual(describePattern("**"), { matchType: "suffixMatch", regexp: null });
    assert.deepEqual(describePattern("dir/**"), { matchType: "prefixMatch", regexp: null });
    assert.deepEqual(describePattern("abc.def"), { matchType: "exactMatch", regexp: null });
    assert.deepEqual(describePattern("**/**/*.txt"), {
      matchType: "regexpMatch",
      regexp: "^(.*/)?(.*/)?[^/]*\\.txt$",
    });
  });

  it("PatternMatcher matches 100,000 paths against 20 patterns quickly", () => {
    const patterns = [
      "node_modules",
      "**/*.log",
      "dist/**",
      "!dist/keep.txt",
      ".git",
      "**/tmp",
      "*.md",
      "!README.md",
      "build/*/out",
      "coverage",
      "**/.DS_Store",
      "src/**/*.test.ts",
      "docs/[a-c]*",
      "vendor/**/testdata",
      "*.swp",
      "**/__pycache__",
      "target",
      "!target/keep",
      "a?c",
      "secret*",
    ];
    const pm = new PatternMatcher(patterns);
    const paths: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      paths.push(`src/pkg${i % 97}/sub${i % 13}/file${i}.${i % 3 === 0 ? "log" : "ts"}`);
    }
    const start = performance.now();
    let n = 0;
    for (const p of paths) if (pm.matchesOrParentMatches(p)) n++;
    const ms = performance.now() - start;
    assert.equal(n, Math.ceil(100_000 / 3));
    // Guards against a per-path recompile or backtracking (many seconds), not a fast machine.
    assert.ok(ms < 3000, `took ${ms.toFixed(0)}ms`);
  });
});
