// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { encodeHex } from "../../src/util/hex.ts";
import { Sha256, sha256, sha256Hex } from "../../src/util/sha256.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe("sha256Hex()", () => {
  it("sha256Hex() hashes the empty input", () => {
    assert.equal(
      sha256Hex(new Uint8Array()),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it('sha256Hex() hashes "abc"', () => {
    assert.equal(
      sha256Hex(text("abc")),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("sha256Hex() hashes the FIPS 448-bit and 896-bit two-block messages", () => {
    assert.equal(
      sha256Hex(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    assert.equal(
      sha256Hex(
        text(
          "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        ),
      ),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    );
  });

  it('sha256Hex() hashes one million "a"', () => {
    assert.equal(
      sha256Hex(new Uint8Array(1_000_000).fill(0x61)),
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("sha256Hex() agrees with node:crypto for every length 0..300 (all padding cases)", () => {
    const data = new Uint8Array(300);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    for (let n = 0; n <= data.length; n++) {
      const part = data.subarray(0, n);
      assert.equal(sha256Hex(part), createHash("sha256").update(part).digest("hex"), `length ${n}`);
    }
  });

  it("sha256() returns 32 raw bytes", () => {
    const d = sha256(text("abc"));
    assert.equal(d.length, 32);
    assert.equal(d[0], 0xba);
    assert.equal(d[31], 0xad);
  });
});

describe("Sha256", () => {
  it("Sha256 gives the same digest whatever the chunking", () => {
    const data = new Uint8Array(5000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const expected = sha256Hex(data);
    for (const chunk of [1, 3, 63, 64, 65, 127, 1000]) {
      const h = new Sha256();
      for (let i = 0; i < data.length; i += chunk) h.update(data.subarray(i, i + chunk));
      assert.equal(encodeHex(h.digest()), expected, `chunk ${chunk}`);
    }
  });

  it("Sha256 refuses updates after digest() and repeats the digest", () => {
    const h = new Sha256().update(text("abc"));
    const first = h.digest();
    assert.deepEqual(h.digest(), first);
    assert.throws(() => h.update(text("x")), TypeError);
  });
});
