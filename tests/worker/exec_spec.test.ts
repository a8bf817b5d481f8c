// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DOCKER_DEFAULT_CAPABILITIES,
  generateSpec,
  hostsFileContent,
  inheritRlimits,
  parseProcLimits,
  resolvConfContent,
  RLIM_INFINITY,
  serializeSpec,
  type SpecOptions,
} from "../../src/worker/exec_spec.ts";

const PROC = { args: ["sh", "-c", "true"], env: ["A=1"], cwd: "/w", uid: 1000, gid: 1000 };
const OPTS: SpecOptions = {
  network: "default",
  security: "sandbox",
  rlimits: [],
  hostsFile: "/b/hosts",
  resolvConfFile: "/b/resolv.conf",
};

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max stack size            8388608              unlimited            bytes
Max open files            1024                 20000                files
Max locked memory         8388608              8388608              bytes
`;

describe("generateSpec()", () => {
  it("generateSpec() gives Docker's default capabilities and no new namespace for the host network", () => {
    const spec = generateSpec(PROC, OPTS);
    assert.deepEqual(spec.process.capabilities.bounding, [...DOCKER_DEFAULT_CAPABILITIES]);
    assert.equal(spec.process.capabilities.effective.length, 14);
    assert.equal(spec.process.noNewPrivileges, false);
    assert.equal(spec.process.terminal, false);
    assert.deepEqual(spec.linux.namespaces.map((n) => n.type), ["pid", "ipc", "uts", "mount"]);
    assert.equal(spec.hostname, "buildkitsandbox");
    assert.ok(spec.linux.maskedPaths.includes("/proc/kcore"));
    assert.ok(spec.linux.readonlyPaths.includes("/proc/sys"));
  });

  it("generateSpec() adds a network namespace for network none", () => {
    const spec = generateSpec(PROC, { ...OPTS, network: "none" });
    assert.ok(spec.linux.namespaces.some((n) => n.type === "network"));
    const host = generateSpec(PROC, { ...OPTS, network: "host" });
    assert.ok(!host.linux.namespaces.some((n) => n.type === "network"));
  });

  it("generateSpec() grants every capability in the bounding set with security insecure", () => {
    const spec = generateSpec(PROC, {
      ...OPTS,
      security: "insecure",
      capLastCap: 40,
      boundingSet: 0x1fffeffffffn,
    });
    const caps = spec.process.capabilities.effective;
    assert.equal(caps.length, 40);
    assert.ok(!caps.includes("CAP_SYS_RESOURCE"));
    assert.ok(caps.includes("CAP_SYS_ADMIN"));
    assert.deepEqual(spec.linux.maskedPaths, []);
    assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: "rwm" }]);
    assert.ok(!spec.mounts.find((m) => m.destination === "/sys")!.options!.includes("ro"));
  });

  it("generateSpec() mounts runc's defaults, then hosts and resolv.conf, then the step's mounts", () => {
    const spec = generateSpec(PROC, {
      ...OPTS,
      mounts: [{ destination: "/c", type: "bind", source: "/x", options: ["rbind", "rw"] }],
    });
    assert.deepEqual(spec.mounts.map((m) => m.destination), [
      "/proc",
      "/dev",
      "/dev/pts",
      "/dev/shm",
      "/dev/mqueue",
      "/sys",
      "/sys/fs/cgroup",
      "/etc/hosts",
      "/etc/resolv.conf",
      "/c",
    ]);
    assert.deepEqual(spec.mounts[7], {
      destination: "/etc/hosts",
      type: "bind",
      source: "/b/hosts",
      options: ["rbind", "ro"],
    });
  });

  it("generateSpec() sets the user's ids and supplementary groups", () => {
    const spec = generateSpec({ ...PROC, additionalGids: [10, 20] }, OPTS);
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 1000, additionalGids: [10, 20] });
    assert.deepEqual(generateSpec(PROC, OPTS).process.user, { uid: 1000, gid: 1000 });
  });

  it("generateSpec() rejects a relative cwd and an empty argv", () => {
    assert.throws(() => generateSpec({ ...PROC, cwd: "w" }, OPTS), /not absolute/);
    assert.throws(() => generateSpec({ ...PROC, args: [] }, OPTS), /no command/);
  });
});

describe("rlimits", () => {
  it("parseProcLimits() reads soft and hard limits, unlimited as RLIM_INFINITY", () => {
    const l = parseProcLimits(LIMITS);
    assert.deepEqual(l.map((x) => x.type), [
      "RLIMIT_CPU",
      "RLIMIT_STACK",
      "RLIMIT_NOFILE",
      "RLIMIT_MEMLOCK",
    ]);
    assert.equal(l[1]!.soft, 8388608n);
    assert.equal(l[1]!.hard, RLIM_INFINITY);
  });

  it("inheritRlimits() never goes above the caller's hard limit", () => {
    const l = inheritRlimits(parseProcLimits(LIMITS));
    const nofile = l.find((x) => x.type === "RLIMIT_NOFILE")!;
    assert.deepEqual(nofile, { type: "RLIMIT_NOFILE", soft: 20000n, hard: 20000n });
    const high = inheritRlimits([{ type: "RLIMIT_NOFILE", soft: 1024n, hard: 4000000n }]);
    assert.equal(high[0]!.soft, 1048576n);
    assert.equal(high[0]!.hard, 4000000n);
  });

  it("serializeSpec() writes rlimits as exact 64-bit integers", () => {
    const spec = generateSpec(PROC, { ...OPTS, rlimits: parseProcLimits(LIMITS) });
    const text = serializeSpec(spec);
    assert.match(
      text,
      /"type":"RLIMIT_CPU","soft":18446744073709551615,"hard":18446744073709551615/,
    );
    assert.match(text, /"type":"RLIMIT_NOFILE","soft":1024,"hard":20000/);
    assert.doesNotThrow(() => JSON.parse(text));
  });
});

describe("network files", () => {
  it("hostsFileContent() lists localhost with the hostname, then the extra hosts", () => {
    assert.equal(
      hostsFileContent("sb", [{ host: "db", ip: "10.0.0.2" }, { host: "v6", ip: "fd00::1" }]),
      "127.0.0.1\tlocalhost sb\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
        "10.0.0.2\tdb\nfd00::1\tv6\n",
    );
    assert.throws(() => hostsFileContent("sb", [{ host: "a b", ip: "1.2.3.4" }]), /invalid/);
  });

  it("resolvConfContent() keeps the host's file with the host network", () => {
    const host = "nameserver 127.0.0.53\nsearch lan";
    assert.equal(resolvConfContent(host, { hostNetwork: true }), host + "\n");
  });

  it("resolvConfContent() drops loopback nameservers in a new network namespace", () => {
    const t = resolvConfContent("nameserver 127.0.0.53\nnameserver 10.0.0.1\noptions ndots:2\n", {
      hostNetwork: false,
    });
    assert.equal(t, "nameserver 10.0.0.1\noptions ndots:2\n");
    const fallback = resolvConfContent("nameserver ::1\nsearch lan\n", { hostNetwork: false });
    assert.equal(
      fallback,
      "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n" +
        "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n",
    );
    assert.match(resolvConfContent(undefined, { hostNetwork: true }), /^nameserver 8\.8\.8\.8\n/);
  });
});
