// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { dockerignorePathsFor, readIgnoreFile } from "../../src/dockerfile/ignorefile.ts";

describe("ignorefile", () => {
  it("readIgnoreFile() applies the ReadAll line rules", () => {
    const text =
      "\uFEFFtest1\n/test2\n/a/file/here\n\nlastfile\n# comment\n! /inverted/abs/path\n!\n! ";
    assert.deepEqual(readIgnoreFile(text), [
      "test1",
      "test2",
      "a/file/here",
      "lastfile",
      "!inverted/abs/path",
      "!",
      "!",
    ]);
  });

  it("readIgnoreFile() strips CR, cleans paths and keeps a lone /", () => {
    assert.deepEqual(readIgnoreFile("a/../b/\r\n./c//d\r\n/\n  # not a comment"), [
      "b",
      "c/d",
      "/",
      "# not a comment",
    ]);
  });

  it("readIgnoreFile() treats only a leading # as a comment and null as empty", () => {
    assert.deepEqual(readIgnoreFile(null), []);
    assert.deepEqual(readIgnoreFile("#x\nfoo#bar"), ["foo#bar"]);
    assert.deepEqual(readIgnoreFile("x\uFEFF\n\uFEFFy"), ["x\uFEFF", "\uFEFFy"]);
  });

  it("dockerignorePathsFor() prefers <Dockerfile>.dockerignore over the context root", () => {
    assert.deepEqual(dockerignorePathsFor("sub/Dockerfile.dev"), [
      { path: "sub/Dockerfile.dev.dockerignore", source: "dockerfile" },
      { path: ".dockerignore", source: "context" },
    ]);
    assert.deepEqual(dockerignorePathsFor(""), [{ path: ".dockerignore", source: "context" }]);
  });
});
