// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Recognition of Git references in ADD sources and build contexts, as
 * BuildKit's `dfgitutil.ParseGitRef`: `https://…/repo.git#ref:subdir`,
 * `git://…`, `git@host:path`, the deprecated bare `github.com/…` form, and the
 * query keys `ref tag branch subdir checksum commit keep-git-dir submodules
 * mtime fetch-by-commit`.
 *
 * @module
 */

/** A parsed Git reference (BuildKit's `GitRef`, fields in camelCase). */
export interface GitRef {
  /** Remote repository URL without fragment and query, e.g. `https://github.com/foo/bar.git`. */
  remote: string;
  /** Last path element without `.git`, e.g. `bar`. */
  shortName: string;
  /** Commit, tag or branch; `tag=`/`branch=` become `refs/tags/…`/`refs/heads/…`. */
  ref: string;
  /** Expected commit (`checksum=` or `commit=`). */
  checksum: string;
  /** Directory inside the repository. */
  subDir: string;
  /** True for the deprecated bare `github.com/…` form. */
  indistinguishableFromLocal: boolean;
  /** True for `http://` and `git://` remotes. */
  unencryptedTcp: boolean;
  /** `keep-git-dir=` when given. */
  keepGitDir?: boolean;
  /** `submodules=` when given. */
  submodules?: boolean;
  /** `mtime=`: `checkout` or `commit`; empty when not given. */
  mtime: string;
  /** `fetch-by-commit=`: trust `checksum` as the commit to fetch. */
  fetchByCommit: boolean;
}

/**
 * Why a string is not a usable Git reference. `isGitRef` is true when the
 * string was recognized as Git but its options are invalid (conflicts,
 * unknown query keys), false when it is simply not a Git reference.
 *
 * @example
 * ```ts
 * import { GitRefError, parseGitRef } from "./git_ref.ts";
 * try { parseGitRef("https://example.com/foo"); } catch (e) {
 *   console.assert(e instanceof GitRefError && !e.isGitRef);
 * }
 * ```
 */
export class GitRefError extends Error {
  /** True when the input is a Git reference with invalid options. */
  readonly isGitRef: boolean;
  constructor(message: string, isGitRef: boolean) {
    super(message);
    this.name = "GitRefError";
    this.isGitRef = isGitRef;
  }
}

/** Go's `%q` for the ASCII strings that appear in these messages. */
function quote(s: string): string {
  return JSON.stringify(s);
}

// --- A small subset of Go's net/url, enough for Git remotes. ---

interface GoUrl {
  scheme: string;
  username: string | null;
  password: string | null;
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  forceQuery: boolean;
  fragment: string;
}

const HEX = "0123456789ABCDEF";

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function unescape(s: string, plusIsSpace: boolean): string {
  if (!s.includes("%") && !(plusIsSpace && s.includes("+"))) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "%") {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) {
        let bad = s.slice(i, i + 3);
        if (bad.length < 3) bad = s.slice(i);
        throw new Error(`invalid URL escape ${quote(bad)}`);
      }
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === "+" && plusIsSpace) {
      bytes.push(0x20);
    } else {
      for (const b of enc.encode(c)) bytes.push(b);
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** Go's `shouldEscape` for the path and user-password modes. */
function escape(s: string, mode: "path" | "userinfo"): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    let keep = /[A-Za-z0-9\-_.~]/.test(c);
    if (!keep && "$&+,/:;=?@".includes(c)) {
      keep = mode === "path" ? c !== "?" : !"@/?:".includes(c);
    }
    out += keep ? c : "%" + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

function validEncodedPath(s: string): boolean {
  for (const c of s) {
    if (/[A-Za-z0-9\-_.~%!$&'()*+,;=:@[\]/]/.test(c)) continue;
    return false;
  }
  return true;
}

function parseGoUrl(raw: string): GoUrl {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new Error("net/url: invalid control character in URL");
  }
  const hash = raw.indexOf("#");
  const main = hash < 0 ? raw : raw.slice(0, hash);
  const frag = hash < 0 ? "" : raw.slice(hash + 1);
  const u: GoUrl = {
    scheme: "",
    username: null,
    password: null,
    host: "",
    path: "",
    rawPath: "",
    rawQuery: "",
    forceQuery: false,
    fragment: unescape(frag, false),
  };
  let rest = main;
  const m = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(rest);
  if (m) {
    u.scheme = (m[1] as string).toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (rest.startsWith(":")) {
    throw new Error("missing protocol scheme");
  }
  if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) {
    u.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      u.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (u.scheme !== "") throw new Error("opaque URLs are not Git remotes");
    const slash = rest.indexOf("/");
    const first = slash < 0 ? rest : rest.slice(0, slash);
    if (first.includes(":")) throw new Error("first path segment in URL cannot contain colon");
  }
  if (rest.startsWith("//")) {
    const end = rest.indexOf("/", 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? "" : rest.slice(end);
    const at = authority.lastIndexOf("@");
    u.host = at < 0 ? authority : authority.slice(at + 1);
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) {
        throw new Error("net/url: invalid userinfo");
      }
      const colon = userinfo.indexOf(":");
      if (colon < 0) {
        u.username = unescape(userinfo, false);
      } else {
        u.username = unescape(userinfo.slice(0, colon), false);
        u.password = unescape(userinfo.slice(colon + 1), false);
      }
    }
    const port = /:([^\]]*)$/.exec(
      u.host.startsWith("[") ? u.host.slice(u.host.indexOf("]")) : u.host,
    );
    if (port && !/^[0-9]*$/.test(port[1] as string)) {
      throw new Error(`invalid port ${quote(":" + port[1])} after host`);
    }
  }
  u.path = unescape(rest, false);
  u.rawPath = rest;
  return u;
}

/** `URL.String()` of a parsed URL with query and fragment removed. */
function remoteString(u: GoUrl): string {
  let s = "";
  if (u.scheme !== "") s += u.scheme + ":";
  if (u.scheme !== "" || u.host !== "" || u.username !== null) {
    if (u.host !== "" || u.path !== "" || u.username !== null) s += "//";
    if (u.username !== null) {
      s += escape(u.username, "userinfo");
      if (u.password !== null) s += ":" + escape(u.password, "userinfo");
      s += "@";
    }
    s += u.host;
  }
  const path = validEncodedPath(u.rawPath) && safeUnescape(u.rawPath) === u.path
    ? u.rawPath
    : escape(u.path, "path");
  if (path !== "" && path[0] !== "/" && u.host !== "") s += "/";
  s += path;
  if (u.forceQuery) s += "?";
  return s;
}

function safeUnescape(s: string): string | null {
  try {
    return unescape(s, false);
  } catch {
    return null;
  }
}

/** Go's `url.ParseQuery`, keeping the pairs that parse (as `URL.Query()` does). */
function parseQuery(raw: string): { values: Map<string, string[]>; error: string | null } {
  const values = new Map<string, string[]>();
  let error: string | null = null;
  for (const part of raw.split("&")) {
    if (part === "") continue;
    if (part.includes(";")) {
      error ??= "invalid semicolon separator in query";
      continue;
    }
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = unescape(rawKey, true);
      value = unescape(rawValue, true);
    } catch (e) {
      error ??= (e as Error).message;
      continue;
    }
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  return { values, error };
}

// --- gitutil.ParseURL ---

interface GitUrl {
  scheme: string;
  path: string;
  remote: string;
  query: Map<string, string[]> | null;
  ref: string | null;
  subdir: string;
}

const SCP_RE = /^([a-zA-Z0-9\-_]+)@([a-zA-Z0-9\-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$/;
const SUPPORTED_PROTOCOLS = new Set(["http", "https", "ssh", "git"]);

function cleanAbs(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

function applyFragment(fragment: string): { ref: string | null; subdir: string } {
  if (fragment === "") return { ref: null, subdir: "" };
  const colon = fragment.indexOf(":");
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? "" : fragment.slice(colon + 1);
  return { ref, subdir: cleanAbs(subdir) };
}

function fromGoUrl(u: GoUrl): GitUrl {
  const { values } = parseQuery(u.rawQuery);
  const opts = applyFragment(u.fragment);
  return {
    scheme: u.scheme,
    path: u.path,
    remote: remoteString(u),
    query: values.size === 0 ? null : values,
    ref: opts.ref,
    subdir: opts.subdir,
  };
}

function parseGitUrl(remote: string): GitUrl {
  const proto = /^[a-zA-Z0-9]+:\/\//.exec(remote);
  if (proto) {
    const name = proto[0].slice(0, -3).toLowerCase();
    if (!SUPPORTED_PROTOCOLS.has(name)) throw new GitRefError(`${name}: invalid protocol`, false);
    return fromGoUrl(parseGoUrl(remote));
  }
  const m = SCP_RE.exec(remote);
  if (m) {
    const rawQuery = m[4] ?? "";
    let query: Map<string, string[]> | null = null;
    if (rawQuery !== "") {
      const parsed = parseQuery(rawQuery);
      if (parsed.error !== null) {
        throw new GitRefError(`invalid query in scp-style url: ${parsed.error}`, false);
      }
      query = parsed.values.size === 0 ? null : parsed.values;
    }
    const user = m[1] as string;
    const host = m[2] as string;
    const path = m[3] as string;
    const opts = applyFragment(m[5] ?? "");
    return {
      scheme: "ssh",
      path,
      remote: `${escape(user, "userinfo")}@${host}:${path}`,
      query,
      ref: opts.ref,
      subdir: opts.subdir,
    };
  }
  throw new GitRefError("unknown protocol", false);
}

function parseGoBool(v: string): boolean | null {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  return null;
}

const BOOL_KEYS = new Set(["submodules", "keep-git-dir", "fetch-by-commit"]);

function loadQuery(gr: GitRef, query: Map<string, string[]> | null): void {
  if (query === null) return;
  let tag = "";
  let branch = "";
  const fail = (msg: string): never => {
    throw new GitRefError(msg, true);
  };
  for (const [k, list] of query) {
    if (list.length > 1) fail(`query ${quote(k)} has multiple values`);
    let v: string | null = list[0] ?? "";
    if (v === "") {
      if (BOOL_KEYS.has(k)) v = null;
      else fail(`query ${quote(k)} has no value`);
    }
    const boolValue = (name: string): boolean => {
      if (v === null) return true;
      const b = parseGoBool(v);
      if (b === null) fail(`invalid ${name} value: ${quote(v)}`);
      return b as boolean;
    };
    switch (k) {
      case "ref":
        if (gr.ref !== "" && gr.ref !== v) {
          fail(`ref conflicts: ${quote(gr.ref)} vs ${quote(v ?? "")}`);
        }
        gr.ref = v ?? "";
        break;
      case "tag":
        tag = v ?? "";
        break;
      case "branch":
        branch = v ?? "";
        break;
      case "subdir":
        if (gr.subDir !== "" && gr.subDir !== v) {
          fail(`subdir conflicts: ${quote(gr.subDir)} vs ${quote(v ?? "")}`);
        }
        gr.subDir = v ?? "";
        break;
      case "checksum":
      case "commit":
        gr.checksum = v ?? "";
        break;
      case "keep-git-dir":
        gr.keepGitDir = boolValue("keep-git-dir");
        break;
      case "submodules":
        gr.submodules = boolValue("submodules");
        break;
      case "mtime":
        if (v !== "checkout" && v !== "commit") {
          fail(`invalid mtime value: ${quote(v ?? "")} (must be "checkout" or "commit")`);
        }
        gr.mtime = v ?? "";
        break;
      case "fetch-by-commit":
        gr.fetchByCommit = boolValue("fetch-by-commit");
        break;
      default:
        fail(`unexpected query ${quote(k)}`);
    }
  }
  if (tag !== "") {
    if (!tag.startsWith("refs/tags/")) tag = "refs/tags/" + tag;
    if (gr.ref !== "" && gr.ref !== tag) fail(`ref conflicts: ${quote(gr.ref)} vs ${quote(tag)}`);
    gr.ref = tag;
  }
  if (branch !== "") {
    if (tag !== "") fail("branch conflicts with tag");
    if (!branch.startsWith("refs/heads/")) branch = "refs/heads/" + branch;
    if (gr.ref !== "" && gr.ref !== branch) {
      fail(`ref conflicts: ${quote(gr.ref)} vs ${quote(branch)}`);
    }
    gr.ref = branch;
  }
}

/**
 * Parses a Git reference. Throws {@linkcode GitRefError} when `ref` is not a
 * Git reference (`isGitRef` false: local paths, HTTP URLs without a `.git`
 * path suffix, unknown schemes) or when its options are invalid (`isGitRef`
 * true). Messages follow BuildKit (`ref conflicts: …`, `unexpected query "x"`).
 *
 * @example
 * ```ts
 * import { parseGitRef } from "./git_ref.ts";
 * const r = parseGitRef("https://github.com/foo/bar.git#main:sub/dir");
 * console.assert(r.remote === "https://github.com/foo/bar.git" && r.shortName === "bar");
 * console.assert(r.ref === "main" && r.subDir === "sub/dir");
 * ```
 */
export function parseGitRef(ref: string): GitRef {
  const res: GitRef = {
    remote: "",
    shortName: "",
    ref: "",
    checksum: "",
    subDir: "",
    indistinguishableFromLocal: false,
    unencryptedTcp: false,
    mtime: "",
    fetchByCommit: false,
  };
  let remote: GitUrl;
  if (ref.startsWith("./") || ref.startsWith("../")) {
    throw new GitRefError("invalid argument", false);
  } else if (ref.startsWith("github.com/")) {
    res.indistinguishableFromLocal = true;
    let u: GoUrl;
    try {
      u = parseGoUrl(ref);
    } catch (e) {
      throw new GitRefError((e as Error).message, false);
    }
    u.scheme = "https";
    remote = fromGoUrl(u);
  } else {
    try {
      remote = parseGitUrl(ref);
    } catch (e) {
      if (e instanceof GitRefError) throw e;
      throw new GitRefError((e as Error).message, false);
    }
    if (remote.scheme === "http" || remote.scheme === "git") res.unencryptedTcp = true;
    if ((remote.scheme === "http" || remote.scheme === "https") && !remote.path.endsWith(".git")) {
      throw new GitRefError("invalid argument", false);
    }
  }
  res.remote = remote.remote;
  if (res.indistinguishableFromLocal) {
    const i = res.remote.indexOf("://");
    res.remote = i < 0 ? "" : res.remote.slice(i + 3);
  }
  if (remote.ref !== null) {
    res.ref = remote.ref;
    res.subDir = remote.subdir;
  }
  const parts = res.remote.split("/");
  const last = parts[parts.length - 1] ?? "";
  res.shortName = last.endsWith(".git") ? last.slice(0, -4) : last;
  loadQuery(res, remote.query);
  return res;
}

/**
 * The canonical fragment form of a Git reference: `remote#ref` (and `:subdir`
 * when `withSubdir`), query options folded in. Returns `ok: false` and the
 * input unchanged when it is not a valid Git reference.
 *
 * @example
 * ```ts
 * import { gitRefFragmentFormat } from "./git_ref.ts";
 * const r = gitRefFragmentFormat("https://github.com/moby/buildkit.git?tag=v1");
 * console.assert(r.ok && r.url === "https://github.com/moby/buildkit.git#refs/tags/v1");
 * ```
 */
export function gitRefFragmentFormat(
  remote: string,
  options: { withSubdir?: boolean } = {},
): { url: string; ok: boolean } {
  let gr: GitRef;
  try {
    gr = parseGitRef(remote);
  } catch {
    return { url: remote, ok: false };
  }
  let u = gr.remote;
  const subdir = options.withSubdir ? cleanAbs(gr.subDir) : "";
  if (gr.ref !== "" || subdir !== "") {
    u += "#" + gr.ref;
    if (subdir !== "") u += ":" + subdir;
  }
  return { url: u, ok: true };
}
