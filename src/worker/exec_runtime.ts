// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Runs one RUN step in a container with crun or runc: finds the runtime,
 * checks that the host's cgroups let it start, builds the bundle (root
 * filesystem, `config.json`, `/etc/hosts`, `/etc/resolv.conf`, secrets),
 * runs `<runtime> --root <bundle>/state run --bundle <bundle> <id>` with the
 * output streamed to the caller, and cleans everything up whatever happens.
 *
 * crun is preferred (it starts a container about three times faster than
 * runc). On a cgroup v1 host in hybrid mode, crun refuses to start while the
 * cgroup2 hierarchy holds any controller ("cgroups in hybrid mode not
 * supported, drop all controllers from cgroupv2"): {@linkcode crunCgroupProblem}
 * detects it, the automatic choice then falls back to runc, and
 * {@linkcode prepareCgroupsForCrun} (root) mounts those controllers as v1.
 *
 * Rootless: an unprivileged builder re-executes itself in a user namespace
 * where it is uid 0 (`src/runtime/userns.ts`); there `runContainer` runs the
 * same way, with the overlay mounted with `userxattr` and the spec adjusted
 * for the namespace (no cgroup limits, `/sys` bound from the host when the
 * step shares the host's network, no unmapped ids). Outside any namespace a
 * non-root process gets {@linkcode RootlessUnavailableError} saying why.
 *
 * @module
 */

import { fs, fsp, os, path, process, randomBytes, spawn, spawnSync } from "../runtime/mod.ts";
import {
  currentIdMaps,
  type IdMapEntry,
  inUserNamespace,
  isIdMapped,
  rootlessUnavailableReason,
  userName,
} from "../runtime/mod.ts";
import { findOpaqueDirs } from "./exec_changes.ts";
import {
  copyChangesToUpper,
  createMountStubs,
  type ExecMount,
  mountRootfs,
  prepareMounts,
  removeMountStubs,
  type RootfsMode,
  RootfsMountError,
  runCommand,
  topLevelTargets,
  unmount,
} from "./exec_mounts.ts";
import {
  DEFAULT_HOSTNAME,
  defaultMounts,
  generateSpec,
  hostsFileContent,
  inheritRlimits,
  parseProcLimits,
  resolvConfContent,
  serializeSpec,
} from "./exec_spec.ts";
import { resolveExecUser } from "./exec_user.ts";
import { resolveInRoot } from "./path_safe.ts";

export type { ExecMount } from "./exec_mounts.ts";

/** One RUN step to execute. */
export interface ExecRequest {
  /** Lower layers of the root filesystem, bottom first (read-only snapshot dirs), or one dir. */
  rootLowerDirs: string[];
  /**
   * Opaque directories of each lower dir (same order), for lowers that are earlier steps'
   * upper dirs: overlayfs marks them with xattrs this runtime cannot read.
   */
  rootLowerOpaque?: string[][];
  /**
   * Where the process's changes go (overlay upperdir): an empty directory the
   * caller made. A work directory is made next to it (`<upperDir>.work-<random>`,
   * same file system) and removed afterwards. After the step it holds the
   * diff in overlay form: deletions as 0/0 character devices, opaque
   * directories with `trusted.overlay.opaque=y` (listed in
   * `ExecResult.opaqueDirs`); `upperToChanges(upperDir, { lowerDirs,
   * opaqueDirs })` from `exec_changes.ts` turns it into the layer's changes.
   */
  upperDir: string;
  /** argv. */
  args: string[];
  /** Environment, `KEY=value`. */
  env: string[];
  /** Absolute working directory; created (root-owned, 0755) if missing, as BuildKit does. */
  cwd: string;
  /** `USER` text (`name`, `uid`, `uid:gid`, `name:group`); default root. */
  user?: string;
  /** Hostname; default `buildkitsandbox`. */
  hostname?: string;
  /** The step's mounts. */
  mounts: ExecMount[];
  /** `default` = the host network (BuildKit's OCI worker without CNI); `none` = only `lo`. */
  network: "default" | "none" | "host";
  /** `insecure`: all capabilities, no masked paths, writable /sys. */
  security: "sandbox" | "insecure";
  /** Extra `/etc/hosts` entries. */
  extraHosts?: Array<{ host: string; ip: string }>;
  /** Receives the process's stdout as it comes. */
  stdout(chunk: Uint8Array): void;
  /** Receives the process's stderr (and the runtime's own messages) as it comes. */
  stderr(chunk: Uint8Array): void;
  /** Kills the container; `runContainer` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Path of crun or runc; default: found on PATH, crun preferred. */
  runtime?: string;
  /** How to make the root filesystem; default `auto` (overlay, else a copy of a single lower). */
  rootfsMode?: RootfsMode | "auto";
}

/** What a finished step gives back. */
export interface ExecResult {
  /** Exit status of the process (128 + n when killed by signal n). */
  exitCode: number;
  /** Wall-clock time from starting the runtime to its exit, in milliseconds. */
  durationMs: number;
  /** How the root filesystem was made. */
  rootfsMode: RootfsMode;
  /** Opaque directories of the upper dir (relative, `/`-separated), for `upperToChanges`. */
  opaqueDirs: string[];
  /** The runtime used. */
  runtime: string;
}

/** Thrown when no usable OCI runtime is found, or it cannot start containers on this host. */
export class RuntimeUnavailableError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "RuntimeUnavailableError";
  }
}

/**
 * Thrown by {@linkcode runContainer} when the process is neither root nor
 * uid 0 of a user namespace (the CLI re-executes a rootless build in one;
 * this means it could not, or the library is used directly by a non-root
 * process).
 */
export class RootlessUnavailableError extends Error {
  /** Builds the error; `reason` says why no user namespace is in use. */
  constructor(reason?: string) {
    super(
      "RUN steps need root or a user namespace, and this builder runs as an unprivileged " +
        "user outside one: " +
        (reason ?? "run it through the buildkit CLI, which enters a user namespace itself"),
    );
    this.name = "RootlessUnavailableError";
  }
}

/** @deprecated The old name of {@linkcode RootlessUnavailableError}. */
export const RootlessNotImplementedError = RootlessUnavailableError;
/** @deprecated The old name of {@linkcode RootlessUnavailableError}. */
export type RootlessNotImplementedError = RootlessUnavailableError;

/** Thrown when a RUN step asks for ids the user namespace of a rootless build does not map. */
export class UnmappedIdError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "UnmappedIdError";
  }
}

/** Thrown when the runtime itself fails (the container did not start or could not be run). */
export class ExecRuntimeError extends Error {
  /** The runtime's exit status. */
  readonly exitCode: number;
  /** Builds the error. */
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = "ExecRuntimeError";
    this.exitCode = exitCode;
  }
}

const SEARCH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":").filter((d) => d !== ""), ...SEARCH_DIRS];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // next
    }
  }
  return undefined;
}

interface MountInfo {
  mountPoint: string;
  fsType: string;
}

function readMountInfo(): MountInfo[] {
  let text: string;
  try {
    text = fs.readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (left === undefined || right === undefined) continue;
    const mp = left.split(" ")[4];
    const t = right.split(" ")[0];
    if (mp !== undefined && t !== undefined) {
      out.push({ mountPoint: mp.replace(/\\040/g, " "), fsType: t });
    }
  }
  return out;
}

/** Controllers the cgroup2 hierarchy holds on a hybrid host (empty when none or not hybrid). */
export function hybridCgroup2Controllers(): { unified: string; controllers: string[] } {
  const mounts = readMountInfo();
  const fsOf = (mp: string) => mounts.filter((m) => m.mountPoint === mp).at(-1)?.fsType;
  if (fsOf("/sys/fs/cgroup") === "cgroup2") return { unified: "", controllers: [] };
  const unified = mounts.filter((m) => m.fsType === "cgroup2").at(-1)?.mountPoint;
  if (unified === undefined) return { unified: "", controllers: [] };
  let text = "";
  try {
    text = fs.readFileSync(path.join(unified, "cgroup.controllers"), "utf8");
  } catch {
    return { unified, controllers: [] };
  }
  return { unified, controllers: text.split(/\s+/).filter((c) => c !== "") };
}

/**
 * Why crun cannot start containers on this host, with what to do, or
 * undefined when it can. On a cgroup v1 host in hybrid mode crun refuses to
 * run while the cgroup2 hierarchy holds controllers (here: hugetlb).
 *
 * @example
 * ```ts ignore
 * import { crunCgroupProblem } from "./exec_runtime.ts";
 * const why = crunCgroupProblem();
 * if (why) console.error(why);
 * ```
 */
export function crunCgroupProblem(): string | undefined {
  const { unified, controllers } = hybridCgroup2Controllers();
  if (controllers.length === 0) return undefined;
  const cmds = controllers.map((c) =>
    `mkdir -p /sys/fs/cgroup/${c} && mount -t cgroup -o ${c} cgroup /sys/fs/cgroup/${c}`
  ).join("; ");
  return `crun cannot start containers here: cgroups are v1 in hybrid mode and the cgroup2 ` +
    `hierarchy at ${unified} holds the controller(s) ${controllers.join(", ")}, which crun ` +
    `refuses ("cgroups in hybrid mode not supported"). Mount them as v1 once, as root: ` +
    `${cmds} (prepareCgroupsForCrun() does it), or use runc.`;
}

/**
 * Mounts every controller the cgroup2 hierarchy holds as a v1 hierarchy under
 * `/sys/fs/cgroup/<name>`, so that crun starts (see
 * {@linkcode crunCgroupProblem}). Needs root; a host-wide change, meant for the
 * test bootstrap. Returns the controllers it moved.
 */
export function prepareCgroupsForCrun(): string[] {
  const { controllers } = hybridCgroup2Controllers();
  if (controllers.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new RuntimeUnavailableError(`prepareCgroupsForCrun needs root: ${crunCgroupProblem()}`);
  }
  for (const c of controllers) {
    const dir = `/sys/fs/cgroup/${c}`;
    fs.mkdirSync(dir, { recursive: true });
    const r = spawnSync("mount", ["-t", "cgroup", "-o", c, "cgroup", dir], { encoding: "utf8" });
    if (r.status !== 0) {
      throw new RuntimeUnavailableError(
        `mounting the ${c} cgroup v1 hierarchy failed: ${r.stderr}`,
      );
    }
  }
  runtimeCache = undefined;
  return controllers;
}

/** A found runtime. */
export interface RuntimeInfo {
  /** Path of the binary. */
  path: string;
  /** `crun` or `runc` (from the file name). */
  name: "crun" | "runc";
}

/** Where crun and runc are installed (undefined when not). */
export function installedRuntimes(): { crun?: string; runc?: string } {
  const out: { crun?: string; runc?: string } = {};
  const c = which("crun");
  const r = which("runc");
  if (c !== undefined) out.crun = c;
  if (r !== undefined) out.runc = r;
  return out;
}

let runtimeCache: RuntimeInfo | undefined;

function nameOf(p: string): "crun" | "runc" {
  return path.basename(p).includes("crun") ? "crun" : "runc";
}

/**
 * The runtime to use: `explicit` when given (checked), else crun when it is
 * installed and can start containers here, else runc.
 *
 * @throws {RuntimeUnavailableError} with what to install or do.
 */
export function findRuntime(explicit?: string): RuntimeInfo {
  if (explicit !== undefined) {
    const p = explicit.includes("/") ? explicit : which(explicit);
    if (p === undefined || !fs.existsSync(p)) {
      throw new RuntimeUnavailableError(`OCI runtime ${explicit} not found`);
    }
    const info: RuntimeInfo = { path: p, name: nameOf(p) };
    if (info.name === "crun") {
      const why = crunCgroupProblem();
      if (why !== undefined) throw new RuntimeUnavailableError(why);
    }
    return info;
  }
  if (runtimeCache !== undefined) return runtimeCache;
  const { crun, runc } = installedRuntimes();
  const crunProblem = crun !== undefined ? crunCgroupProblem() : undefined;
  if (crun !== undefined && crunProblem === undefined) {
    runtimeCache = { path: crun, name: "crun" };
  } else if (runc !== undefined) {
    runtimeCache = { path: runc, name: "runc" };
  } else if (crunProblem !== undefined) {
    throw new RuntimeUnavailableError(crunProblem);
  } else {
    throw new RuntimeUnavailableError(
      "no OCI runtime found: install crun or runc (apt-get install -y crun runc)",
    );
  }
  return runtimeCache;
}

/** The id maps of this process when it runs in a user namespace (read once). */
let usernsCache: { uid: IdMapEntry[]; gid: IdMapEntry[] } | null | undefined;

function userNamespaceMaps(): { uid: IdMapEntry[]; gid: IdMapEntry[] } | null {
  if (usernsCache === undefined) usernsCache = inUserNamespace() ? currentIdMaps() : null;
  return usernsCache;
}

function describeMap(map: readonly IdMapEntry[]): string {
  return map.map((e) => e.count === 1 ? `${e.inner}` : `${e.inner}-${e.inner + e.count - 1}`)
    .join(", ");
}

/** The login name, outside the namespace, of the user this namespace's uid 0 is. */
function hostUser(map: readonly IdMapEntry[]): string {
  const outer = map.find((e) => e.inner === 0)?.outer;
  return (outer !== undefined ? userName(outer) : undefined) ?? "USER";
}

/**
 * The user of a step in a user namespace: its uid and gid must be mapped
 * (with only uid 0 mapped, `USER app` cannot run: the runtime's setuid would
 * fail); supplementary groups that do not exist are left out.
 */
function checkIdsMapped(
  user: { uid: number; gid: number; additionalGids: number[] },
  maps: { uid: IdMapEntry[]; gid: IdMapEntry[] },
  text: string | undefined,
): { uid: number; gid: number; additionalGids: number[] } {
  const bad: string[] = [];
  if (!isIdMapped(user.uid, maps.uid)) bad.push(`uid ${user.uid}`);
  if (!isIdMapped(user.gid, maps.gid)) bad.push(`gid ${user.gid}`);
  if (bad.length > 0) {
    throw new UnmappedIdError(
      `cannot run as ${text ?? "root"} (${bad.join(", ")}) in the rootless build's user ` +
        `namespace, which maps only uids ${describeMap(maps.uid)} and gids ` +
        `${describeMap(maps.gid)}: give the user a range in /etc/subuid and /etc/subgid ` +
        `(e.g. "${hostUser(maps.uid)}:100000:65536") and install uidmap (newuidmap)`,
    );
  }
  return { ...user, additionalGids: user.additionalGids.filter((g) => isIdMapped(g, maps.gid)) };
}

/**
 * Mounts the overlay root filesystem in a user namespace: the same mount as
 * {@linkcode mountRootfs} plus `userxattr`, without which overlayfs cannot
 * write its `trusted.*` markers there (removing a lower directory then fails
 * with EIO); with it the markers are `user.overlay.*`. Falls back to
 * `mountRootfs` (a copy) when the mount fails and one lower dir is given.
 */
async function mountRootfsInUserns(
  rootfs: string,
  options: { lowerDirs: string[]; upperDir: string; workDir: string; mode: RootfsMode | "auto" },
): Promise<RootfsMode> {
  const all = [...options.lowerDirs, options.upperDir, options.workDir];
  if (options.mode === "copy" || all.some((p) => /[,:\\\n]/.test(p))) {
    return await mountRootfs(rootfs, options);
  }
  await fsp.mkdir(options.workDir, { recursive: true });
  const lower = [...options.lowerDirs].reverse().join(":");
  const opts =
    `lowerdir=${lower},upperdir=${options.upperDir},workdir=${options.workDir},userxattr`;
  const r = await runCommand("mount", ["-t", "overlay", "overlay", "-o", opts, rootfs]);
  if (r.code === 0) return "overlay";
  if (options.mode === "overlay" || options.lowerDirs.length !== 1) {
    throw new RootfsMountError(
      `mounting the overlay root filesystem in the user namespace failed: ${r.stderr}`,
    );
  }
  return await mountRootfs(rootfs, { ...options, mode: "copy" });
}

function capLastCap(): number {
  try {
    const n = Number(fs.readFileSync("/proc/sys/kernel/cap_last_cap", "utf8").trim());
    return Number.isInteger(n) && n > 0 ? Math.min(n, 40) : 40;
  } catch {
    return 40;
  }
}

function boundingSet(): bigint | undefined {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch {
    return undefined;
  }
}

function readHostResolvConf(): string | undefined {
  try {
    return fs.readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    return undefined;
  }
}

/** Runs the runtime's `kill` then `delete -f` for `id`, ignoring failures. */
async function killAndDelete(rt: string, stateDir: string, id: string, kill: boolean) {
  const run = (args: string[]) =>
    new Promise<void>((resolve) => {
      const c = spawn(rt, ["--root", stateDir, ...args], { stdio: "ignore" });
      c.on("error", () => resolve());
      c.on("close", () => resolve());
    });
  if (kill) await run(["kill", id, "KILL"]);
  await run(["delete", "-f", id]);
}

function logErrors(logFile: string): string[] {
  let text = "";
  try {
    text = fs.readFileSync(logFile, "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const e = JSON.parse(line) as { level?: string; msg?: string };
      if ((e.level === "error" || e.level === "fatal") && e.msg) out.push(e.msg);
    } catch {
      out.push(line);
    }
  }
  return out;
}

/**
 * Runs one RUN step in a container and returns its exit status.
 *
 * Steps: mount the root filesystem (overlay of `rootLowerDirs` + `upperDir`)
 * at `<bundle>/rootfs`; resolve the user from its `/etc/passwd` and
 * `/etc/group`; create the working directory if missing; write `/etc/hosts`,
 * `/etc/resolv.conf` and secrets into the bundle; create missing mount
 * targets as stubs; write `config.json`; run the runtime with a private state
 * directory; then find opaque directories, unmount, remove the stubs and the
 * bundle. On abort the container is killed (`kill <id> KILL`, `delete -f`)
 * and the promise rejects with the signal's reason.
 *
 * @throws {RootlessUnavailableError} when neither root nor in a user namespace.
 * @throws {UnmappedIdError} when the step's user does not exist in the user namespace.
 * @throws {RuntimeUnavailableError} when no runtime can run here.
 * @throws {ExecRuntimeError} when the runtime fails to start the process.
 *
 * @example
 * ```ts ignore
 * import { runContainer } from "./exec_runtime.ts";
 * const res = await runContainer({
 *   rootLowerDirs: ["/snapshots/1/fs"], upperDir: "/tmp/up", args: ["echo", "hi"],
 *   env: ["PATH=/bin"], cwd: "/", mounts: [], network: "none", security: "sandbox",
 *   stdout: (c) => console.log(new TextDecoder().decode(c)), stderr: () => {},
 * });
 * console.log(res.exitCode);
 * ```
 */
export async function runContainer(req: ExecRequest): Promise<ExecResult> {
  req.signal?.throwIfAborted();
  if (process.getuid?.() !== 0) throw new RootlessUnavailableError(rootlessUnavailableReason());
  const userns = userNamespaceMaps();
  const rt = findRuntime(req.runtime);
  const upperDir = path.resolve(req.upperDir);
  const lowerDirs = req.rootLowerDirs.map((d) => path.resolve(d));
  if (!fs.statSync(upperDir).isDirectory()) throw new Error(`${upperDir} is not a directory`);

  const bundle = await fsp.mkdtemp(path.join(os.tmpdir(), "buildkit-exec-"));
  const rootfs = path.join(bundle, "rootfs");
  const stateDir = path.join(bundle, "state");
  const workDir = `${upperDir}.work-${randomBytes(6).toString("hex")}`;
  const id = `buildkit-${randomBytes(12).toString("hex")}`;
  const cleanups: Array<() => Promise<void> | void> = [];
  let mode: RootfsMode = "overlay";
  let mounted = false;
  let opaqueDirs: string[] = [];
  let ran = false;
  let succeeded = false;
  try {
    await fsp.mkdir(rootfs);
    await fsp.mkdir(stateDir, { mode: 0o700 });
    const mountOptions = { lowerDirs, upperDir, workDir, mode: req.rootfsMode ?? "auto" };
    mode = userns !== null
      ? await mountRootfsInUserns(rootfs, mountOptions)
      : await mountRootfs(rootfs, mountOptions);
    mounted = mode === "overlay";

    const resolved = await resolveExecUser(rootfs, req.user);
    const user = userns !== null ? checkIdsMapped(resolved, userns, req.user) : resolved;
    const cwdAbs = await resolveInRoot(rootfs, req.cwd);
    if (!fs.existsSync(cwdAbs)) await fsp.mkdir(cwdAbs, { recursive: true, mode: 0o755 });

    const hostname = req.hostname ?? DEFAULT_HOSTNAME;
    const hostsFile = path.join(bundle, "hosts");
    const resolvFile = path.join(bundle, "resolv.conf");
    await fsp.writeFile(hostsFile, hostsFileContent(hostname, req.extraHosts ?? []), {
      mode: 0o644,
    });
    await fsp.writeFile(
      resolvFile,
      resolvConfContent(readHostResolvConf(), { hostNetwork: req.network !== "none" }),
      { mode: 0o644 },
    );

    const prepared = await prepareMounts(req.mounts, path.join(bundle, "secrets"));
    cleanups.push(() => prepared.cleanup());

    const limitsText = fs.readFileSync("/proc/self/limits", "utf8");
    const bnd = boundingSet();
    const usernsSpec = userns !== null
      ? { ownNetwork: req.network === "none", ttyGroup: isIdMapped(5, userns.gid) }
      : undefined;
    const spec = generateSpec(
      {
        args: req.args,
        env: req.env,
        cwd: req.cwd,
        uid: user.uid,
        gid: user.gid,
        additionalGids: user.additionalGids,
      },
      {
        network: req.network,
        security: req.security,
        hostname,
        rlimits: inheritRlimits(parseProcLimits(limitsText)),
        hostsFile,
        resolvConfFile: resolvFile,
        mounts: prepared.mounts,
        capLastCap: capLastCap(),
        ...(bnd !== undefined ? { boundingSet: bnd } : {}),
        ...(usernsSpec !== undefined ? { userNamespace: usernsSpec } : {}),
        seccompArch: ({ x64: "amd64", ia32: "386" } as Record<string, string>)[process.arch] ??
          process.arch,
      },
    );
    const defaults = defaultMounts({
      insecure: req.security === "insecure",
      ...(usernsSpec !== undefined ? { userNamespace: usernsSpec } : {}),
    });
    const targets = topLevelTargets([
      ...defaults.map((m) => ({ destination: m.destination, kind: "dir" as const })),
      { destination: "/etc/hosts", kind: "file" },
      { destination: "/etc/resolv.conf", kind: "file" },
      ...prepared.targets.map((t) => ({ destination: t.dest, kind: t.kind })),
    ]);
    const stubs = await createMountStubs(
      rootfs,
      targets,
      mode === "overlay" ? { upperDir } : {},
    );
    // Registered before the mount clean-up below runs (clean-ups run last first).
    cleanups.push(() => removeMountStubs(mode === "overlay" ? upperDir : rootfs, stubs));
    await fsp.writeFile(path.join(bundle, "config.json"), serializeSpec(spec));

    req.signal?.throwIfAborted();
    ran = true;
    const result = await runRuntime(rt.path, { bundle, stateDir, id, req });

    if (mode === "overlay") {
      opaqueDirs = findOpaqueDirs(rootfs, {
        upperDir,
        lowerDirs,
        ...(req.rootLowerOpaque ? { lowerOpaque: req.rootLowerOpaque } : {}),
      });
    }
    succeeded = true;
    return { ...result, rootfsMode: mode, opaqueDirs, runtime: rt.path };
  } finally {
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<void> | void) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    await attempt(() => killAndDelete(rt.path, stateDir, id, false));
    if (mounted) await attempt(() => unmount(rootfs));
    for (const c of cleanups.reverse()) await attempt(c);
    if (mode === "copy" && ran) {
      await attempt(() =>
        copyChangesToUpper(rootfs, upperDir, { lowerDir: lowerDirs[0]!, scratchDir: bundle })
      );
    }
    await attempt(() => fsp.rm(workDir, { recursive: true, force: true }));
    await attempt(() => fsp.rm(bundle, { recursive: true, force: true }));
    if (errors.length > 0 && succeeded) {
      // Surface clean-up failures only when nothing else is being thrown.
      // deno-lint-ignore no-unsafe-finally
      throw new AggregateError(
        errors,
        `cleaning up after the container failed: ${
          errors.map((e) => e instanceof Error ? e.message : String(e)).join("; ")
        }`,
      );
    }
  }
}

interface RunOptions {
  bundle: string;
  stateDir: string;
  id: string;
  req: ExecRequest;
}

function runRuntime(
  rt: string,
  opts: RunOptions,
): Promise<{ exitCode: number; durationMs: number }> {
  const { bundle, stateDir, id, req } = opts;
  const logFile = path.join(bundle, "runtime.log");
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(
      rt,
      [
        "--root",
        stateDir,
        "--log",
        logFile,
        "--log-format",
        "json",
        "run",
        "--bundle",
        bundle,
        id,
      ],
      { stdio: ["ignore", "pipe", "pipe"], cwd: bundle },
    );
    let killing: Promise<void> | undefined;
    const onAbort = () => {
      if (killing) return;
      killing = (async () => {
        // The container may not exist yet: retry until the runtime exits.
        for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) {
          await killAndDelete(rt, stateDir, id, true);
          await new Promise((r) => setTimeout(r, 20));
        }
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      })();
    };
    req.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout!.on("data", (c: Uint8Array) => req.stdout(new Uint8Array(c)));
    child.stderr!.on("data", (c: Uint8Array) => req.stderr(new Uint8Array(c)));
    child.on("error", (e: Error) => {
      req.signal?.removeEventListener("abort", onAbort);
      reject(new ExecRuntimeError(`starting ${rt} failed: ${e.message}`, -1));
    });
    child.on("close", (code: number | null, sig: string | null) => {
      req.signal?.removeEventListener("abort", onAbort);
      const durationMs = performance.now() - start;
      if (req.signal?.aborted) {
        reject(req.signal.reason);
        return;
      }
      const exitCode = code ??
        128 + (sig ? (os.constants.signals as Record<string, number>)[sig] ?? 0 : 0);
      if (exitCode !== 0) {
        const errors = logErrors(logFile);
        if (errors.length > 0) {
          reject(
            new ExecRuntimeError(
              `${path.basename(rt)} failed to run the container: ${errors.join("; ")}`,
              exitCode,
            ),
          );
          return;
        }
      }
      resolve({ exitCode, durationMs });
    });
  });
}
