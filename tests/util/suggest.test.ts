// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { levenshtein, suggest, withSuggestion } from "../../src/util/mod.ts";

describe("suggest()", () => {
  it("suggest() finds the closest candidate and keeps the word's case", () => {
    assert.equal(suggest("FORM", ["FROM", "RUN", "COPY"]), "FROM");
    assert.equal(suggest("form", ["FROM", "RUN", "COPY"]), "from");
    assert.equal(suggest("Cpy", ["FROM", "RUN", "COPY"]), "copy");
  });

  it("suggest() returns undefined for an exact match or a distant word", () => {
    assert.equal(suggest("from", ["FROM"]), undefined);
    assert.equal(suggest("xyzzy", ["FROM", "RUN"]), undefined);
  });

  it("suggest() uses a distance below 3", () => {
    assert.equal(suggest("abcde", ["abxye"]), "abxye");
    assert.equal(suggest("abcde", ["axyze"]), undefined);
  });

  it("suggest() compares case-sensitively when asked", () => {
    assert.equal(suggest("LINK", ["link"], { caseSensitive: true }), undefined);
    assert.equal(suggest("lnk", ["link"], { caseSensitive: true }), "link");
  });

  it("levenshtein() counts inserts, deletes and substitutions", () => {
    assert.equal(levenshtein("kitten", "sitting"), 3);
    assert.equal(levenshtein("", "abc"), 3);
    assert.equal(levenshtein("ab", "ba"), 2);
  });

  it("withSuggestion() appends BuildKit's did-you-mean text", () => {
    assert.equal(
      withSuggestion("unknown flag: --lnk", "link"),
      "unknown flag: --lnk (did you mean link?)",
    );
    assert.equal(withSuggestion("unknown flag: --zzz", undefined), "unknown flag: --zzz");
  });
});
