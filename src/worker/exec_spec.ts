// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The OCI runtime spec (`config.json`) of a RUN step, generated without
 * touching the host: every host fact (rlimits, the number of capabilities the
 * kernel knows, the host's resolv.conf) comes in as a parameter.
 *
 * What the spec holds, after Docker's and BuildKit's defaults
 * (`executor/oci/spec.go`, `spec_unix.go`; moby `oci/defaults.go`):
 * - Docker's 14 default capabilities in the bounding, effective and permitted
 *   sets (none inheritable, none ambient), `noNewPrivileges: false`;
 *   `security: "insecure"` gives every capability the kernel knows, no masked
 *   or read-only paths, a writable `/sys` and cgroupfs and all devices allowed
 *   in the device cgroup (host devices are not added to `/dev`).
 * - Namespaces pid, ipc, uts, mount, plus network unless the network is the
 *   host's (`default` and `host`: BuildKit's OCI worker without CNI runs RUN
 *   steps in the host network; `none`: a new network namespace with only `lo`).
 * - runc's default mounts (`/proc`, `/dev`, `/dev/pts`, `/dev/shm`,
 *   `/dev/mqueue`, `/sys` read-only, `/sys/fs/cgroup` read-only), then
 *   `/etc/hosts` and `/etc/resolv.conf`, then the step's mounts.
 * - A seccomp filter that refuses the system calls Docker's default profile
 *   keeps from sandboxed containers (see exec_seccomp.ts); `insecure` runs
 *   unfiltered. No AppArmor profile.
 * - rlimits inherited from the caller and never above its hard limits (root
 *   without CAP_SYS_RESOURCE cannot raise them): see {@linkcode inheritRlimits}.
 *
 * @module
 */

import { defaultSeccompProfile, type SeccompProfile } from "./exec_seccomp.ts";

/** Docker's default capability set (moby `oci/caps/defaults.go`). */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Every Linux capability, indexed by its number (up to CAP_CHECKPOINT_RESTORE = 40). */
export const ALL_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

/** Docker's masked paths (moby `oci/defaults.go`). */
export const DOCKER_MASKED_PATHS: readonly string[] = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

/** Docker's read-only paths (moby `oci/defaults.go`). */
export const DOCKER_READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

/** The hostname of a RUN step unless one is given. */
export const DEFAULT_HOSTNAME = "buildkitsandbox";

/** The soft open-files limit a RUN step gets when the caller's hard limit allows it (Docker's). */
export const DEFAULT_NOFILE = 1048576n;

/** `RLIM_INFINITY`. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** One OCI mount. */
export interface OciMount {
  /** Absolute path inside the container. */
  destination: string;
  /** File system type (`bind`, `tmpfs`, `proc`, …). */
  type: string;
  /** Source (a host path for binds). */
  source: string;
  /** Mount options. */
  options?: string[];
}

/** One OCI rlimit. Values are bigints: `RLIM_INFINITY` does not fit a JS number. */
export interface OciRlimit {
  /** `RLIMIT_NOFILE` and the like. */
  type: string;
  /** Soft limit. */
  soft: bigint;
  /** Hard limit. */
  hard: bigint;
}

/** The part of the OCI runtime spec this executor writes. */
export interface OciSpec {
  /** Spec version. */
  ociVersion: string;
  /** The process. */
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: OciRlimit[];
    noNewPrivileges: boolean;
  };
  /** The root filesystem, relative to the bundle. */
  root: { path: string; readonly: boolean };
  /** UTS hostname. */
  hostname: string;
  /** Mounts, in order. */
  mounts: OciMount[];
  /** Linux specifics. */
  linux: {
    namespaces: Array<{ type: string }>;
    maskedPaths: string[];
    readonlyPaths: string[];
    /**
     * Device cgroup rules. Kept in a user namespace too: crun and runc run
     * without cgroups there (rootless cgroup manager) and skip them.
     */
    resources: { devices: Array<{ allow: boolean; access: string }> };
    cgroupsPath?: string;
    /** The seccomp filter (sandboxed steps only). */
    seccomp?: SeccompProfile;
  };
}

/** Names of `/proc/self/limits` rows → OCI rlimit types. */
const LIMIT_NAMES: Record<string, string> = {
  "Max cpu time": "RLIMIT_CPU",
  "Max file size": "RLIMIT_FSIZE",
  "Max data size": "RLIMIT_DATA",
  "Max stack size": "RLIMIT_STACK",
  "Max core file size": "RLIMIT_CORE",
  "Max resident set": "RLIMIT_RSS",
  "Max processes": "RLIMIT_NPROC",
  "Max open files": "RLIMIT_NOFILE",
  "Max locked memory": "RLIMIT_MEMLOCK",
  "Max address space": "RLIMIT_AS",
  "Max file locks": "RLIMIT_LOCKS",
  "Max pending signals": "RLIMIT_SIGPENDING",
  "Max msgqueue size": "RLIMIT_MSGQUEUE",
  "Max nice priority": "RLIMIT_NICE",
  "Max realtime priority": "RLIMIT_RTPRIO",
  "Max realtime timeout": "RLIMIT_RTTIME",
};

/**
 * Parses the text of `/proc/<pid>/limits` into rlimits (`unlimited` is
 * {@linkcode RLIM_INFINITY}).
 *
 * @example
 * ```ts
 * import { parseProcLimits } from "./exec_spec.ts";
 * const text = "Limit  Soft Limit  Hard Limit  Units\n" +
 *   "Max open files            1024                 20000                files\n";
 * const [l] = parseProcLimits(text);
 * console.assert(l?.type === "RLIMIT_NOFILE" && l.soft === 1024n && l.hard === 20000n);
 * ```
 */
export function parseProcLimits(text: string): OciRlimit[] {
  const out: OciRlimit[] = [];
  for (const line of text.split("\n")) {
    for (const [name, type] of Object.entries(LIMIT_NAMES)) {
      if (!line.startsWith(name + " ")) continue;
      const fields = line.slice(name.length).trim().split(/\s+/);
      const soft = parseLimit(fields[0]);
      const hard = parseLimit(fields[1]);
      if (soft !== undefined && hard !== undefined) out.push({ type, soft, hard });
    }
  }
  return out;
}

function parseLimit(s: string | undefined): bigint | undefined {
  if (s === "unlimited") return RLIM_INFINITY;
  return s !== undefined && /^\d+$/.test(s) ? BigInt(s) : undefined;
}

/**
 * The rlimits of a RUN step from the caller's own: every limit is kept as is
 * (so none asks for more than the caller's hard limit), except the soft
 * open-files limit, raised to Docker's 1048576 or the hard limit if lower.
 *
 * @example
 * ```ts
 * import { inheritRlimits } from "./exec_spec.ts";
 * const [l] = inheritRlimits([{ type: "RLIMIT_NOFILE", soft: 1024n, hard: 20000n }]);
 * console.assert(l?.soft === 20000n && l.hard === 20000n);
 * ```
 */
export function inheritRlimits(own: readonly OciRlimit[]): OciRlimit[] {
  return own.map((l) => {
    if (l.type !== "RLIMIT_NOFILE") return { ...l };
    const soft = l.hard < DEFAULT_NOFILE ? l.hard : DEFAULT_NOFILE;
    return { type: l.type, soft: soft > l.soft ? soft : l.soft, hard: l.hard };
  });
}

/**
 * The `/etc/hosts` of a RUN step: localhost with the hostname, the IPv6
 * loopback names, then one `ip<TAB>host` line per extra host.
 *
 * @example
 * ```ts
 * import { hostsFileContent } from "./exec_spec.ts";
 * const t = hostsFileContent("buildkitsandbox", [{ host: "db", ip: "10.0.0.2" }]);
 * console.assert(t.startsWith("127.0.0.1\tlocalhost buildkitsandbox\n"));
 * console.assert(t.endsWith("10.0.0.2\tdb\n"));
 * ```
 */
export function hostsFileContent(
  hostname: string,
  extraHosts: ReadonlyArray<{ host: string; ip: string }> = [],
): string {
  let text = `127.0.0.1\tlocalhost ${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  for (const h of extraHosts) {
    if (/[\s#]/.test(h.host) || h.host === "" || !/^[0-9A-Fa-f:.]+$/.test(h.ip)) {
      throw new Error(`invalid extra host ${JSON.stringify(`${h.host}:${h.ip}`)}`);
    }
    text += `${h.ip}\t${h.host}\n`;
  }
  return text;
}

/** Public resolvers used when the host's resolv.conf has none usable (as Docker). */
const FALLBACK_NAMESERVERS = ["8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844"];

function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === "::1" || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(ip);
}

/**
 * The `/etc/resolv.conf` of a RUN step from the host's text: with the host
 * network it is kept as is; otherwise loopback nameservers (unreachable from
 * a new network namespace) are dropped, and if none remain Docker's public
 * fallbacks are added. With no host file (undefined), the fallbacks.
 *
 * @example
 * ```ts
 * import { resolvConfContent } from "./exec_spec.ts";
 * const t = resolvConfContent("nameserver 127.0.0.53\nsearch lan\n", { hostNetwork: false });
 * console.assert(!t.includes("127.0.0.53") && t.includes("nameserver 8.8.8.8"));
 * ```
 */
export function resolvConfContent(
  hostText: string | undefined,
  options: { hostNetwork: boolean },
): string {
  if (hostText !== undefined && options.hostNetwork) {
    return hostText.endsWith("\n") || hostText === "" ? hostText : hostText + "\n";
  }
  const kept: string[] = [];
  let servers = 0;
  for (const line of (hostText ?? "").split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) {
      if (isLoopback(m[1]!)) continue;
      servers++;
    }
    if (line.trim() !== "") kept.push(line);
  }
  if (servers === 0) {
    for (const ns of FALLBACK_NAMESERVERS) kept.push(`nameserver ${ns}`);
  }
  return kept.join("\n") + "\n";
}

/**
 * How a RUN step differs when the builder itself runs in a user namespace
 * (rootless): what that namespace lets the runtime mount.
 */
export interface UserNamespaceSpec {
  /**
   * Whether the step gets its own network namespace (`network=none`): sysfs
   * can only be mounted by the owner of the network namespace, so with the
   * host's network `/sys` is a read-only bind of the host's instead (as
   * BuildKit's rootless mode does).
   */
  ownNetwork: boolean;
  /** Whether gid 5 (tty) exists in the namespace; else devpts is mounted without `gid=5`. */
  ttyGroup: boolean;
}

/** Options of {@linkcode defaultMounts}. */
export interface DefaultMountsOptions {
  /** `security=insecure`: writable `/sys`. */
  insecure: boolean;
  /**
   * Set when the builder runs in a user namespace: no cgroupfs mount (the
   * host's cgroups are not the namespace's), `/sys` bound from the host
   * without a network namespace, devpts without an unmapped `gid=`.
   */
  userNamespace?: UserNamespaceSpec;
}

/**
 * runc's default mounts, with BuildKit's `/dev/shm` and read-only `/sys` and
 * cgroupfs; adjusted for a user namespace (see {@linkcode DefaultMountsOptions}).
 *
 * @example
 * ```ts
 * import { defaultMounts } from "./exec_spec.ts";
 * const m = defaultMounts({ insecure: false, userNamespace: { ownNetwork: false, ttyGroup: false } });
 * console.assert(m.find((x) => x.destination === "/sys")?.type === "bind");
 * console.assert(!m.some((x) => x.destination === "/sys/fs/cgroup"));
 * ```
 */
export function defaultMounts(options: DefaultMountsOptions): OciMount[] {
  const ro = options.insecure ? [] : ["ro"];
  const userns = options.userNamespace;
  const mounts: OciMount[] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    {
      destination: "/dev/mqueue",
      type: "mqueue",
      source: "mqueue",
      options: ["nosuid", "noexec", "nodev"],
    },
    {
      destination: "/sys",
      type: "sysfs",
      source: "sysfs",
      options: ["nosuid", "noexec", "nodev", ...ro],
    },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", ...ro],
    },
  ];
  if (userns === undefined) return mounts;
  const out: OciMount[] = [];
  for (const m of mounts) {
    if (m.destination === "/sys/fs/cgroup") continue;
    if (m.destination === "/sys" && !userns.ownNetwork) {
      out.push({
        destination: "/sys",
        type: "bind",
        source: "/sys",
        options: ["rbind", "nosuid", "noexec", "nodev", ...ro],
      });
    } else if (m.destination === "/dev/pts" && !userns.ttyGroup) {
      out.push({ ...m, options: (m.options ?? []).filter((o) => !o.startsWith("gid=")) });
    } else {
      out.push(m);
    }
  }
  return out;
}

/** The process part of {@linkcode generateSpec}'s input. */
export interface SpecProcess {
  /** argv. */
  args: string[];
  /** `KEY=value` list. */
  env: string[];
  /** Absolute working directory. */
  cwd: string;
  /** Resolved user. */
  uid: number;
  /** Resolved primary group. */
  gid: number;
  /** Supplementary groups. */
  additionalGids?: number[];
}

/** Options of {@linkcode generateSpec}. */
export interface SpecOptions {
  /** Network mode of the step. */
  network: "default" | "none" | "host";
  /** Security mode of the step. */
  security: "sandbox" | "insecure";
  /** UTS hostname; default {@linkcode DEFAULT_HOSTNAME}. */
  hostname?: string;
  /** The rlimits to set (see {@linkcode inheritRlimits}). */
  rlimits: OciRlimit[];
  /** Host files bind-mounted read-only at `/etc/hosts` and `/etc/resolv.conf`. */
  hostsFile: string;
  /** See `hostsFile`. */
  resolvConfFile: string;
  /** Mounts of the step, after the defaults (already in OCI form). */
  mounts?: OciMount[];
  /** Highest capability number the kernel knows (`/proc/sys/kernel/cap_last_cap`); default 40. */
  capLastCap?: number;
  /**
   * The caller's bounding set (`CapBnd` of `/proc/self/status`): capabilities
   * outside it cannot be granted (the runtime's capset fails), so they are
   * left out. Default: all.
   */
  boundingSet?: bigint;
  /** Root filesystem directory relative to the bundle; default `rootfs`. */
  rootPath?: string;
  /** `linux.cgroupsPath`; default: left to the runtime. */
  cgroupsPath?: string;
  /** Host architecture (OCI spelling) for the seccomp filter of sandboxed steps; none when absent. */
  seccompArch?: string;
  /**
   * Set when the builder runs in a user namespace (rootless): the mounts of
   * {@linkcode defaultMounts} for it. No `cgroupsPath` is set there: the
   * runtime sees it is in a user namespace and runs without cgroup limits.
   */
  userNamespace?: UserNamespaceSpec;
}

/**
 * Generates the spec of one RUN step.
 *
 * @example
 * ```ts
 * import { generateSpec } from "./exec_spec.ts";
 * const spec = generateSpec(
 *   { args: ["true"], env: [], cwd: "/", uid: 0, gid: 0 },
 *   { network: "none", security: "sandbox", rlimits: [], hostsFile: "/h", resolvConfFile: "/r" },
 * );
 * console.assert(spec.hostname === "buildkitsandbox");
 * console.assert(spec.linux.namespaces.some((n) => n.type === "network"));
 * ```
 */
export function generateSpec(proc: SpecProcess, options: SpecOptions): OciSpec {
  const insecure = options.security === "insecure";
  const last = options.capLastCap ?? ALL_CAPABILITIES.length - 1;
  const mask = options.boundingSet;
  const caps = (insecure ? ALL_CAPABILITIES.slice(0, last + 1) : DOCKER_DEFAULT_CAPABILITIES)
    .filter((c) => {
      if (mask === undefined) return true;
      const bit = ALL_CAPABILITIES.indexOf(c);
      return ((mask >> BigInt(bit)) & 1n) === 1n;
    });
  const namespaces = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  if (options.network === "none") namespaces.push({ type: "network" });
  const userns = options.userNamespace;
  const mounts: OciMount[] = [
    ...defaultMounts({ insecure, ...(userns !== undefined ? { userNamespace: userns } : {}) }),
    {
      destination: "/etc/hosts",
      type: "bind",
      source: options.hostsFile,
      options: ["rbind", "ro"],
    },
    {
      destination: "/etc/resolv.conf",
      type: "bind",
      source: options.resolvConfFile,
      options: ["rbind", "ro"],
    },
    ...(options.mounts ?? []),
  ];
  if (!proc.cwd.startsWith("/")) throw new Error(`working directory ${proc.cwd} is not absolute`);
  if (proc.args.length === 0) throw new Error("no command to run");
  const spec: OciSpec = {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: {
        uid: proc.uid,
        gid: proc.gid,
        ...(proc.additionalGids && proc.additionalGids.length > 0
          ? { additionalGids: [...proc.additionalGids] }
          : {}),
      },
      args: [...proc.args],
      env: [...proc.env],
      cwd: proc.cwd,
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: options.rlimits.map((l) => ({ ...l })),
      noNewPrivileges: false,
    },
    root: { path: options.rootPath ?? "rootfs", readonly: false },
    hostname: options.hostname ?? DEFAULT_HOSTNAME,
    mounts,
    linux: {
      namespaces,
      maskedPaths: insecure ? [] : [...DOCKER_MASKED_PATHS],
      readonlyPaths: insecure ? [] : [...DOCKER_READONLY_PATHS],
      resources: { devices: [{ allow: insecure, access: "rwm" }] },
      ...(options.cgroupsPath !== undefined ? { cgroupsPath: options.cgroupsPath } : {}),
      ...(!insecure && options.seccompArch !== undefined
        ? { seccomp: defaultSeccompProfile(options.seccompArch) }
        : {}),
    },
  };
  return spec;
}

/**
 * Serializes a spec as JSON, writing rlimit bigints as exact integers.
 *
 * @example
 * ```ts
 * import { generateSpec, RLIM_INFINITY, serializeSpec } from "./exec_spec.ts";
 * const spec = generateSpec(
 *   { args: ["true"], env: [], cwd: "/", uid: 0, gid: 0 },
 *   {
 *     network: "host", security: "sandbox", hostsFile: "/h", resolvConfFile: "/r",
 *     rlimits: [{ type: "RLIMIT_CORE", soft: 0n, hard: RLIM_INFINITY }],
 *   },
 * );
 * console.assert(serializeSpec(spec).includes('"hard":18446744073709551615'));
 * ```
 */
export function serializeSpec(spec: OciSpec): string {
  const marker = "\u0000bigint:";
  const json = JSON.stringify(
    spec,
    (_k, v) => typeof v === "bigint" ? `${marker}${v.toString()}` : v,
  );
  return json.replace(/"\\u0000bigint:(\d+)"/g, "$1");
}
