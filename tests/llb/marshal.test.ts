// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  definitionToJson,
  image,
  local,
  marshal,
  mkdir,
  opDigest,
  scratch,
  type SourceFile,
} from "../../src/llb/mod.ts";

const dockerfile: SourceFile = {
  name: "Dockerfile",
  data: "FROM alpine\nRUN a\n",
  language: "Dockerfile",
};
const line = (n: number) => ({ start: { line: n, character: 0 }, end: { line: n, character: 5 } });

describe("marshal()", () => {
  it("marshal() puts inputs before users and ends with the terminal op", () => {
    const s = image("alpine").run({ args: ["a"] }).root().run({ args: ["b"] }).root();
    const def = marshal(s);
    const position = new Map(def.ops.map((o, i) => [o.digest, i]));
    def.ops.forEach((o, i) => {
      for (const input of o.op.inputs ?? []) assert.ok(position.get(input.digest)! < i);
    });
    assert.deepEqual(def.ops.at(-1)!.op, { inputs: [{ digest: def.ops.at(-2)!.digest }] });
    assert.equal(def.ops.at(-1)!.digest, opDigest(def.ops.at(-1)!.op));
  });

  it("marshal() writes identical vertices built separately once", () => {
    const a = image("alpine").run({ args: ["x"] }).root();
    const b = image("alpine").run({ args: ["x"] }).root();
    const def = marshal([a, b]);
    assert.equal(def.ops.length, 3);
    assert.deepEqual(def.ops.at(-1)!.op.inputs, [{ digest: def.ops[1]!.digest }, {
      digest: def.ops[1]!.digest,
    }]);
  });

  it("marshal() merges metadata of deduplicated vertices", () => {
    const a = image("alpine", { customName: "first" });
    const b = image("alpine", {
      customName: "second",
      ignoreCache: true,
      caps: { "source.image": true },
    });
    const def = marshal(a.file(mkdir("/a", 0o755)).file(mkdir("/b", 0o755).copy(b, "/x", "/x")));
    const md = def.metadata[def.ops[0]!.digest]!;
    assert.equal(md.description!["llb.customname"], "first");
    assert.equal(md.ignoreCache, true);
    assert.deepEqual(md.caps, { "source.image": true });
  });

  it("marshal() stores source locations by digest and each file once", () => {
    const s = image("alpine", { sourceLocation: { file: dockerfile, ranges: [line(1)] } })
      .run({ args: ["a"], sourceLocation: { file: dockerfile, ranges: [line(2)] } }).root();
    const def = marshal(s);
    assert.deepEqual(def.source?.files, {
      Dockerfile: { data: dockerfile.data, language: "Dockerfile" },
    });
    assert.deepEqual(def.source?.locations[def.ops[1]!.digest], [{
      file: "Dockerfile",
      ranges: [line(2)],
    }]);
    assert.deepEqual(def.source?.locations[def.ops[0]!.digest], [{
      file: "Dockerfile",
      ranges: [line(1)],
    }]);
  });

  it("marshal() source locations and names do not change digests", () => {
    const plain = marshal(image("alpine").run({ args: ["a"] }));
    const annotated = marshal(
      image("alpine", {
        customName: "FROM",
        sourceLocation: { file: dockerfile, ranges: [line(1)] },
      })
        .run({
          args: ["a"],
          customName: "RUN a",
          progressGroup: { id: "g", name: "G" },
          sourceLocation: { file: dockerfile, ranges: [line(2)] },
        }),
    );
    assert.deepEqual(annotated.ops, plain.ops);
    assert.notDeepEqual(annotated.metadata, plain.metadata);
  });

  it("marshal() applies the default platform only to ops without one", () => {
    const arm = { os: "linux", architecture: "arm64" };
    const amd = { os: "linux", architecture: "amd64" };
    const def = marshal(local("x").withPlatform(arm).run({ args: ["a"] }), { platform: amd });
    assert.deepEqual(def.ops[0]!.op.platform, amd);
    assert.deepEqual(def.ops[1]!.op.platform, arm);
  });

  it("marshal() of scratch is only an empty terminal op", () => {
    const def = marshal(scratch());
    assert.deepEqual(def.ops, [{ digest: opDigest({}), op: {} }]);
    assert.throws(() => marshal([scratch(), image("alpine")]), /scratch as one of several results/);
  });

  it("marshal() rejects two different source files with the same name", () => {
    const other: SourceFile = { name: "Dockerfile", data: "FROM busybox\n" };
    const s = image("alpine", { sourceLocation: { file: dockerfile, ranges: [line(1)] } })
      .run({ args: ["a"], sourceLocation: { file: other, ranges: [line(1)] } });
    assert.throws(() => marshal(s), /Two different source files are named "Dockerfile"/);
  });

  it("marshal() handles a 10,000-vertex chain quickly and without deep recursion", () => {
    let s = image("alpine");
    for (let i = 0; i < 10_000; i++) s = s.run({ args: ["sh", "-c", `echo ${i}`] }).root();
    const t0 = performance.now();
    const def = marshal(s);
    const ms = performance.now() - t0;
    assert.equal(def.ops.length, 10_002);
    assert.ok(ms < 5000, `marshal took ${ms.toFixed(0)} ms`);
    const t1 = performance.now();
    const json = definitionToJson(def);
    const ms2 = performance.now() - t1;
    assert.ok(json.length > 1_000_000);
    console.log(`10k chain: marshal ${ms.toFixed(0)} ms, definitionToJson ${ms2.toFixed(0)} ms`);
  });
});
