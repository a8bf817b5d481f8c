// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { GitRefError, gitRefFragmentFormat, parseGitRef } from "../../src/dockerfile/git_ref.ts";

function notGit(ref: string): GitRefError {
  try {
    parseGitRef(ref);
  } catch (e) {
    assert.ok(e instanceof GitRefError);
    return e;
  }
  assert.fail(`${ref} parsed`);
}

describe("git_ref", () => {
  it("parseGitRef() reads remote, short name, ref and subdir from a fragment", () => {
    assert.deepEqual(parseGitRef("https://github.com/foo/bar.git#baz/qux:quux/quuz"), {
      remote: "https://github.com/foo/bar.git",
      shortName: "bar",
      ref: "baz/qux",
      checksum: "",
      subDir: "quux/quuz",
      indistinguishableFromLocal: false,
      unencryptedTcp: false,
      mtime: "",
      fetchByCommit: false,
    });
  });

  it("parseGitRef() requires .git for http(s) and rejects local paths", () => {
    assert.equal(notGit("https://github.com/moby/buildkit").isGitRef, false);
    assert.equal(notGit("https://example.com/foo.git/").isGitRef, false);
    assert.equal(notGit("./.git").message, "invalid argument");
    assert.equal(notGit(".git").message, "unknown protocol");
    assert.equal(notGit("ftp://x/y.git").message, "ftp: invalid protocol");
  });

  it("parseGitRef() recognizes scp-like, git:// and bare github.com forms", () => {
    const scp = parseGitRef("git@github.com:moby/buildkit.git?subdir=/subdir#v1.0.0");
    assert.equal(scp.remote, "git@github.com:moby/buildkit.git");
    assert.equal(scp.ref, "v1.0.0");
    assert.equal(scp.subDir, "/subdir");
    const g = parseGitRef("git://example.com/foo");
    assert.equal(g.unencryptedTcp, true);
    assert.equal(g.shortName, "foo");
    const gh = parseGitRef("github.com/moby/buildkit?tag=v1.0.0");
    assert.equal(gh.remote, "github.com/moby/buildkit");
    assert.equal(gh.indistinguishableFromLocal, true);
    assert.equal(gh.ref, "refs/tags/v1.0.0");
  });

  it("parseGitRef() reads query options and reports conflicts", () => {
    const r = parseGitRef(
      "https://github.com/moby/buildkit.git?keep-git-dir&submodules=false&mtime=commit&fetch-by-commit=1&commit=abc",
    );
    assert.equal(r.keepGitDir, true);
    assert.equal(r.submodules, false);
    assert.equal(r.mtime, "commit");
    assert.equal(r.fetchByCommit, true);
    assert.equal(r.checksum, "abc");
    assert.equal(r.ref, "");
    const conflict = notGit("https://github.com/moby/buildkit.git?ref=v1.0.0#v1.2.3");
    assert.equal(conflict.isGitRef, true);
    assert.equal(conflict.message, 'ref conflicts: "v1.2.3" vs "v1.0.0"');
    assert.match(notGit("https://x/a.git?tag=a&branch=b").message, /branch conflicts with tag/);
    assert.match(notGit("https://x/a.git?invalid=1").message, /unexpected query "invalid"/);
    assert.match(notGit("https://x/a.git?ref=").message, /query "ref" has no value/);
    assert.match(notGit("https://x/a.git?ref=a&ref=b").message, /has multiple values/);
  });

  it("gitRefFragmentFormat() folds query options into #ref[:subdir]", () => {
    assert.deepEqual(
      gitRefFragmentFormat("https://github.com/docker/docker.git?ref=v1.0.0&subdir=/subdir"),
      { url: "https://github.com/docker/docker.git#v1.0.0", ok: true },
    );
    assert.deepEqual(
      gitRefFragmentFormat("https://github.com/docker/docker.git?ref=v1.0.0&subdir=/subdir", {
        withSubdir: true,
      }),
      { url: "https://github.com/docker/docker.git#v1.0.0:subdir", ok: true },
    );
    assert.deepEqual(gitRefFragmentFormat("https://example.com/"), {
      url: "https://example.com/",
      ok: false,
    });
  });
});
