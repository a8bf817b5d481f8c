// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson } from "../../src/util/canonical_json.ts";

describe("canonicalJson()", () => {
  it("canonicalJson() sorts keys at every depth and drops whitespace", () => {
    assert.equal(
      canonicalJson({ z: 1, a: { y: [3, { d: 1, c: 2 }], b: "x" } }),
      '{"a":{"b":"x","y":[3,{"c":2,"d":1}]},"z":1}',
    );
  });

  it("canonicalJson() is independent of insertion order", () => {
    assert.equal(canonicalJson({ a: 1, b: 2, c: 3 }), canonicalJson({ c: 3, b: 2, a: 1 }));
  });

  it("canonicalJson() sorts keys by UTF-16 code units", () => {
    assert.equal(
      canonicalJson({ "é": 1, "z": 2, "A": 3, "10": 4, "9": 5 }),
      '{"10":4,"9":5,"A":3,"z":2,"é":1}',
    );
  });

  it("canonicalJson() omits undefined object properties", () => {
    assert.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
  });

  it("canonicalJson() writes numbers like JSON.stringify and -0 as 0", () => {
    assert.equal(canonicalJson([1, -0, 1.5, 1e21, 0.1]), "[1,0,1.5,1e+21,0.1]");
  });

  it("canonicalJson() escapes strings like JSON.stringify", () => {
    assert.equal(canonicalJson('a"\\\n\u0001é'), JSON.stringify('a"\\\n\u0001é'));
  });

  it("canonicalJson() throws on undefined in arrays", () => {
    assert.throws(() => canonicalJson([1, undefined]), /undefined at \$\[1\]/);
  });

  it("canonicalJson() throws on non-finite numbers", () => {
    assert.throws(() => canonicalJson({ a: NaN }), /non-finite number at \$\.a/);
    assert.throws(() => canonicalJson([Infinity]), TypeError);
  });

  it("canonicalJson() throws on bigints, functions, symbols and class instances", () => {
    assert.throws(() => canonicalJson(1n), /bigint/);
    assert.throws(() => canonicalJson({ f: () => 1 }), /function/);
    assert.throws(() => canonicalJson(Symbol("x")), /symbol/);
    assert.throws(() => canonicalJson(new Date(0)), /Date instance/);
    assert.throws(() => canonicalJson(new Uint8Array(1)), /Uint8Array instance/);
    assert.throws(() => canonicalJson(undefined), /undefined/);
  });

  it("canonicalJson() throws on lone surrogates", () => {
    assert.throws(() => canonicalJson("\ud800"), /lone surrogate/);
    assert.throws(() => canonicalJson({ "\udc00": 1 }), /lone surrogate/);
    assert.equal(canonicalJson("😀"), '"😀"');
  });

  it("canonicalJson() throws on cycles but accepts shared subtrees", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    assert.throws(() => canonicalJson(a), /cycle/);
    const shared = { x: 1 };
    assert.equal(canonicalJson([shared, shared]), '[{"x":1},{"x":1}]');
  });

  it("canonicalJson() accepts null-prototype objects", () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 1;
    o.a = 2;
    assert.equal(canonicalJson(o), '{"a":2,"b":1}');
  });
});
