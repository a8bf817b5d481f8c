// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ExecOp, image, local, marshal, type Op, scratch } from "../../src/llb/mod.ts";

function execOf(op: Op | undefined): ExecOp {
  assert.ok(op !== undefined && "exec" in op, "expected an exec op");
  return op.exec;
}

describe("State", () => {
  it("State.withEnv() replaces in place and returns a new state", () => {
    const a = scratch().withEnv("A", "1").withEnv("B", "2");
    const b = a.withEnv("A", "3");
    assert.deepEqual(a.getEnv(), [["A", "1"], ["B", "2"]]);
    assert.deepEqual(b.getEnv(), [["A", "3"], ["B", "2"]]);
    assert.equal(b.withoutEnv("A").getEnvValue("A"), undefined);
    assert.throws(() => a.withEnv("A=B", "x"), TypeError);
  });

  it("State.withDir() resolves relative paths against the current dir", () => {
    const s = scratch().withDir("/app").withDir("src/../lib");
    assert.equal(s.getDir(), "/app/lib");
    assert.equal(s.withDir("/").getDir(), "/");
  });

  it("State keeps user, platform, hostname, network and security", () => {
    const p = { os: "linux", architecture: "arm64" };
    const s = scratch().withUser("app").withPlatform(p).withHostname("h").withNetwork("none")
      .withSecurity("insecure").withExtraHost("db", "10.0.0.2");
    assert.equal(s.getUser(), "app");
    assert.deepEqual(s.getPlatform(), p);
    assert.equal(s.getHostname(), "h");
    assert.equal(s.getNetwork(), "none");
    assert.equal(s.getSecurity(), "insecure");
    assert.deepEqual(s.getExtraHosts(), [{ host: "db", ip: "10.0.0.2" }]);
    assert.equal(scratch().getUser(), undefined);
  });

  it("State.run() takes env, dir, user and modes from the state", () => {
    const s = image("alpine").withEnv("A", "1").withDir("/w").withUser("app").withNetwork("host")
      .withHostname("box").withExtraHost("db", "1.2.3.4");
    const def = marshal(s.run({ args: ["true"], env: { B: "2" }, validExitCodes: [0, 3] }));
    const exec = execOf(def.ops[1]?.op);
    assert.deepEqual(exec.meta, {
      args: ["true"],
      cwd: "/w",
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1", "B=2"],
      user: "app",
      hostname: "box",
      extraHosts: [{ host: "db", ip: "1.2.3.4" }],
      validExitCodes: [0, 3],
    });
    assert.equal(exec.network, "host");
  });

  it("State.run() keeps a PATH from the env instead of the default", () => {
    const def = marshal(image("alpine").withEnv("PATH", "/bin").run({ args: ["true"] }));
    assert.deepEqual(execOf(def.ops[1]?.op).meta.env, ["PATH=/bin"]);
  });

  it("State.run() options override the state's settings", () => {
    const s = image("alpine").withDir("/w").withUser("app").withSecurity("insecure");
    const def = marshal(
      s.run({
        args: ["true"],
        cwd: "sub",
        user: "root",
        security: "sandbox",
        proxyEnv: { httpProxy: "http://p" },
      }),
    );
    const exec = execOf(def.ops[1]?.op);
    assert.equal(exec.meta.cwd, "/w/sub");
    assert.equal(exec.meta.user, "root");
    assert.equal(exec.security, undefined);
    assert.deepEqual(exec.meta.proxyEnv, { httpProxy: "http://p" });
  });

  it("State.run() sorts mounts by dest and numbers outputs in the order given", () => {
    const ctx = local("context");
    const e = image("alpine").run({
      args: ["make"],
      mounts: [
        { dest: "/z", source: ctx },
        { dest: "/cache", type: "cache", cache: { id: "c", sharing: "locked" } },
        { dest: "/a", source: ctx, selector: "sub", readonly: true },
        { dest: "/out", source: scratch() },
        { dest: "/run/secrets/s", type: "secret", secret: { id: "s", mode: 0o440 } },
        { dest: "/tmp", type: "tmpfs", tmpfs: { size: 1024 } },
        { dest: "/ssh", type: "ssh", ssh: { id: "default" } },
      ],
    });
    const def = marshal([e.getMount("/z"), e.getMount("/out")]);
    const exec = execOf(def.ops.find((o) => "exec" in o.op)?.op);
    assert.deepEqual(exec.mounts, [
      { dest: "/", input: 0, output: 0 },
      { dest: "/a", input: 1, selector: "sub", readonly: true },
      { dest: "/cache", type: "cache", cacheOpt: { id: "c", sharing: "locked" } },
      { dest: "/out", output: 2 },
      { dest: "/run/secrets/s", type: "secret", secretOpt: { id: "s", mode: 0o440 } },
      { dest: "/ssh", type: "ssh", sshOpt: {} },
      { dest: "/tmp", type: "tmpfs", tmpfsOpt: { size: 1024 } },
      { dest: "/z", input: 1, output: 1 },
    ]);
    const terminal = def.ops.at(-1)!.op;
    assert.deepEqual(terminal.inputs?.map((i) => i.index ?? 0), [1, 2]);
  });

  it("State.run() mount order does not change the digest", () => {
    const ctx = local("context");
    const a = image("alpine").run({
      args: ["x"],
      mounts: [{ dest: "/a", source: ctx, readonly: true }, { dest: "/b", type: "tmpfs" }],
    });
    const b = image("alpine").run({
      args: ["x"],
      mounts: [{ dest: "/b", type: "tmpfs" }, { dest: "/a", source: ctx, readonly: true }],
    });
    assert.equal(marshal(a).ops.at(-2)!.digest, marshal(b).ops.at(-2)!.digest);
  });

  it("ExecState.getMount() rejects mounts without output and unknown mounts", () => {
    const e = image("alpine").run({
      args: ["x"],
      mounts: [{ dest: "/ro", readonly: true }, { dest: "/c", type: "cache", cache: { id: "c" } }, {
        dest: "/no",
        output: false,
      }],
    });
    assert.throws(() => e.getMount("/ro"), /has no output/);
    assert.throws(() => e.getMount("/c"), /has no output/);
    assert.throws(() => e.getMount("/no"), /has no output/);
    assert.throws(() => e.getMount("/nope"), /No mount at "\/nope"/);
  });

  it("ExecState.root() is the exec's output 0 and keeps the state's settings", () => {
    const e = image("alpine").withDir("/w").run({ args: ["x"] });
    const root = e.root();
    assert.equal(root.getDir(), "/w");
    assert.deepEqual(marshal(root), marshal(e));
  });

  it("State.run() rejects empty args, duplicate mounts and incomplete mount options", () => {
    const s = image("alpine");
    assert.throws(() => s.run({ args: [] }), /at least one argument/);
    assert.throws(
      () => s.run({ args: ["x"], mounts: [{ dest: "/a" }, { dest: "/a/" }] }),
      /two mounts at "\/a"/,
    );
    assert.throws(() => s.run({ args: ["x"], mounts: [{ dest: "/" }] }), /another mount at "\/"/);
    assert.throws(
      () => s.run({ args: ["x"], mounts: [{ dest: "/c", type: "cache" }] }),
      /needs cache/,
    );
    assert.throws(
      () => s.run({ args: ["x"], mounts: [{ dest: "/s", type: "secret" }] }),
      /needs secret/,
    );
    assert.throws(
      () => s.run({ args: ["x"], mounts: [{ dest: "/t", type: "tmpfs", source: s }] }),
      /takes no source/,
    );
  });

  it("State.run() on scratch has a root mount without input", () => {
    const def = marshal(scratch().run({ args: ["/bin/x"] }));
    assert.deepEqual(execOf(def.ops[0]?.op).mounts, [{ dest: "/", output: 0 }]);
  });

  it("State.run() writes secretEnv", () => {
    const def = marshal(
      image("alpine").run({
        args: ["x"],
        secretEnv: [{ id: "tok", name: "TOKEN", optional: true }],
      }),
    );
    assert.deepEqual(execOf(def.ops[1]?.op).secretEnv, [{
      id: "tok",
      name: "TOKEN",
      optional: true,
    }]);
  });
});
