// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  copy,
  type Definition,
  definitionToJson,
  type Digest,
  image,
  LlbError,
  local,
  marshal,
  mkfile,
  type Op,
  opDigest,
  parseDefinition,
} from "../../src/llb/mod.ts";

const FAKE_A = `sha256:${"a".repeat(64)}` as Digest;
const FAKE_B = `sha256:${"b".repeat(64)}` as Digest;
const FAKE_T = `sha256:${"c".repeat(64)}` as Digest;

/** Builds a definition with correct digests from ops (the last one is the terminal op). */
function handWritten(ops: Op[]): Definition {
  return { version: 1, ops: ops.map((op) => ({ digest: opDigest(op), op })), metadata: {} };
}

function sample(): Definition {
  const ctx = local("context");
  const state = image("alpine", { customName: "base" })
    .file(copy(ctx, "a.txt", "/a.txt"), {
      customName: "COPY a.txt /a.txt",
      sourceLocation: {
        file: {
          name: "Dockerfile",
          data: "FROM alpine\nCOPY a.txt /a.txt\n",
          language: "Dockerfile",
        },
        ranges: [{ start: { line: 2, character: 0 }, end: { line: 2, character: 16 } }],
      },
    })
    .run({ args: ["sh", "-c", "cat /a.txt"], ignoreCache: true })
    .root();
  return marshal(state, { platform: { os: "linux", architecture: "amd64" } });
}

function assertLlbError(fn: () => unknown, message: RegExp, path?: (string | number)[]): LlbError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof LlbError, `expected an LlbError, got ${String(caught)}`);
  assert.match(caught.message, message);
  if (path !== undefined) assert.deepEqual(caught.path, path);
  return caught;
}

describe("definitionToJson() and parseDefinition()", () => {
  it("parseDefinition() round-trips definitionToJson() output exactly", () => {
    const def = sample();
    const json = definitionToJson(def);
    const back = parseDefinition(json);
    assert.deepEqual(back, def);
    assert.equal(definitionToJson(back), json);
  });

  it("parseDefinition() accepts the pretty form and an already parsed value", () => {
    const def = sample();
    assert.deepEqual(parseDefinition(definitionToJson(def, { pretty: true })), def);
    assert.deepEqual(parseDefinition(JSON.parse(definitionToJson(def))), def);
  });

  it("definitionToJson() writes sorted keys without whitespace", () => {
    const json = definitionToJson(marshal(local("context")));
    assert.match(
      json,
      /^\{"metadata":\{\},"ops":\[\{"digest":"sha256:[0-9a-f]{64}","op":\{"source":/,
    );
  });

  it("parseDefinition() accepts explicit default values and returns the canonical op", () => {
    const src: Op = { source: { identifier: "local://context" } };
    const d = opDigest(src);
    const def = parseDefinition({
      version: 1,
      ops: [
        { digest: d, op: { inputs: [], source: { identifier: "local://context", attrs: {} } } },
        {
          digest: opDigest({ inputs: [{ digest: d }] }),
          op: { inputs: [{ digest: d, index: 0 }] },
        },
      ],
    });
    assert.deepEqual(def.ops[0]!.op, src);
    assert.deepEqual(def.metadata, {});
  });

  it("parseDefinition() rejects a tampered digest and names the vertex", () => {
    const def = JSON.parse(definitionToJson(sample()));
    def.ops[3].op.exec.meta.args = ["sh", "-c", "rm -rf /"];
    assertLlbError(
      () => parseDefinition(def),
      /digest mismatch for vertex exec "sh -c rm -rf \/": declared sha256:[0-9a-f]{64}, computed/,
      ["ops", 3, "digest"],
    );
  });

  it("parseDefinition() rejects a dangling input", () => {
    const terminal: Op = { inputs: [{ digest: FAKE_A }] };
    assertLlbError(
      () => parseDefinition(handWritten([terminal])),
      /dangling input: no op has digest sha256:a{64}/,
      ["ops", 0, "op", "inputs", 0, "digest"],
    );
  });

  it("parseDefinition() rejects a cycle", () => {
    const fileOp = (input: Digest): Op => ({
      inputs: [{ digest: input }],
      file: { actions: [{ type: "rm", path: "/x", input: 0, output: 0 }] },
    });
    const def: Definition = {
      version: 1,
      ops: [
        { digest: FAKE_A, op: fileOp(FAKE_B) },
        { digest: FAKE_B, op: fileOp(FAKE_A) },
        { digest: FAKE_T, op: { inputs: [{ digest: FAKE_B }] } },
      ],
      metadata: {},
    };
    assertLlbError(() => parseDefinition(def), /cycle: ops\[0\] -> ops\[1\] -> ops\[0\]/);
  });

  it("parseDefinition() rejects inputs that refer to later ops", () => {
    const def = sample();
    const reordered: Definition = {
      ...def,
      ops: [def.ops[0]!, def.ops[1]!, def.ops[3]!, def.ops[2]!, def.ops[4]!],
    };
    assertLlbError(() => parseDefinition(reordered), /inputs must refer to earlier ops/);
  });

  it("parseDefinition() rejects a missing or misplaced terminal op", () => {
    const src: Op = { source: { identifier: "local://x" } };
    assertLlbError(() => parseDefinition(handWritten([src])), /last op must be the terminal op/);
    assertLlbError(
      () => parseDefinition(handWritten([{}, src, { inputs: [{ digest: opDigest(src) }] }])),
      /only the last op may be a terminal op/,
      ["ops", 0, "op"],
    );
  });

  it("parseDefinition() reports a schema error with the path to the field", () => {
    const def = JSON.parse(definitionToJson(sample()));
    def.ops[3].op.exec.meta.args = [];
    assertLlbError(
      () => parseDefinition(def),
      /at ops\[3\]\.op\.exec\.meta\.args: must have at least one element/,
      ["ops", 3, "op", "exec", "meta", "args"],
    );
  });

  it("parseDefinition() rejects unknown fields", () => {
    const def = JSON.parse(definitionToJson(sample()));
    def.ops[0].op.source.extra = 1;
    assertLlbError(() => parseDefinition(def), /Unrecognized key/, ["ops", 0, "op", "source"]);
  });

  it("parseDefinition() rejects an op with two payloads", () => {
    const def = handWritten([
      { source: { identifier: "local://x" }, merge: { inputs: [0] } } as unknown as Op,
      {},
    ]);
    assertLlbError(() => parseDefinition(def), /at most one of source, exec, file, merge, diff/);
  });

  it("parseDefinition() rejects out-of-range mount and action indices", () => {
    const src: Op = { source: { identifier: "local://x" } };
    const exec: Op = {
      inputs: [{ digest: opDigest(src) }],
      exec: { meta: { args: ["x"], cwd: "/" }, mounts: [{ dest: "/", input: 1, output: 0 }] },
    };
    assertLlbError(
      () => parseDefinition(handWritten([src, exec, { inputs: [{ digest: opDigest(exec) }] }])),
      /index 1 out of range \(1 available\)/,
      ["ops", 1, "op", "exec", "mounts", 0, "input"],
    );
    const file: Op = { file: { actions: [{ type: "rm", path: "/a", input: 0, output: 0 }] } };
    assertLlbError(
      () => parseDefinition(handWritten([file, { inputs: [{ digest: opDigest(file) }] }])),
      /index 0 out of range \(0 available\)/,
      ["ops", 0, "op", "file", "actions", 0, "input"],
    );
  });

  it("parseDefinition() rejects an input index beyond the referenced op's outputs", () => {
    const src: Op = { source: { identifier: "local://x" } };
    const terminal: Op = { inputs: [{ digest: opDigest(src), index: 1 }] };
    assertLlbError(
      () => parseDefinition(handWritten([src, terminal])),
      /refers to output 1 of sha256:[0-9a-f]{64}, which has 1 output\(s\)/,
      ["ops", 1, "op", "inputs", 0, "index"],
    );
  });

  it("parseDefinition() rejects an exec without a root mount and bad mount options", () => {
    const noRoot: Op = { exec: { meta: { args: ["x"], cwd: "/" }, mounts: [{ dest: "/a" }] } };
    assertLlbError(
      () => parseDefinition(handWritten([noRoot, { inputs: [{ digest: opDigest(noRoot) }] }])),
      /needs a root mount/,
    );
    const badCache: Op = {
      exec: {
        meta: { args: ["x"], cwd: "/" },
        mounts: [{ dest: "/", output: 0 }, { dest: "/c", type: "cache" }],
      },
    };
    assertLlbError(
      () => parseDefinition(handWritten([badCache, { inputs: [{ digest: opDigest(badCache) }] }])),
      /a cache mount needs cacheOpt/,
    );
  });

  it("parseDefinition() rejects unknown source schemes", () => {
    const src: Op = { source: { identifier: "ftp://x/y" } };
    assertLlbError(
      () => parseDefinition(handWritten([src, { inputs: [{ digest: opDigest(src) }] }])),
      /unknown source identifier "ftp:\/\/x\/y"/,
      ["ops", 0, "op", "source", "identifier"],
    );
  });

  it("parseDefinition() rejects metadata and source locations for unknown vertices", () => {
    const def = JSON.parse(definitionToJson(sample()));
    def.metadata[FAKE_A] = { ignoreCache: true };
    assertLlbError(() => parseDefinition(def), /metadata for unknown vertex/);
    const def2 = JSON.parse(definitionToJson(sample()));
    const key = Object.keys(def2.source.locations)[0]!;
    def2.source.locations[key][0].file = "Other";
    assertLlbError(() => parseDefinition(def2), /unknown source file "Other"/);
  });

  it("parseDefinition() rejects invalid JSON text and a wrong version", () => {
    assertLlbError(() => parseDefinition("{"), /not valid JSON/);
    assertLlbError(() => parseDefinition({ version: 2, ops: [] }), /version/, ["version"]);
  });

  it("parseDefinition() keeps non-UTF-8 mkfile data as base64", () => {
    const def = marshal(local("x").file(mkfile("/bin", 0o755, new Uint8Array([0xff, 0, 1]))));
    const back = parseDefinition(definitionToJson(def));
    assert.deepEqual(back, def);
    assert.match(definitionToJson(back), /"dataBase64":"\/wAB"/);
  });
});
