// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The user a RUN step runs as: `USER` text (`name`, `uid`, `uid:gid`,
 * `name:group`, `uid:group`, `name:gid`) → numeric uid, gid and supplementary
 * gids, looked up in the root filesystem's `/etc/passwd` and `/etc/group`.
 *
 * The rules are those of BuildKit's executor (`executor/oci/user.go`
 * `GetUser`, which defers to runc's `user.GetExecUser`):
 * - empty text is root (0:0);
 * - `uid:gid` with both numeric is taken as is, without reading any file and
 *   without supplementary groups;
 * - otherwise the user part is looked up by name, then by number, in
 *   `/etc/passwd`: a match gives its uid and primary gid; a number that
 *   matches nothing gives that uid with gid 0; a name that matches nothing is
 *   an error `unable to find user NAME: no matching entries in passwd file`;
 * - an explicit group (name or number) replaces the gid; a name that matches
 *   nothing in `/etc/group` is an error `unable to find group NAME: …`;
 * - without an explicit group, a user matched by name gets as supplementary
 *   gids every group of `/etc/group` that lists the name as a member.
 *
 * @module
 */

import { fsp } from "../runtime/mod.ts";
import { resolveInRoot } from "./path_safe.ts";

/** A resolved process user. */
export interface ExecUser {
  /** User id. */
  uid: number;
  /** Primary group id. */
  gid: number;
  /** Supplementary group ids (may be empty). */
  additionalGids: number[];
}

/** A `/etc/passwd` entry. */
export interface PasswdEntry {
  /** Login name. */
  name: string;
  /** User id. */
  uid: number;
  /** Primary group id. */
  gid: number;
  /** Home directory. */
  home: string;
}

/** A `/etc/group` entry. */
export interface GroupEntry {
  /** Group name. */
  name: string;
  /** Group id. */
  gid: number;
  /** Member login names. */
  members: string[];
}

/** Thrown when a user or group name cannot be resolved. */
export class UserLookupError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "UserLookupError";
  }
}

/** Largest passwd/group file read (BuildKit's limit). */
const MAX_USER_FILE = 10 << 20;

function toId(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) && n <= 0xffffffff ? n : undefined;
}

/**
 * Parses `/etc/passwd` text (`name:pw:uid:gid:gecos:home:shell`). Comments and
 * malformed lines are skipped.
 *
 * @example
 * ```ts
 * import { parsePasswd } from "./exec_user.ts";
 * const [e] = parsePasswd("app:x:1000:1000:app:/home/app:/bin/sh\n");
 * console.assert(e?.uid === 1000 && e.home === "/home/app");
 * ```
 */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    const uid = toId(f[2]);
    const gid = toId(f[3]);
    if (!f[0] || uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? "" });
  }
  return out;
}

/**
 * Parses `/etc/group` text (`name:pw:gid:member,member`). Comments and
 * malformed lines are skipped.
 *
 * @example
 * ```ts
 * import { parseGroup } from "./exec_user.ts";
 * const [g] = parseGroup("wheel:x:10:app,root\n");
 * console.assert(g?.gid === 10 && g.members.length === 2);
 * ```
 */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    const gid = toId(f[2]);
    if (!f[0] || gid === undefined) continue;
    const members = (f[3] ?? "").split(",").map((m) => m.trim()).filter((m) => m !== "");
    out.push({ name: f[0], gid, members });
  }
  return out;
}

/** The two files a lookup may read, as text, or undefined when absent. */
export interface UserFiles {
  /** Text of `/etc/passwd`, or undefined when the file does not exist. */
  passwd?: string | undefined;
  /** Text of `/etc/group`, or undefined when the file does not exist. */
  group?: string | undefined;
}

/**
 * Resolves `user` against the given file texts (pure; see the module
 * documentation for the rules).
 *
 * @example
 * ```ts
 * import { resolveExecUserFrom } from "./exec_user.ts";
 * const u = resolveExecUserFrom("app", {
 *   passwd: "app:x:1000:1000::/home/app:/bin/sh\n",
 *   group: "app:x:1000:\nwheel:x:10:app\n",
 * });
 * console.assert(u.uid === 1000 && u.gid === 1000 && u.additionalGids[0] === 10);
 * ```
 */
export function resolveExecUserFrom(user: string | undefined, files: UserFiles): ExecUser {
  const text = user ?? "";
  if (text === "") return { uid: 0, gid: 0, additionalGids: [] };
  const colon = text.indexOf(":");
  const userArg = colon < 0 ? text : text.slice(0, colon);
  const groupArg = colon < 0 ? "" : text.slice(colon + 1);
  // Fast path: both numeric, no file is read (BuildKit's ParseUIDGID).
  if (colon >= 0) {
    const u = toId(userArg);
    const g = toId(groupArg);
    if (u !== undefined && g !== undefined) return { uid: u, gid: g, additionalGids: [] };
  }

  let uid = 0;
  let gid = 0;
  let matchedName: string | undefined;
  const users = files.passwd === undefined ? [] : parsePasswd(files.passwd);
  const numericUser = toId(userArg);
  const byName = users.find((e) => e.name === userArg);
  const found = byName ??
    (numericUser !== undefined ? users.find((e) => e.uid === numericUser) : undefined);
  if (found !== undefined) {
    uid = found.uid;
    gid = found.gid;
    matchedName = found.name;
  } else if (numericUser !== undefined) {
    uid = numericUser;
  } else {
    throw new UserLookupError(
      `unable to find user ${userArg}: no matching entries in passwd file`,
    );
  }

  const additionalGids: number[] = [];
  if (groupArg !== "" || matchedName !== undefined) {
    const groups = files.group === undefined ? [] : parseGroup(files.group);
    if (groupArg !== "") {
      const numericGroup = toId(groupArg);
      const g = groups.find((e) => e.name === groupArg) ??
        (numericGroup !== undefined ? groups.find((e) => e.gid === numericGroup) : undefined);
      if (g !== undefined) gid = g.gid;
      else if (numericGroup !== undefined) gid = numericGroup;
      else {
        throw new UserLookupError(
          `unable to find group ${groupArg}: no matching entries in group file`,
        );
      }
    } else {
      for (const g of groups) {
        if (g.members.includes(matchedName!)) additionalGids.push(g.gid);
      }
    }
  }
  return { uid, gid, additionalGids };
}

async function readUserFile(root: string, file: string): Promise<string | undefined> {
  const p = await resolveInRoot(root, file);
  let st;
  try {
    st = await fsp.stat(p);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw e;
  }
  if (!st.isFile()) return undefined;
  if (st.size > MAX_USER_FILE) throw new Error(`"${file}" exceeds ${MAX_USER_FILE} bytes`);
  return await fsp.readFile(p, "utf8");
}

/**
 * Resolves `user` against the `/etc/passwd` and `/etc/group` of the root
 * filesystem at `rootfs` (symbolic links resolved inside the root).
 *
 * @example
 * ```ts ignore
 * import { resolveExecUser } from "./exec_user.ts";
 * const u = await resolveExecUser("/tmp/rootfs", "app");
 * console.log(u.uid, u.gid, u.additionalGids);
 * ```
 */
export async function resolveExecUser(
  rootfs: string,
  user: string | undefined,
): Promise<ExecUser> {
  const text = user ?? "";
  if (text === "" || /^\d+:\d+$/.test(text)) return resolveExecUserFrom(text, {});
  const passwd = await readUserFile(rootfs, "/etc/passwd");
  const group = await readUserFile(rootfs, "/etc/group");
  return resolveExecUserFrom(text, { passwd, group });
}
