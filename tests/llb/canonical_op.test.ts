// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  normalizeOp,
  type Op,
  opBytes,
  opDigest,
  opKind,
  opOutputCount,
} from "../../src/llb/mod.ts";

const D0 = `sha256:${"0".repeat(64)}` as const;

describe("normalizeOp()", () => {
  it("normalizeOp() omits every default-valued exec field", () => {
    const verbose: Op = {
      inputs: [{ digest: D0, index: 0 }],
      constraints: { filter: [] },
      platform: { os: "linux", architecture: "amd64", variant: "", osFeatures: [] },
      exec: {
        meta: {
          args: ["true"],
          cwd: "/",
          env: [],
          user: "",
          hostname: "",
          proxyEnv: { httpProxy: "" },
          extraHosts: [],
          validExitCodes: [],
        },
        mounts: [
          { dest: "/", input: 0, output: 0, readonly: false, type: "bind", selector: "" },
          {
            dest: "/c",
            input: -1,
            output: -1,
            type: "cache",
            cacheOpt: { id: "x", sharing: "shared" },
          },
          {
            dest: "/s",
            type: "secret",
            secretOpt: { id: "s", uid: 0, gid: 0, mode: 0o400, optional: false },
          },
          { dest: "/ssh", type: "ssh", sshOpt: { id: "default", mode: 0o600 } },
          { dest: "/t", type: "tmpfs", tmpfsOpt: { size: 0 } },
        ],
        network: "unset",
        security: "sandbox",
        secretEnv: [],
      },
    };
    assert.deepEqual(normalizeOp(verbose), {
      inputs: [{ digest: D0 }],
      platform: { os: "linux", architecture: "amd64" },
      exec: {
        meta: { args: ["true"], cwd: "/" },
        mounts: [
          { dest: "/", input: 0, output: 0 },
          { dest: "/c", type: "cache", cacheOpt: { id: "x" } },
          { dest: "/s", type: "secret", secretOpt: { id: "s" } },
          { dest: "/ssh", type: "ssh", sshOpt: {} },
          { dest: "/t", type: "tmpfs" },
        ],
      },
    });
  });

  it("normalizeOp() keeps non-default values", () => {
    const op: Op = {
      exec: {
        meta: { args: ["x"], cwd: "/w", user: "app", validExitCodes: [0, 1] },
        mounts: [{ dest: "/", output: 0, readonly: true }],
        network: "none",
        security: "insecure",
      },
    };
    assert.deepEqual(normalizeOp(op), op);
  });

  it("normalizeOp() omits default-valued file action fields", () => {
    const op: Op = {
      file: {
        actions: [
          {
            type: "copy",
            src: "/a",
            dest: "/b",
            input: -1,
            secondaryInput: -1,
            output: 0,
            mode: -1,
            followSymlinks: false,
            includePatterns: [],
            timestamp: -1,
            owner: {},
          },
          { type: "mkfile", path: "/f", mode: 0o644, data: "", input: 1 },
          {
            type: "mkdir",
            path: "/d",
            mode: 0o755,
            makeParents: false,
            owner: { user: { name: "x", input: -1 } },
          },
          { type: "rm", path: "/r", allowNotFound: false },
        ],
      },
    };
    assert.deepEqual(normalizeOp(op), {
      file: {
        actions: [
          { type: "copy", src: "/a", dest: "/b", output: 0 },
          { type: "mkfile", path: "/f", mode: 0o644, input: 1 },
          { type: "mkdir", path: "/d", mode: 0o755, owner: { user: { name: "x" } } },
          { type: "rm", path: "/r" },
        ],
      },
    });
  });

  it("normalizeOp() turns base64 mkfile data that is UTF-8 into text", () => {
    const op = normalizeOp({
      file: { actions: [{ type: "mkfile", path: "/f", mode: 0o644, dataBase64: btoa("hi\n") }] },
    });
    assert.deepEqual(op, {
      file: { actions: [{ type: "mkfile", path: "/f", mode: 0o644, data: "hi\n" }] },
    });
    const binary = normalizeOp({
      file: { actions: [{ type: "mkfile", path: "/f", mode: 0o644, dataBase64: "/w==" }] },
    });
    assert.ok("file" in binary && binary.file.actions[0]!.type === "mkfile");
    assert.equal(JSON.stringify(binary).includes('"dataBase64":"/w=="'), true);
  });
});

describe("opDigest()", () => {
  it("opDigest() is sha256 over the canonical JSON bytes", () => {
    const op: Op = { source: { identifier: "local://context" } };
    const bytes = opBytes(op);
    assert.equal(new TextDecoder().decode(bytes), '{"source":{"identifier":"local://context"}}');
    assert.equal(opDigest(op), `sha256:${createHash("sha256").update(bytes).digest("hex")}`);
  });

  it("opDigest() ignores key order and explicit defaults", () => {
    const a = opDigest({ source: { identifier: "local://x", attrs: { b: "2", a: "1" } } });
    const b = opDigest({
      inputs: [],
      source: { attrs: { a: "1", b: "2" }, identifier: "local://x" },
    });
    assert.equal(a, b);
  });

  it("opDigest() changes with any cache-relevant field", () => {
    const base = opDigest({ source: { identifier: "local://x" } });
    assert.notEqual(base, opDigest({ source: { identifier: "local://y" } }));
    assert.notEqual(
      base,
      opDigest({
        source: { identifier: "local://x" },
        platform: { os: "linux", architecture: "arm64" },
      }),
    );
  });
});

describe("opKind() and opOutputCount()", () => {
  it("opKind() names the payload", () => {
    assert.equal(opKind({ merge: { inputs: [0, 1] } }), "merge");
    assert.equal(opKind({ diff: { lower: -1, upper: 0 } }), "diff");
    assert.equal(opKind({ file: { actions: [{ type: "rm", path: "/" }] } }), "file");
    assert.equal(opKind({}), "terminal");
  });

  it("opOutputCount() counts exec mounts and file actions with outputs", () => {
    assert.equal(
      opOutputCount({
        exec: {
          meta: { args: ["x"], cwd: "/" },
          mounts: [{ dest: "/", output: 0 }, { dest: "/a", output: 1 }, {
            dest: "/b",
            readonly: true,
          }],
        },
      }),
      2,
    );
    assert.equal(
      opOutputCount({
        file: {
          actions: [{ type: "rm", path: "/a" }, { type: "rm", path: "/b", input: 0, output: 0 }],
        },
      }),
      1,
    );
    assert.equal(opOutputCount({ inputs: [{ digest: D0 }] }), 0);
  });
});
