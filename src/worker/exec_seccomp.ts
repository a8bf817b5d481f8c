// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The seccomp filter of sandboxed RUN steps: the system calls Docker's default profile
 * refuses to a container without extra capabilities (Docker documents them as the
 * "significant syscalls blocked by the default profile"), refused here with EPERM;
 * everything else is allowed. Docker's profile is an allow-list of about 350 calls
 * with argument filters; this deny-list keeps the same calls out for the capabilities
 * a sandboxed step has, without the table. `--security=insecure` runs unfiltered.
 *
 * Left out on purpose: `clone` (Docker filters only its namespace flags; blocking it
 * would stop every fork) and `personality` (Docker allows the common personas).
 *
 * @module
 */

/** System calls refused to sandboxed steps (Docker default profile, capabilities of a sandboxed step). */
export const BLOCKED_SYSCALLS: readonly string[] = [
  "acct",
  "add_key",
  "bpf",
  "clock_adjtime",
  "clock_settime",
  "create_module",
  "delete_module",
  "finit_module",
  "get_kernel_syms",
  "get_mempolicy",
  "init_module",
  "ioperm",
  "iopl",
  "kcmp",
  "kexec_file_load",
  "kexec_load",
  "keyctl",
  "lookup_dcookie",
  "mbind",
  "mount",
  "move_pages",
  "name_to_handle_at",
  "nfsservctl",
  "open_by_handle_at",
  "perf_event_open",
  "pivot_root",
  "process_vm_readv",
  "process_vm_writev",
  "ptrace",
  "query_module",
  "quotactl",
  "reboot",
  "request_key",
  "set_mempolicy",
  "setns",
  "settimeofday",
  "stime",
  "swapoff",
  "swapon",
  "_sysctl",
  "sysfs",
  "umount",
  "umount2",
  "unshare",
  "uselib",
  "userfaultfd",
  "ustat",
  "vm86",
  "vm86old",
];

/** The OCI `linux.seccomp` section. */
export interface SeccompProfile {
  defaultAction: string;
  architectures: string[];
  syscalls: Array<{ names: string[]; action: string; errnoRet: number }>;
}

const ARCHES: Record<string, string[]> = {
  amd64: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "386": ["SCMP_ARCH_X86"],
  arm64: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
  arm: ["SCMP_ARCH_ARM"],
  ppc64le: ["SCMP_ARCH_PPC64LE"],
  s390x: ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"],
  riscv64: ["SCMP_ARCH_RISCV64"],
};

/**
 * The profile for a host architecture (OCI spelling: `amd64`, `arm64`, …).
 *
 * @example
 * ```ts
 * import { defaultSeccompProfile } from "./exec_seccomp.ts";
 * const p = defaultSeccompProfile("amd64");
 * console.assert(p.syscalls[0]!.names.includes("unshare") && p.defaultAction === "SCMP_ACT_ALLOW");
 * ```
 */
export function defaultSeccompProfile(arch: string): SeccompProfile {
  return {
    defaultAction: "SCMP_ACT_ALLOW",
    architectures: ARCHES[arch] ?? [],
    syscalls: [{ names: [...BLOCKED_SYSCALLS], action: "SCMP_ACT_ERRNO", errnoRet: 1 }],
  };
}
