// Copyright 2026 the buildkit-ts authors. MIT license.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  familiarName,
  familiarString,
  formatReference,
  InvalidReferenceError,
  isValidTag,
  normalizeReference,
  parseReference,
} from "../../src/oci/mod.ts";

const D = "sha256:" + "ab".repeat(32);

// [input, normalized form] — from docker/distribution's normalize tests and Docker's behaviour.
const NORMALIZE: [string, string][] = [
  ["alpine", "docker.io/library/alpine:latest"],
  ["alpine:3.20", "docker.io/library/alpine:3.20"],
  ["library/alpine", "docker.io/library/alpine:latest"],
  ["docker.io/alpine", "docker.io/library/alpine:latest"],
  ["docker.io/library/alpine", "docker.io/library/alpine:latest"],
  ["index.docker.io/alpine", "docker.io/library/alpine:latest"],
  ["index.docker.io/user/repo:1", "docker.io/user/repo:1"],
  ["user/repo", "docker.io/user/repo:latest"],
  ["user/repo/sub", "docker.io/user/repo/sub:latest"],
  ["localhost/x", "localhost/x:latest"],
  ["localhost:5000/x", "localhost:5000/x:latest"],
  ["localhost:5000/a/b:tag", "localhost:5000/a/b:tag"],
  ["127.0.0.1:5000/img", "127.0.0.1:5000/img:latest"],
  ["[::1]:5000/img:v1", "[::1]:5000/img:v1"],
  ["ghcr.io/owner/repo", "ghcr.io/owner/repo:latest"],
  ["example.com/repo", "example.com/repo:latest"],
  ["myregistry:5000/repo", "myregistry:5000/repo:latest"],
  ["Registry.Example.com/repo", "Registry.Example.com/repo:latest"],
  [`alpine@${D}`, `docker.io/library/alpine@${D}`],
  [`alpine:3.20@${D}`, `docker.io/library/alpine:3.20@${D}`],
  [`localhost:5000/x@${D}`, `localhost:5000/x@${D}`],
  ["a__b/c-d--e.f_g", "docker.io/a__b/c-d--e.f_g:latest"],
  ["example.com:5000", "docker.io/library/example.com:5000"],
  ["repo:TAG_Upper.1-2", "docker.io/library/repo:TAG_Upper.1-2"],
  ["x/" + "a".repeat(200), "docker.io/x/" + "a".repeat(200) + ":latest"],
];

// [input, exact error message]
const ERRORS: [string, string][] = [
  ["", "invalid reference format"],
  ["Alpine", "invalid reference format: repository name (library/Alpine) must be lowercase"],
  [
    "docker.io/Alpine",
    "invalid reference format: repository name (library/Alpine) must be lowercase",
  ],
  ["user/Repo", "invalid reference format: repository name (user/Repo) must be lowercase"],
  ["localhost:5000/Foo:tag", "invalid reference format: repository name (Foo) must be lowercase"],
  ["alpine:", "invalid reference format"],
  [":tag", "invalid reference format"],
  ["alpine::1", "invalid reference format"],
  ["-alpine", "invalid reference format"],
  ["alpine-", "invalid reference format"],
  ["a..b", "invalid reference format"],
  ["a/b/", "invalid reference format"],
  ["alpine:" + "t".repeat(129), "invalid reference format"],
  ["alpine:.tag", "invalid reference format"],
  ["alpine@sha256:abc", "invalid reference format"],
  ["alpine@sha256:" + "A".repeat(64), "invalid checksum digest format"],
  ["alpine@sha256:" + "a".repeat(63) + "0a", "invalid checksum digest length"],
  ["alpine@md5:" + "a".repeat(32), "unsupported digest algorithm"],
  [
    "a".repeat(64),
    `invalid repository name (${"a".repeat(64)}), cannot specify 64-byte hexadecimal strings`,
  ],
  ["example.com/" + "a".repeat(250), "repository name must not be more than 255 characters"],
  ["foo bar", "invalid reference format"],
  ["foo..com/x", "invalid reference format"],
];

describe("normalizeReference()", () => {
  for (const [input, want] of NORMALIZE) {
    it(`normalizeReference() turns ${JSON.stringify(input.slice(0, 40))} into ${want.slice(0, 50)}`, () => {
      assert.equal(normalizeReference(input), want);
    });
  }
  for (const [input, message] of ERRORS) {
    it(`normalizeReference() rejects ${JSON.stringify(input.slice(0, 40))} with "${message.slice(0, 60)}"`, () => {
      assert.throws(() => normalizeReference(input), (e: unknown) => {
        assert.ok(e instanceof InvalidReferenceError);
        assert.ok(e instanceof SyntaxError);
        assert.equal(e.message, message);
        assert.equal(e.input, input);
        return true;
      });
    });
  }
});

describe("parseReference()", () => {
  it("parseReference() splits domain, path, tag and digest", () => {
    assert.deepEqual(parseReference(`localhost:5000/a/b:v1@${D}`), {
      domain: "localhost:5000",
      path: "a/b",
      tag: "v1",
      digest: D,
    });
  });
  it("parseReference() adds no tag when none is given", () => {
    assert.deepEqual(parseReference("alpine"), { domain: "docker.io", path: "library/alpine" });
  });
  it("parseReference() keeps a digest-only reference without a tag", () => {
    const r = parseReference(`busybox@${D}`);
    assert.equal(r.tag, undefined);
    assert.equal(r.digest, D);
  });
  it("formatReference() reverses parseReference()", () => {
    const s = `ghcr.io/o/r:1@${D}`;
    assert.equal(formatReference(parseReference(s)), s);
  });
});

describe("familiarName()", () => {
  const cases: [string, string, string][] = [
    ["docker.io/library/alpine:3", "alpine", "alpine:3"],
    ["alpine", "alpine", "alpine"],
    ["docker.io/user/repo", "user/repo", "user/repo"],
    ["docker.io/library/a/b", "library/a/b", "library/a/b"],
    ["localhost:5000/x:1", "localhost:5000/x", "localhost:5000/x:1"],
    [`ghcr.io/o/r@${D}`, "ghcr.io/o/r", `ghcr.io/o/r@${D}`],
  ];
  for (const [input, name, str] of cases) {
    it(`familiarName() shortens ${input.slice(0, 40)} to ${name}`, () => {
      assert.equal(familiarName(input), name);
      assert.equal(familiarString(input), str);
    });
  }
});

describe("isValidTag()", () => {
  it("isValidTag() accepts word characters, dots and dashes up to 128 characters", () => {
    assert.ok(isValidTag("v1.2-rc_3"));
    assert.ok(isValidTag("a".repeat(128)));
    assert.ok(!isValidTag("a".repeat(129)));
    assert.ok(!isValidTag("-x"));
    assert.ok(!isValidTag(""));
  });
});
