// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { applyLayer } from "../../src/archive/mod.ts";
import { upperToChanges } from "../../src/worker/exec_changes.ts";
import {
  crunCgroupProblem,
  type ExecRequest,
  type ExecResult,
  findRuntime,
  installedRuntimes,
  prepareCgroupsForCrun,
  runContainer,
} from "../../src/worker/exec_runtime.ts";
import {
  BUSYBOX_PATH_ENV,
  busyboxAvailable,
  makeBusyboxLayout,
} from "../_fixtures/busybox_image.ts";

const isRoot = process.getuid?.() === 0;
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bkts-exec-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

let lowerPromise: Promise<string> | undefined;

/** The busybox fixture's layer, unpacked once. */
function busyboxLower(): Promise<string> {
  lowerPromise ??= (async () => {
    const base = tempDir("fixture");
    const img = await makeBusyboxLayout(path.join(base, "layout"));
    const blob = path.join(base, "layout", "blobs", "sha256", img.layer.digest.slice(7));
    const lower = path.join(base, "lower");
    fs.mkdirSync(lower);
    await applyLayer(new Response(fs.readFileSync(blob)).body!, lower);
    return lower;
  })();
  return lowerPromise;
}

const installed = installedRuntimes();
if (isRoot && installed.crun !== undefined && crunCgroupProblem() !== undefined) {
  // What the test bootstrap does once per host (see crunCgroupProblem).
  prepareCgroupsForCrun();
}

function skipReason(rt: "crun" | "runc"): string | false {
  if (!isRoot) return "container tests need root (rootless execution is not implemented yet)";
  if (!busyboxAvailable()) return "/bin/busybox is not installed (apt-get install busybox-static)";
  if (installed[rt] === undefined) return `${rt} is not installed (apt-get install -y ${rt})`;
  if (rt === "crun" && crunCgroupProblem() !== undefined) return crunCgroupProblem()!;
  return false;
}

interface Run extends ExecResult {
  out: string;
  err: string;
  upper: string;
  lower: string;
}

async function run(
  rt: string,
  args: string[],
  extra: Partial<ExecRequest> & { upper?: string } = {},
): Promise<Run> {
  const lower = await busyboxLower();
  const upper = extra.upper ?? path.join(tempDir("up"), "upper");
  fs.mkdirSync(upper, { recursive: true });
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  const res = await runContainer({
    rootLowerDirs: [lower],
    upperDir: upper,
    args,
    env: [BUSYBOX_PATH_ENV],
    cwd: "/",
    mounts: [],
    network: "none",
    security: "sandbox",
    runtime: installed[rt as "crun" | "runc"]!,
    ...extra,
    stdout: (c) => void (out += dec.decode(c, { stream: true })),
    stderr: (c) => void (err += dec.decode(c, { stream: true })),
  });
  return { ...res, out, err, upper, lower };
}

function sh(script: string): string[] {
  return ["sh", "-c", script];
}

for (const rt of ["crun", "runc"] as const) {
  describe(`runContainer() with ${rt}`, { skip: skipReason(rt) }, () => {
    it("runContainer() runs echo in the busybox rootfs and streams its output", async () => {
      const r = await run(rt, ["echo", "hi"]);
      assert.equal(r.exitCode, 0, r.err);
      assert.equal(r.out, "hi\n");
      assert.equal(r.rootfsMode, "overlay");
      assert.equal(path.basename(r.runtime), rt);
    });

    it("runContainer() propagates the exit code", async () => {
      const r = await run(rt, sh("exit 3"));
      assert.equal(r.exitCode, 3);
    });

    it("runContainer() sets env, cwd and a user resolved through /etc/passwd", async () => {
      const r = await run(rt, sh('echo "$FOO"; pwd; id'), {
        env: [BUSYBOX_PATH_ENV, "FOO=bar baz"],
        cwd: "/home/app",
        user: "app",
      });
      assert.equal(r.exitCode, 0, r.err);
      assert.equal(r.out, "bar baz\n/home/app\nuid=1000(app) gid=1000(app)\n");
    });

    it("runContainer() creates a missing cwd and keeps a file written under it", async () => {
      const r = await run(rt, sh("echo data > f"), { cwd: "/work" });
      assert.equal(r.exitCode, 0, r.err);
      assert.equal(fs.readFileSync(path.join(r.upper, "work", "f"), "utf8"), "data\n");
      const changes = upperToChanges(r.upper, { lowerDirs: [r.lower], opaqueDirs: r.opaqueDirs });
      assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`), ["add work", "add work/f"]);
    });

    it("runContainer() records a deleted lower file as an overlay whiteout", async () => {
      const r = await run(rt, ["rm", "/etc/group"]);
      assert.equal(r.exitCode, 0, r.err);
      const st = fs.lstatSync(path.join(r.upper, "etc", "group"));
      assert.ok(st.isCharacterDevice() && st.rdev === 0);
      const changes = upperToChanges(r.upper, { lowerDirs: [r.lower], opaqueDirs: r.opaqueDirs });
      assert.ok(changes.some((c) => c.kind === "delete" && c.path === "etc/group"));
      assert.ok(!changes.some((c) => c.path === "etc/hosts" || c.path === "etc/resolv.conf"));
    });

    it("runContainer() reports a removed and remade directory as opaque", async () => {
      const r = await run(rt, sh("rm -rf /home && mkdir /home && touch /home/new"));
      assert.equal(r.exitCode, 0, r.err);
      assert.deepEqual(r.opaqueDirs, ["home"]);
      const changes = upperToChanges(r.upper, { lowerDirs: [r.lower], opaqueDirs: r.opaqueDirs });
      assert.deepEqual(
        changes.map((c) => `${c.kind} ${c.path}`),
        ["delete home", "add home", "add home/new"],
      );
    });

    it("runContainer() leaves no trace of /etc/hosts, /etc/resolv.conf and mount stubs", async () => {
      const bind = tempDir("bindsrc");
      const r = await run(rt, sh("cat /etc/hosts /etc/resolv.conf >/dev/null; ls /mnt/a/b"), {
        mounts: [
          { type: "bind", source: bind, dest: "/mnt/a/b", readonly: true },
          { type: "tmpfs", dest: "/var/tmpfs" },
        ],
      });
      assert.equal(r.exitCode, 0, r.err);
      assert.deepEqual(fs.readdirSync(r.upper), []);
    });

    it("runContainer() writes /etc/hosts with the hostname and extra hosts", async () => {
      const r = await run(rt, sh("cat /etc/hosts; hostname"), {
        extraHosts: [{ host: "db.local", ip: "10.1.2.3" }],
      });
      assert.equal(r.exitCode, 0, r.err);
      assert.match(r.out, /^127\.0\.0\.1\tlocalhost buildkitsandbox\n/);
      assert.match(r.out, /10\.1\.2\.3\tdb\.local\n/);
      assert.match(r.out, /\nbuildkitsandbox\n$/);
    });

    it("runContainer() mounts binds read-only and read-write", async () => {
      const src = tempDir("bind");
      fs.writeFileSync(path.join(src, "in"), "from host\n");
      const ro = await run(rt, sh("cat /src/in; echo x > /src/new"), {
        mounts: [{ type: "bind", source: src, dest: "/src", readonly: true }],
      });
      assert.notEqual(ro.exitCode, 0);
      assert.equal(ro.out, "from host\n");
      assert.match(ro.err, /Read-only file system/);
      assert.ok(!fs.existsSync(path.join(src, "new")));
      const rw = await run(rt, sh("echo x > /src/new"), {
        mounts: [{ type: "bind", source: src, dest: "/src", readonly: false }],
      });
      assert.equal(rw.exitCode, 0, rw.err);
      assert.equal(fs.readFileSync(path.join(src, "new"), "utf8"), "x\n");
      assert.deepEqual(fs.readdirSync(rw.upper), []);
    });

    it("runContainer() mounts a tmpfs whose files stay out of the upper dir", async () => {
      const r = await run(rt, sh("echo t > /scratch/t && grep ' /scratch ' /proc/mounts"), {
        mounts: [{ type: "tmpfs", dest: "/scratch", size: 1 << 20 }],
      });
      assert.equal(r.exitCode, 0, r.err);
      assert.match(r.out, /^tmpfs \/scratch tmpfs .*size=1024k/);
      assert.deepEqual(fs.readdirSync(r.upper), []);
    });

    it("runContainer() keeps a cache mount's contents across two runs", async () => {
      const cache = tempDir("cache");
      const script = "echo run >> /root/.cache/log; wc -l < /root/.cache/log";
      const mounts = [{ type: "cache" as const, source: cache, dest: "/root/.cache" }];
      const a = await run(rt, sh(script), { mounts });
      const b = await run(rt, sh(script), { mounts });
      assert.equal(a.out.trim(), "1");
      assert.equal(b.out.trim(), "2");
      assert.deepEqual(fs.readdirSync(b.upper), []);
    });

    it("runContainer() shows a secret to its owner only and keeps it out of the upper dir", async () => {
      const data = new TextEncoder().encode("s3cr3t-value");
      const r = await run(rt, sh("cat /run/secrets/token; stat -c '%a %u' /run/secrets/token"), {
        user: "app",
        mounts: [{
          type: "secret",
          data,
          dest: "/run/secrets/token",
          uid: 1000,
          gid: 1000,
          mode: 0o400,
        }],
      });
      assert.equal(r.exitCode, 0, r.err);
      assert.equal(r.out, "s3cr3t-value400 1000\n");
      assert.deepEqual(fs.readdirSync(r.upper), []);
      const denied = await run(rt, sh("cat /run/secrets/token"), {
        user: "nobody",
        mounts: [{
          type: "secret",
          data,
          dest: "/run/secrets/token",
          uid: 1000,
          gid: 1000,
          mode: 0o400,
        }],
      });
      assert.notEqual(denied.exitCode, 0);
      assert.doesNotMatch(denied.out, /s3cr3t/);
    });

    it("runContainer() bind-mounts an ssh socket with its owner and mode", async () => {
      const sock = path.join(tempDir("ssh"), "agent.sock");
      const server = net.createServer((c) => c.end());
      await new Promise<void>((resolve) => server.listen(sock, resolve));
      try {
        const r = await run(rt, sh("stat -c '%F %a %u:%g' /run/buildkit/ssh_agent.0"), {
          mounts: [{
            type: "ssh",
            socket: sock,
            dest: "/run/buildkit/ssh_agent.0",
            uid: 1000,
            gid: 1000,
            mode: 0o600,
          }],
        });
        assert.equal(r.exitCode, 0, r.err);
        assert.equal(r.out, "socket 600 1000:1000\n");
        assert.deepEqual(fs.readdirSync(r.upper), []);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it("runContainer() with network none has only the loopback interface", async () => {
      const r = await run(rt, sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"));
      assert.equal(r.exitCode, 0, r.err);
      assert.equal(r.out, "lo\n");
    });

    it("runContainer() gives Docker's default capabilities, or all with security insecure", async () => {
      const script = "grep CapEff /proc/self/status; grep ' /sys ' /proc/mounts | cut -d' ' -f4";
      const sandbox = await run(rt, sh(script));
      assert.equal(sandbox.exitCode, 0, sandbox.err);
      assert.match(sandbox.out, /^CapEff:\t00000000a80425fb\nro,/);
      const insecure = await run(rt, sh(script), { security: "insecure" });
      assert.equal(insecure.exitCode, 0, insecure.err);
      const own = /CapBnd:\s*([0-9a-f]+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1];
      assert.match(insecure.out, new RegExp(`^CapEff:\\t${own}\\nrw,`));
    });

    it("runContainer() masks /proc/keys and keeps /proc/sys read-only in the sandbox", async () => {
      const r = await run(rt, sh("wc -c < /proc/keys; echo 1 > /proc/sys/vm/drop_caches"));
      assert.notEqual(r.exitCode, 0);
      assert.equal(r.out.trim(), "0");
      assert.match(r.err, /Read-only file system/);
    });

    it("runContainer() with network default uses the host's interfaces", async () => {
      const count = (t: string) => t.trim().split("\n").length - 2;
      const r = await run(rt, ["cat", "/proc/net/dev"], { network: "default" });
      assert.equal(r.exitCode, 0, r.err);
      assert.equal(count(r.out), count(fs.readFileSync("/proc/net/dev", "utf8")));
    });

    it("runContainer() rejects with the runtime's message when the command is missing", async () => {
      await assert.rejects(run(rt, ["no-such-command"]), (e: Error) => {
        assert.equal(e.name, "ExecRuntimeError");
        assert.match(e.message, /no-such-command/);
        return true;
      });
    });

    it("runContainer() runs two containers at once", async () => {
      const [a, b] = await Promise.all([
        run(rt, sh("sleep 0.3; echo a")),
        run(rt, sh("sleep 0.3; echo b")),
      ]);
      assert.equal(a.out, "a\n");
      assert.equal(b.out, "b\n");
    });

    it("runContainer() kills the container on abort", async () => {
      const ac = new AbortController();
      const start = Date.now();
      setTimeout(() => ac.abort(new Error("stop")), 300);
      await assert.rejects(run(rt, ["sleep", "30"], { signal: ac.signal }), /stop/);
      assert.ok(Date.now() - start < 5000, `abort took ${Date.now() - start} ms`);
    });

    it("runContainer() falls back to a copied rootfs and writes overlay-form changes", async () => {
      const r = await run(rt, sh("rm /etc/group; echo n > /etc/new"), { rootfsMode: "copy" });
      assert.equal(r.exitCode, 0, r.err);
      assert.equal(r.rootfsMode, "copy");
      const wh = fs.lstatSync(path.join(r.upper, "etc", "group"));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
      assert.equal(fs.readFileSync(path.join(r.upper, "etc", "new"), "utf8"), "n\n");
      const changes = upperToChanges(r.upper, { lowerDirs: [r.lower] });
      assert.deepEqual(
        changes.map((c) => `${c.kind} ${c.path}`),
        ["modify etc", "delete etc/group", "add etc/new"],
      );
    });
  });
}

describe("findRuntime()", { skip: isRoot ? false : "needs root" }, () => {
  it("findRuntime() prefers crun when it can start containers here", () => {
    const rt = findRuntime();
    const want = installed.crun !== undefined && crunCgroupProblem() === undefined
      ? "crun"
      : "runc";
    assert.equal(rt.name, want);
  });
});
