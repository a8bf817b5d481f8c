// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { diff, image, local, marshal, merge, scratch } from "../../src/llb/mod.ts";

describe("merge() and diff()", () => {
  it("merge() lists its inputs in order", () => {
    const a = image("alpine");
    const b = local("context");
    const def = marshal(merge([b, a]));
    const op = def.ops.at(-2)!.op;
    assert.ok("merge" in op);
    assert.deepEqual(op.merge.inputs, [0, 1]);
    assert.deepEqual(op.inputs?.map((i) => i.digest), [def.ops[0]!.digest, def.ops[1]!.digest]);
    assert.equal(
      def.ops[0]!.op && "source" in def.ops[0]!.op && def.ops[0]!.op.source.identifier,
      "local://context",
    );
  });

  it("merge() drops scratch and collapses to a single input", () => {
    const a = image("alpine");
    assert.ok(merge([]).isScratch());
    assert.ok(merge([scratch(), scratch()]).isScratch());
    assert.equal(merge([scratch(), a]), a);
  });

  it("merge() of the same state twice keeps both positions on one input", () => {
    const a = image("alpine");
    const b = local("context");
    const op = marshal(merge([a, b, a])).ops.at(-2)!.op;
    assert.ok("merge" in op);
    assert.deepEqual(op.merge.inputs, [0, 1, 0]);
    assert.equal(op.inputs?.length, 2);
  });

  it("diff() uses -1 for a scratch lower", () => {
    const up = image("alpine");
    const op = marshal(diff(scratch(), up)).ops.at(-2)!.op;
    assert.deepEqual("diff" in op && op.diff, { lower: -1, upper: 0 });
    assert.ok(diff(up, scratch()).isScratch());
  });

  it("diff() and merge() take the platform option into the digest", () => {
    const a = image("alpine");
    const b = local("x");
    const plain = marshal(merge([a, b])).ops.at(-2)!.digest;
    const withPlatform =
      marshal(merge([a, b], { platform: { os: "linux", architecture: "amd64" } })).ops.at(-2)!
        .digest;
    assert.notEqual(plain, withPlatform);
  });
});
