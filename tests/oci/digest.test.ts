// Copyright 2026 the buildkit-ts authors. MIT license.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  diffIdFromHex,
  digestFromHex,
  InvalidDigestError,
  isDigest,
  parseDiffId,
  parseDigest,
} from "../../src/oci/mod.ts";

describe("parseDigest()", () => {
  it("parseDigest() splits sha256 and sha512 digests", () => {
    const a = parseDigest("sha256:" + "a".repeat(64));
    assert.equal(a.algorithm, "sha256");
    assert.equal(a.hex, "a".repeat(64));
    assert.equal(parseDigest("sha512:" + "b".repeat(128)).algorithm, "sha512");
  });
  const bad: [string, string, RegExp][] = [
    ["", "format", /invalid checksum digest format/],
    ["sha256", "format", /expected <algorithm>:<hex>/],
    ["sha256:", "format", /expected <algorithm>:<hex>/],
    [":abc", "format", /expected/],
    ["sha256:abc", "length", /sha256 needs 64 hex characters, got 3/],
    ["sha512:" + "a".repeat(64), "length", /sha512 needs 128/],
    ["sha256:" + "A".repeat(64), "format", /lower-case hex/],
    ["sha256:" + "g".repeat(64), "format", /lower-case hex/],
    ["md5:" + "a".repeat(32), "algorithm", /unsupported digest algorithm/],
    ["SHA256:" + "a".repeat(64), "format", /invalid checksum digest format/],
  ];
  for (const [input, reason, message] of bad) {
    it(`parseDigest() rejects ${JSON.stringify(input.slice(0, 20))} with reason ${reason}`, () => {
      assert.throws(() => parseDigest(input), (e: unknown) => {
        assert.ok(e instanceof InvalidDigestError);
        assert.equal(e.reason, reason);
        assert.match(e.message, message);
        return true;
      });
    });
  }
  it("isDigest() reports validity without throwing", () => {
    assert.ok(isDigest("sha256:" + "0".repeat(64)));
    assert.ok(!isDigest("sha256:0"));
  });
});

describe("digestFromHex()", () => {
  it("digestFromHex() lower-cases and prefixes the algorithm", () => {
    assert.equal(digestFromHex("AB".repeat(32)), "sha256:" + "ab".repeat(32));
    assert.equal(digestFromHex("c".repeat(128), "sha512"), "sha512:" + "c".repeat(128));
  });
  it("digestFromHex() rejects a hex string of the wrong length", () => {
    assert.throws(() => digestFromHex("abc"), InvalidDigestError);
  });
  it("diffIdFromHex() and parseDiffId() validate like digests", () => {
    assert.equal(diffIdFromHex("1".repeat(64)), "sha256:" + "1".repeat(64));
    assert.throws(() => parseDiffId("sha256:zz"), InvalidDigestError);
  });
});
