// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  git,
  http,
  image,
  local,
  marshal,
  ociLayout,
  type SourceOp,
  type State,
} from "../../src/llb/mod.ts";

function sourceOf(state: State): SourceOp {
  const op = marshal(state).ops[0]!.op;
  assert.ok("source" in op, "expected a source op");
  return op.source;
}

describe("sources", () => {
  it("image() normalizes references like Docker", () => {
    const cases: [string, string][] = [
      ["alpine", "docker.io/library/alpine:latest"],
      ["alpine:3.20", "docker.io/library/alpine:3.20"],
      ["user/app", "docker.io/user/app:latest"],
      ["ghcr.io/o/r:v1", "ghcr.io/o/r:v1"],
      ["localhost:5000/x", "localhost:5000/x:latest"],
      ["index.docker.io/library/busybox", "docker.io/library/busybox:latest"],
      [`alpine@sha256:${"a".repeat(64)}`, `docker.io/library/alpine@sha256:${"a".repeat(64)}`],
      [`alpine:3@sha256:${"b".repeat(64)}`, `docker.io/library/alpine:3@sha256:${"b".repeat(64)}`],
    ];
    for (const [ref, want] of cases) {
      assert.equal(sourceOf(image(ref)).identifier, `docker-image://${want}`, ref);
    }
    assert.throws(() => image("Alpine"), /lowercase/);
    assert.throws(() => image(""), TypeError);
  });

  it("image() records resolveMode and platform", () => {
    const p = { os: "linux", architecture: "arm64", variant: "v8" };
    const s = image("alpine", { resolveMode: "local", platform: p });
    const op = marshal(s).ops[0]!.op;
    assert.deepEqual(op, {
      platform: p,
      source: {
        identifier: "docker-image://docker.io/library/alpine:latest",
        attrs: { "image.resolvemode": "local" },
      },
    });
    assert.deepEqual(s.getPlatform(), p);
    assert.equal(sourceOf(image("alpine", { resolveMode: "default" })).attrs, undefined);
  });

  it("local() writes pattern attributes as JSON lists", () => {
    assert.deepEqual(
      sourceOf(
        local("ctx", {
          includePatterns: ["src"],
          excludePatterns: ["*.md"],
          followPaths: ["a"],
          sharedKeyHint: "k",
        }),
      ),
      {
        identifier: "local://ctx",
        attrs: {
          "local.includepattern": '["src"]',
          "local.excludepatterns": '["*.md"]',
          "local.followpaths": '["a"]',
          "local.sharedkeyhint": "k",
        },
      },
    );
  });

  it("git() builds identifiers for URL, scp-like and bare remotes", () => {
    assert.deepEqual(
      sourceOf(
        git("https://github.com/o/r.git", { ref: "main", subdir: "docs", keepGitDir: true }),
      ),
      {
        identifier: "git://github.com/o/r.git#main:docs",
        attrs: { "git.fullurl": "https://github.com/o/r.git", "git.keepgitdir": "true" },
      },
    );
    assert.deepEqual(sourceOf(git("git@github.com:o/r.git")), {
      identifier: "git://github.com/o/r.git",
      attrs: { "git.fullurl": "git@github.com:o/r.git" },
    });
    assert.deepEqual(sourceOf(git("github.com/o/r", { checksum: "abc" })), {
      identifier: "git://github.com/o/r",
      attrs: { "git.checksum": "abc" },
    });
  });

  it("http() writes checksum, filename, octal perm, uid and gid", () => {
    assert.deepEqual(
      sourceOf(
        http("https://x.test/f", {
          checksum: `sha256:${"1".repeat(64)}`,
          filename: "g",
          perm: 0o755,
          uid: 1,
          gid: 2,
        }),
      ),
      {
        identifier: "https://x.test/f",
        attrs: {
          "http.checksum": `sha256:${"1".repeat(64)}`,
          "http.filename": "g",
          "http.perm": "0755",
          "http.uid": "1",
          "http.gid": "2",
        },
      },
    );
    assert.throws(() => http("ftp://x"), TypeError);
  });

  it("ociLayout() checks the store@digest form", () => {
    const d = `sha256:${"c".repeat(64)}`;
    assert.deepEqual(sourceOf(ociLayout(`s@${d}`, { layerLimit: 2 })), {
      identifier: `oci-layout://s@${d}`,
      attrs: { "oci.layerlimit": "2" },
    });
    assert.throws(() => ociLayout("nodigest"), TypeError);
  });

  it("customName never changes a source digest", () => {
    assert.equal(
      marshal(image("alpine", { customName: "a" })).ops[0]!.digest,
      marshal(image("alpine", { customName: "b" })).ops[0]!.digest,
    );
  });
});
