// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { applySymbolicMode, parseChmod } from "../../src/dockerfile/instructions/mod.ts";

const NON_OCTAL = (v: string) =>
  `invalid chmod parameter: '${v}'. it should be octal string and between 0 and 07777`;

function apply(spec: string, mode: number, isDir = false): number {
  return applySymbolicMode(parseChmod(spec), mode, { isDir });
}

describe("chmod", () => {
  it("parseChmod() reads octal modes up to 07777", () => {
    assert.deepEqual(parseChmod("755"), { kind: "numeric", mode: 0o755 });
    assert.deepEqual(parseChmod("0644"), { kind: "numeric", mode: 0o644 });
    assert.deepEqual(parseChmod("7777"), { kind: "numeric", mode: 0o7777 });
  });

  it("parseChmod() rejects numeric-looking values that are not octal modes", () => {
    for (const v of ["10000", "8", "0o755", "9a", "1.5"]) {
      assert.throws(() => parseChmod(v), { message: NON_OCTAL(v) }, v);
    }
  });

  it("parseChmod() rejects malformed symbolic modes", () => {
    for (const v of ["u", "x", "u+x,", "u+z", "-1", "+755"]) {
      assert.throws(() => parseChmod(v), { message: "invalid syntax" }, v);
    }
  });

  it("applySymbolicMode() applies X only to directories and executables", () => {
    assert.equal(apply("u=rwX,go=rX", 0o600), 0o644);
    assert.equal(apply("u=rwX,go=rX", 0o700, true), 0o755);
    assert.equal(apply("u=rwX,go=rX", 0o744), 0o755);
  });

  it("applySymbolicMode() handles +, -, = and who letters", () => {
    assert.equal(apply("+x", 0o644), 0o755);
    assert.equal(apply("a-w", 0o777), 0o555);
    assert.equal(apply("go-rwx", 0o777), 0o700);
    assert.equal(apply("=r", 0o777), 0o444);
    assert.equal(apply("o=", 0o777), 0o770);
    assert.equal(apply("u+x-w", 0o644), 0o544);
    assert.equal(apply("u=rw,g=r,o=", 0o777), 0o640);
  });

  it("applySymbolicMode() copies permission classes and special bits", () => {
    assert.equal(apply("g=u", 0o740), 0o770);
    assert.equal(apply("o+g", 0o750), 0o755);
    assert.equal(apply("u+s", 0o755), 0o4755);
    assert.equal(apply("g+s", 0o755), 0o2755);
    assert.equal(apply("+t", 0o777), 0o1777);
    assert.equal(apply("o+t", 0o777), 0o777);
  });

  it("applySymbolicMode() returns a numeric spec unchanged", () => {
    assert.equal(applySymbolicMode(parseChmod("640"), 0o777), 0o640);
  });
});
