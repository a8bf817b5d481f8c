// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * POSIX path helpers with Go's `path` semantics and BuildKit's
 * `util/system.NormalizePath` rules (Linux paths only).
 *
 * @module
 */

/**
 * Go's `path.Clean`: collapses `//`, `.` and `..`; "" becomes ".".
 *
 * @example
 * ```ts
 * import { cleanPath } from "./paths.ts";
 * console.assert(cleanPath("/a/b/../c/") === "/a/c");
 * ```
 */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return "/" + joined;
  return joined === "" ? "." : joined;
}

/**
 * Go's `path.Join`: joins non-empty elements and cleans; all empty gives "".
 *
 * @example
 * ```ts
 * import { joinPath } from "./paths.ts";
 * console.assert(joinPath("/", "a", "../b") === "/b");
 * ```
 */
export function joinPath(...parts: string[]): string {
  const nonEmpty = parts.filter((p) => p !== "");
  if (nonEmpty.length === 0) return "";
  return cleanPath(nonEmpty.join("/"));
}

/**
 * Go's `path.Base`.
 *
 * @example
 * ```ts
 * import { basePath } from "./paths.ts";
 * console.assert(basePath("/a/b/") === "b");
 * ```
 */
export function basePath(p: string): string {
  if (p === "") return ".";
  let s = p;
  while (s.length > 1 && s.endsWith("/")) s = s.slice(0, -1);
  if (s === "/") return "/";
  const i = s.lastIndexOf("/");
  return i >= 0 ? s.slice(i + 1) : s;
}

/**
 * BuildKit's `NormalizePath` for Linux: a relative `p` is joined to `parent`
 * (cleaned); an absolute one is kept as written. With `keepSlash`, a trailing
 * `/` (or `/.`) of the input is preserved.
 *
 * @example
 * ```ts
 * import { normalizePath } from "./paths.ts";
 * console.assert(normalizePath("/app", "sub/", { keepSlash: true }) === "/app/sub/");
 * ```
 */
export function normalizePath(
  parent: string,
  p: string,
  options: { keepSlash?: boolean } = {},
): string {
  const orig = p;
  let par = parent === "" ? "/" : parent;
  if (!par.startsWith("/")) par = joinPath("/", par);
  let out = p === "" ? par : p;
  if (!out.startsWith("/")) out = joinPath(par, out);
  if (options.keepSlash) {
    if (orig.endsWith("/") && !out.endsWith("/")) out += "/";
    else if (orig.endsWith("/.")) {
      if (out !== "/") out += "/";
      out += ".";
    }
  }
  return out;
}

/**
 * The new working directory after `WORKDIR wd` when the current one is
 * `current`.
 *
 * @example
 * ```ts
 * import { normalizeWorkdir } from "./paths.ts";
 * console.assert(normalizeWorkdir("/a", "b/c") === "/a/b/c");
 * ```
 */
export function normalizeWorkdir(current: string, wd: string): string {
  return normalizePath(current, wd);
}

/**
 * A COPY/ADD destination resolved against the working directory, keeping a
 * trailing slash (`.` and "" mean the working directory itself, as a dir).
 *
 * @example
 * ```ts
 * import { pathRelativeToWorkingDir } from "./paths.ts";
 * console.assert(pathRelativeToWorkingDir("/app", ".") === "/app/");
 * ```
 */
export function pathRelativeToWorkingDir(dir: string, p: string): string {
  if (p.startsWith("/")) return normalizePath("/", p, { keepSlash: true });
  const rel = p === "." || p === "" ? "./" : p;
  return normalizePath(dir, rel, { keepSlash: true });
}

/**
 * Whether a path contains glob characters (`*`, `?`, `[`), skipping escaped ones.
 *
 * @example
 * ```ts
 * import { containsWildcards } from "./paths.ts";
 * console.assert(containsWildcards("src/*.ts") && !containsWildcards("a\\*b"));
 * ```
 */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === "*" || c === "?" || c === "[") return true;
    if (c === "\\") i++;
  }
  return false;
}
