// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Ownership of the files a file op creates: `ChownOpt` → numeric uid/gid,
 * with names looked up in a tree's `/etc/passwd` and `/etc/group` (BuildKit's
 * `solver/llbsolver/ops/user_linux.go` `readUser`).
 *
 * BuildKit's rules, kept here:
 * - a user by id gives uid = gid = that id; a user by name gives the uid and
 *   the primary gid of its passwd entry;
 * - a group (by id or name) then replaces the gid;
 * - a name that is not found (or a tree without the file) leaves 0, silently.
 *   Set `strictNames` to get an error `unable to find user X` instead (`root`
 *   still falls back to 0).
 *
 * @module
 */

import type { ChownOpt, UserRef } from "../llb/mod.ts";
import { fsp } from "../runtime/mod.ts";
import { resolveInRoot } from "./path_safe.ts";

/** Numeric ownership. */
export interface Owner {
  uid: number;
  gid: number;
}

/** Options of {@linkcode resolveOwner}. */
export interface ResolveOwnerOptions {
  /**
   * The tree (directory) named by an action index, as in `UserRef.input`;
   * undefined for scratch or an index that names nothing.
   */
  treeOf(index: number): string | undefined;
  /** Error on names that are not found instead of BuildKit's silent 0. Default false. */
  strictNames?: boolean;
}

/** Largest passwd/group file read (as BuildKit). */
const MAX_USER_FILE = 10 << 20;

/** One parsed line of `/etc/passwd` or `/etc/group`: name and the two id fields. */
interface IdEntry {
  name: string;
  id: number;
  gid: number;
}

/**
 * Parses passwd (`name:pw:uid:gid:…`) or group (`name:pw:gid:members`) text
 * into entries, in file order. Comment and malformed lines are skipped.
 */
export function parseIdFile(text: string, kind: "passwd" | "group"): IdEntry[] {
  const out: IdEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    const name = f[0] ?? "";
    const id = parseId(f[2]);
    if (name === "" || id === undefined) continue;
    const gid = kind === "passwd" ? parseId(f[3]) ?? 0 : id;
    out.push({ name, id, gid });
  }
  return out;
}

function parseId(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+$/.test(s.trim())) return undefined;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

async function readIdFile(
  tree: string | undefined,
  file: string,
  kind: "passwd" | "group",
): Promise<IdEntry[]> {
  if (tree === undefined) {
    throw new Error(`invalid missing ${kind === "passwd" ? "user" : "group"} mount`);
  }
  const p = await resolveInRoot(tree, file);
  let st;
  try {
    st = await fsp.stat(p);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw e;
  }
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  if (st.size > MAX_USER_FILE) throw new Error(`"${file}" exceeds ${MAX_USER_FILE} bytes`);
  return parseIdFile(await fsp.readFile(p, "utf8"), kind);
}

function refIndex(ref: UserRef): number {
  return "name" in ref ? ref.input ?? -1 : -1;
}

/**
 * The numeric owner for `owner`, or undefined when `owner` sets nothing (then
 * copies keep the source's ownership and new files belong to the process).
 *
 * @example
 * ```ts ignore
 * import { resolveOwner } from "./file_owner.ts";
 * const o = await resolveOwner({ user: { id: 1000 } }, { treeOf: () => undefined });
 * console.assert(o?.uid === 1000 && o.gid === 1000);
 * ```
 */
export async function resolveOwner(
  owner: ChownOpt | undefined,
  options: ResolveOwnerOptions,
): Promise<Owner | undefined> {
  if (owner === undefined || (owner.user === undefined && owner.group === undefined)) {
    return undefined;
  }
  const result: Owner = { uid: 0, gid: 0 };
  const u = owner.user;
  if (u !== undefined) {
    if ("id" in u) {
      result.uid = u.id;
      result.gid = u.id;
    } else {
      const entries = await readIdFile(options.treeOf(refIndex(u)), "/etc/passwd", "passwd");
      const e = entries.find((x) => x.name === u.name);
      if (e !== undefined) {
        result.uid = e.id;
        result.gid = e.gid;
      } else if (options.strictNames === true && u.name !== "root") {
        throw new Error(`unable to find user ${u.name}`);
      }
    }
  }
  const g = owner.group;
  if (g !== undefined) {
    if ("id" in g) {
      result.gid = g.id;
    } else {
      const entries = await readIdFile(options.treeOf(refIndex(g)), "/etc/group", "group");
      const e = entries.find((x) => x.name === g.name);
      if (e !== undefined) result.gid = e.id;
      else if (options.strictNames === true && g.name !== "root") {
        throw new Error(`unable to find group ${g.name}`);
      }
    }
  }
  return result;
}
