// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Rootless mode: an unprivileged user builds by re-executing the builder in a
 * new user + mount namespace where it is uid 0, the way BuildKit's rootless
 * daemon runs inside the namespace rootlesskit makes. Inside, every step runs
 * the same code as a root build (overlay mounts, crun or runc, chown).
 *
 * Two id maps:
 *
 * - `subid`: the user's ranges in `/etc/subuid` and `/etc/subgid`, written
 *   with the setuid helpers `newuidmap`/`newgidmap` (Debian package
 *   `uidmap`): inside, 0 is the user and 1…N are the subordinate ids, so
 *   `COPY --chown=1000` and base-image files owned by 1000 keep their owners.
 * - `single`: no range (or no `newuidmap`): only uid and gid 0 exist inside
 *   (the user's own ids, mapped like `unshare --map-root-user`). Files whose
 *   owner is another id cannot be represented on disk, and RUN as a non-root
 *   user cannot start; see {@linkcode isIdMapped} and the runtime's errors.
 *
 * The re-exec: `unshare --user --mount` (util-linux) starts a small shell
 * that tells the parent it is in the new namespace, waits while the parent
 * writes the id maps, then `exec`s the builder with the same arguments,
 * environment, working directory and standard streams. The parent forwards
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT and exits with the child's status.
 *
 * `BUILDKIT_USERNS` chooses: `auto` (default: subid when possible, else
 * single), `subid` (fail without a range), `single`, or `off` (do not
 * re-execute; RUN steps then fail saying why).
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

/** One line of `/proc/<pid>/uid_map` or `gid_map`: `count` ids from `inner` map to `outer`. */
export interface IdMapEntry {
  /** First id inside the namespace. */
  inner: number;
  /** First id in the parent namespace. */
  outer: number;
  /** Number of ids. */
  count: number;
}

/** One range of `/etc/subuid` or `/etc/subgid`. */
export interface SubIdRange {
  /** First subordinate id. */
  start: number;
  /** Number of ids. */
  count: number;
}

/** The id maps a rootless build uses. */
export interface RootlessIdMaps {
  /** `subid`: the user plus a subordinate range; `single`: the user as 0 only. */
  mode: "subid" | "single";
  /** uid map (inner 0 = the user). */
  uidMap: IdMapEntry[];
  /** gid map (inner 0 = the user's primary group). */
  gidMap: IdMapEntry[];
  /** Why a `single` map was chosen (a note for the user), when it was. */
  note?: string;
}

/** Thrown when a rootless build cannot enter a user namespace. */
export class UserNamespaceError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "UserNamespaceError";
  }
}

/** Environment variable set in the re-executed builder: `subid` or `single`. */
export const USERNS_CHILD_ENV = "BUILDKIT_USERNS_CHILD";

/** Commands that re-execute in a user namespace when not run by root. */
export const USERNS_COMMANDS: readonly string[] = ["build", "prune"];

/**
 * Parses `/proc/<pid>/uid_map` (or `gid_map`) text.
 *
 * @example
 * ```ts
 * import { parseIdMap } from "./userns.ts";
 * const m = parseIdMap("         0       1000          1\n         1     100000      65536\n");
 * console.assert(m.length === 2 && m[1]?.outer === 100000 && m[1]?.count === 65536);
 * ```
 */
export function parseIdMap(text: string): IdMapEntry[] {
  const out: IdMapEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const [inner, outer, count] = f.map(Number) as [number, number, number];
    if ([inner, outer, count].every((n) => Number.isSafeInteger(n) && n >= 0)) {
      out.push({ inner, outer, count });
    }
  }
  return out;
}

/**
 * The ranges of `/etc/subuid` or `/etc/subgid` text that belong to a user,
 * named by login name or by numeric id (both spellings are valid there).
 *
 * @example
 * ```ts
 * import { parseSubIds } from "./userns.ts";
 * const r = parseSubIds("alice:100000:65536\nbob:165536:65536\n1001:300000:10\n", {
 *   name: "bob", id: 1001,
 * });
 * console.assert(r.length === 2 && r[0]?.start === 165536 && r[1]?.count === 10);
 * ```
 */
export function parseSubIds(text: string, user: { name?: string; id: number }): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [who, start, count] = line.split(":");
    if (who === undefined || start === undefined || count === undefined) continue;
    if (who !== user.name && who !== String(user.id)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && s >= 0 && c > 0) {
      out.push({ start: s, count: c });
    }
  }
  return out;
}

/**
 * The id maps for a user: 0 → the user's id, then 1… → its subordinate
 * ranges in order (`subid`); without ranges, 0 → the user's id only
 * (`single`).
 *
 * @example
 * ```ts
 * import { buildIdMap } from "./userns.ts";
 * const m = buildIdMap(1000, [{ start: 100000, count: 65536 }]);
 * console.assert(m[0]?.outer === 1000 && m[1]?.inner === 1 && m[1]?.outer === 100000);
 * ```
 */
export function buildIdMap(id: number, ranges: readonly SubIdRange[]): IdMapEntry[] {
  const out: IdMapEntry[] = [{ inner: 0, outer: id, count: 1 }];
  let next = 1;
  for (const r of ranges) {
    // The user's own id cannot be mapped twice.
    if (id >= r.start && id < r.start + r.count) continue;
    out.push({ inner: next, outer: r.start, count: r.count });
    next += r.count;
  }
  return out;
}

/** Whether `id` exists in a namespace with this map. */
export function isIdMapped(id: number, map: readonly IdMapEntry[]): boolean {
  return map.some((e) => id >= e.inner && id < e.inner + e.count);
}

/**
 * The owner to give a file in this process's user namespace: `uid` and
 * `gid` when they exist there, else 0 (the namespace's root, i.e. the user
 * who started the build). With a `single` map every other id becomes 0;
 * `squashed` collects the ids that did, so the caller can warn once.
 * Outside a user namespace the ids are returned as they are.
 *
 * @example
 * ```ts
 * import { ownerInNamespace } from "./userns.ts";
 * const single = { uid: [{ inner: 0, outer: 1000, count: 1 }], gid: [{ inner: 0, outer: 1000, count: 1 }] };
 * const o = ownerInNamespace(1000, 1000, { maps: single });
 * console.assert(o.uid === 0 && o.gid === 0);
 * ```
 */
export function ownerInNamespace(
  uid: number,
  gid: number,
  options: { maps?: { uid: IdMapEntry[]; gid: IdMapEntry[] }; squashed?: Set<string> } = {},
): { uid: number; gid: number } {
  const maps = options.maps ?? currentIdMaps();
  const u = isIdMapped(uid, maps.uid) ? uid : 0;
  const g = isIdMapped(gid, maps.gid) ? gid : 0;
  if (u !== uid) options.squashed?.add(`uid ${uid}`);
  if (g !== gid) options.squashed?.add(`gid ${gid}`);
  return { uid: u, gid: g };
}

function readText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
}

/** The uid and gid maps of this process (`/proc/self/{uid,gid}_map`). */
export function currentIdMaps(): { uid: IdMapEntry[]; gid: IdMapEntry[] } {
  return {
    uid: parseIdMap(readText("/proc/self/uid_map") ?? "0 0 4294967295"),
    gid: parseIdMap(readText("/proc/self/gid_map") ?? "0 0 4294967295"),
  };
}

/**
 * Whether this process runs in a user namespace other than the initial one
 * (its uid map is not the identity over all 2^32 - 1 ids).
 */
export function inUserNamespace(): boolean {
  const m = currentIdMaps().uid;
  return !(m.length === 1 && m[0]!.inner === 0 && m[0]!.outer === 0 && m[0]!.count === 4294967295);
}

/**
 * Why this host forbids unprivileged user namespaces, naming the setting to
 * change, or undefined when nothing in `/proc` forbids them (creating one
 * can still fail; the re-exec then reports the error).
 */
export function userNamespaceProblem(
  options: { readFile?: (path: string) => string | undefined } = {},
): string | undefined {
  const read = options.readFile ?? readText;
  const num = (p: string) => {
    const t = read(p);
    return t === undefined ? undefined : Number(t.trim());
  };
  if (num("/proc/sys/kernel/unprivileged_userns_clone") === 0) {
    return "unprivileged user namespaces are disabled (sysctl kernel.unprivileged_userns_clone=0; " +
      "enable them with: sysctl -w kernel.unprivileged_userns_clone=1)";
  }
  if (num("/proc/sys/user/max_user_namespaces") === 0) {
    return "user namespaces are disabled (sysctl user.max_user_namespaces=0; " +
      "enable them with: sysctl -w user.max_user_namespaces=15000)";
  }
  if (num("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") === 1) {
    return "AppArmor restricts unprivileged user namespaces " +
      "(sysctl kernel.apparmor_restrict_unprivileged_userns=1; allow them with: " +
      "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile " +
      "granting `userns` to the builder)";
  }
  if (options.readFile === undefined && !fs.existsSync("/proc/self/ns/user")) {
    return "this kernel has no user namespaces (CONFIG_USER_NS is off)";
  }
  return undefined;
}

const SEARCH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The path of a program on PATH (or the usual system dirs), or undefined. */
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

/**
 * The login name of a uid from `/etc/passwd` (then `os.userInfo()`), or
 * undefined. `/etc/passwd` first: Bun's `os.userInfo()` can answer `unknown`.
 */
export function userName(uid: number = process.getuid?.() ?? 0): string | undefined {
  for (const line of (readText("/etc/passwd") ?? "").split("\n")) {
    const f = line.split(":");
    if (f[2] === String(uid) && f[0]) return f[0];
  }
  try {
    const info = os.userInfo();
    if (info.uid === uid && info.username && info.username !== "unknown") return info.username;
  } catch {
    // none
  }
  return undefined;
}

/**
 * The id maps a rootless build of the current user gets: `subid` when the
 * user has ranges in `/etc/subuid` and `/etc/subgid` and `newuidmap`/
 * `newgidmap` are installed, else `single` (with a note saying why).
 *
 * @throws {UserNamespaceError} when `prefer` is `subid` and it is not possible.
 */
export function rootlessIdMaps(
  prefer: "auto" | "subid" | "single" = "auto",
  options: { subuidFile?: string; subgidFile?: string } = {},
): RootlessIdMaps {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const single = (note?: string): RootlessIdMaps => ({
    mode: "single",
    uidMap: buildIdMap(uid, []),
    gidMap: buildIdMap(gid, []),
    ...(note !== undefined ? { note } : {}),
  });
  if (prefer === "single") return single();
  const name = userName(uid);
  const groupName = name; // subgid entries are keyed by the user, like subuid.
  const subuid = parseSubIds(readText(options.subuidFile ?? "/etc/subuid") ?? "", {
    ...(name !== undefined ? { name } : {}),
    id: uid,
  });
  const subgid = parseSubIds(readText(options.subgidFile ?? "/etc/subgid") ?? "", {
    ...(groupName !== undefined ? { name: groupName } : {}),
    id: uid,
  });
  let why: string | undefined;
  if (subuid.length === 0 || subgid.length === 0) {
    why = `no range for ${name ?? uid} in /etc/subuid and /etc/subgid ` +
      `(add one, e.g. "${name ?? uid}:100000:65536" in both)`;
  } else if (which("newuidmap") === undefined || which("newgidmap") === undefined) {
    why = "newuidmap/newgidmap are not installed (apt-get install uidmap)";
  }
  if (why === undefined) {
    return { mode: "subid", uidMap: buildIdMap(uid, subuid), gidMap: buildIdMap(gid, subgid) };
  }
  if (prefer === "subid") throw new UserNamespaceError(`cannot map subordinate ids: ${why}`);
  return single(
    `rootless: only uid/gid 0 exist in the build's user namespace: ${why}; ` +
      `files owned by other ids become root's and RUN as another user fails`,
  );
}

/**
 * The command that starts this same program again with `args`: the Deno or
 * Bun executable with the script for `deno run -A cli.ts` and `bun cli.ts`,
 * the executable alone for a compiled binary (Bun's has a `/$bunfs/…`
 * script path that only exists inside itself).
 */
export function selfCommand(args: readonly string[]): { cmd: string; args: string[] } {
  const exe = process.execPath;
  const script = process.argv[1];
  const g = globalThis as { Deno?: { mainModule?: string }; Bun?: { main?: string } };
  const base = path.basename(exe).replace(/\.exe$/, "");
  if (script === undefined || script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN")) {
    return { cmd: exe, args: [...args] };
  }
  if (g.Deno !== undefined) {
    // `deno compile` binaries are not named deno; they take the arguments directly.
    if (base !== "deno") return { cmd: exe, args: [...args] };
    const main = g.Deno.mainModule ?? script;
    return { cmd: exe, args: ["run", "-A", main, ...args] };
  }
  if (g.Bun !== undefined) return { cmd: exe, args: [script, ...args] };
  return { cmd: exe, args: [...process.execArgv, script, ...args] };
}

function mapArgs(map: readonly IdMapEntry[]): string[] {
  return map.flatMap((e) => [String(e.inner), String(e.outer), String(e.count)]);
}

function mapText(map: readonly IdMapEntry[]): string {
  return map.map((e) => `${e.inner} ${e.outer} ${e.count}\n`).join("");
}

/** Writes the id maps of process `pid` (which has just made its user namespace). */
function writeIdMaps(pid: number, maps: RootlessIdMaps): void {
  if (maps.mode === "subid") {
    for (const [tool, map] of [["newuidmap", maps.uidMap], ["newgidmap", maps.gidMap]] as const) {
      const r = spawnSync(tool, [String(pid), ...mapArgs(map)], { encoding: "utf8" });
      if (r.error !== undefined || r.status !== 0) {
        throw new UserNamespaceError(
          `${tool} ${pid} ${mapArgs(map).join(" ")} failed: ` +
            `${r.error?.message ?? String(r.stderr).trim()}`,
        );
      }
    }
    return;
  }
  // An unprivileged process may map its own ids, gid only after denying setgroups.
  try {
    fs.writeFileSync(`/proc/${pid}/uid_map`, mapText(maps.uidMap));
    fs.writeFileSync(`/proc/${pid}/setgroups`, "deny");
    fs.writeFileSync(`/proc/${pid}/gid_map`, mapText(maps.gidMap));
  } catch (e) {
    throw new UserNamespaceError(`writing the id maps of process ${pid} failed: ${e}`);
  }
}

/** The shell run by `unshare`: signal readiness on fd 4, wait for `go` on fd 3, exec. */
const WAIT_SCRIPT = 'echo ready >&4 && read -r go <&3 && [ "$go" = go ] || exit 125\n' +
  'exec 3<&- 4>&-\nexec "$@"';

/** Options of {@linkcode runInUserNamespace}. */
export interface RunInUserNamespaceOptions {
  /** The id maps; default {@linkcode rootlessIdMaps}(). */
  maps?: RootlessIdMaps;
  /** Environment of the child; default this process's (plus {@linkcode USERNS_CHILD_ENV}). */
  env?: Record<string, string | undefined>;
  /** Working directory; default this process's. */
  cwd?: string;
}

/**
 * Runs `cmd args` in a new user + mount namespace where the current user is
 * uid 0, with this process's standard streams, and resolves with its exit
 * status (128 + n when killed by signal n). SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT sent to this process are passed on to the child.
 *
 * @throws {UserNamespaceError} when the namespace cannot be made or mapped.
 *
 * @example
 * ```ts ignore
 * import { runInUserNamespace } from "./userns.ts";
 * const code = await runInUserNamespace("id", ["-u"]); // prints 0
 * ```
 */
export function runInUserNamespace(
  cmd: string,
  args: readonly string[],
  options: RunInUserNamespaceOptions = {},
): Promise<number> {
  const problem = userNamespaceProblem();
  if (problem !== undefined) {
    return Promise.reject(new UserNamespaceError(`cannot build rootless: ${problem}`));
  }
  const unshare = which("unshare");
  if (unshare === undefined) {
    return Promise.reject(
      new UserNamespaceError("cannot build rootless: unshare (util-linux) is not installed"),
    );
  }
  let maps: RootlessIdMaps;
  try {
    maps = options.maps ?? rootlessIdMaps();
  } catch (e) {
    return Promise.reject(e);
  }
  const env = { ...(options.env ?? process.env), [USERNS_CHILD_ENV]: maps.mode };
  return new Promise((resolve, reject) => {
    const child = spawn(
      unshare,
      [
        "--user",
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        WAIT_SCRIPT,
        "sh",
        cmd,
        ...args,
      ],
      {
        stdio: ["inherit", "inherit", "inherit", "pipe", "pipe"],
        env,
        cwd: options.cwd ?? process.cwd(),
      },
    );
    const go = child.stdio[3] as unknown as { write(s: string): void; end(): void } | null;
    const ready = child.stdio[4] as unknown as
      | { on(ev: "data", fn: (c: Uint8Array) => void): void }
      | null;
    let failure: Error | undefined;
    let unshareOutput = "";
    let mapped = false;
    const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
    const forward = (sig: (typeof signals)[number]) => () => {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    };
    const handlers = signals.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const done = () => {
      for (const [s, h] of handlers) process.off(s, h);
    };
    ready?.on("data", (c: Uint8Array) => {
      unshareOutput += new TextDecoder().decode(c);
      if (mapped || !unshareOutput.includes("ready\n") || child.pid === undefined) return;
      mapped = true;
      try {
        writeIdMaps(child.pid, maps);
        go?.write("go\n");
      } catch (e) {
        failure = e as Error;
        go?.write("stop\n");
      }
      go?.end();
    });
    child.on("error", (e: Error) => {
      done();
      reject(new UserNamespaceError(`starting ${unshare} failed: ${e.message}`));
    });
    child.on("close", (code: number | null, sig: string | null) => {
      done();
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      if (!unshareOutput.includes("ready")) {
        reject(
          new UserNamespaceError(
            `cannot build rootless: ${unshare} --user --mount failed (exit ${code ?? sig}); ` +
              "user namespaces may be forbidden here (sysctl user.max_user_namespaces, " +
              "kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns, " +
              "or a seccomp profile)",
          ),
        );
        return;
      }
      const n = sig ? (os.constants.signals as Record<string, number>)[sig] ?? 0 : 0;
      resolve(code ?? 128 + n);
    });
  });
}

let unavailableReason: string | undefined;

/**
 * Why this process could not enter a user namespace when it tried (or why
 * the host forbids it), or undefined. Used by the RUN executor's error when
 * a build goes on unprivileged.
 */
export function rootlessUnavailableReason(): string | undefined {
  return unavailableReason ?? userNamespaceProblem();
}

/**
 * Called first by the CLI: when the process is not root, user namespaces
 * are allowed and the command needs privileges (`build`, `prune`), runs the
 * same command again inside a user namespace and resolves with its exit
 * status; otherwise resolves undefined and the caller goes on in-process.
 *
 * When the namespace cannot be made (forbidden by a sysctl, `unshare` or
 * `newuidmap` failing), it warns with the reason and resolves undefined:
 * the build goes on unprivileged, and a RUN step then fails naming the
 * reason. With `BUILDKIT_USERNS=subid` or `single` it throws instead. A
 * `single` map's note is written with `warn` too.
 *
 * @throws {UserNamespaceError} when a namespace was asked for explicitly and cannot be entered.
 */
export async function reexecInUserNamespace(
  args: readonly string[],
  options: { warn?: (text: string) => void } = {},
): Promise<number | undefined> {
  const cmd = args[0];
  if (cmd === undefined || !USERNS_COMMANDS.includes(cmd)) return undefined;
  if (args.includes("-h") || args.includes("--help")) return undefined;
  if (typeof process.getuid !== "function" || process.getuid() === 0) return undefined;
  if (process.platform !== "linux") return undefined;
  if (process.env[USERNS_CHILD_ENV] !== undefined) return undefined;
  const want = (process.env.BUILDKIT_USERNS ?? "auto").toLowerCase();
  if (want === "off" || want === "0" || want === "false") {
    unavailableReason = `BUILDKIT_USERNS=${want} turned the user namespace off`;
    return undefined;
  }
  if (want !== "auto" && want !== "subid" && want !== "single") {
    throw new UserNamespaceError(
      `invalid BUILDKIT_USERNS=${want} (expected auto, subid, single or off)`,
    );
  }
  try {
    const maps = rootlessIdMaps(want);
    if (maps.note !== undefined) options.warn?.(`warning: ${maps.note}\n`);
    const self = selfCommand(args);
    return await runInUserNamespace(self.cmd, self.args, { maps });
  } catch (e) {
    if (!(e instanceof UserNamespaceError) || want !== "auto") throw e;
    unavailableReason = e.message;
    options.warn?.(
      `warning: ${e.message}; building without a user namespace (RUN steps cannot run)\n`,
    );
    return undefined;
  }
}

const squashedIds = new Set<string>();

/**
 * lchown that, inside a user namespace where the id does not exist (a single-uid
 * map), gives the entry to root instead of failing with EINVAL, and remembers the ids
 * it squashed (see {@linkcode takeSquashedIds}). Outside such a namespace it is lchown.
 */
export function lchownSquashSync(path: string, uid: number, gid: number): void {
  try {
    fs.lchownSync(path, uid, gid);
  } catch (err) {
    if ((err as { code?: string }).code !== "EINVAL" || !inUserNamespace()) throw err;
    const o = ownerInNamespace(uid, gid, { squashed: squashedIds });
    fs.lchownSync(path, o.uid, o.gid);
  }
}

/** The async form of {@linkcode lchownSquashSync}. */
export async function lchownSquash(path: string, uid: number, gid: number): Promise<void> {
  try {
    await fs.promises.lchown(path, uid, gid);
  } catch (err) {
    if ((err as { code?: string }).code !== "EINVAL" || !inUserNamespace()) throw err;
    const o = ownerInNamespace(uid, gid, { squashed: squashedIds });
    await fs.promises.lchown(path, o.uid, o.gid);
  }
}

/** The ids given to root so far (e.g. `uid 1000`), emptied by the call. */
export function takeSquashedIds(): string[] {
  const out = [...squashedIds].sort();
  squashedIds.clear();
  return out;
}
