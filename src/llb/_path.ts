// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/** POSIX path helpers for paths inside a build state (always `/`-separated). */

/** Cleans a POSIX path like Go's `path.Clean`. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const absolute = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return absolute ? `/${joined}` : joined === "" ? "." : joined;
}

/**
 * Resolves `p` against the directory `dir` (absolute result). With
 * `keepSlash`, a trailing `/` (or `/.`) of `p` is kept, since for copy
 * destinations it means "into this directory".
 */
export function resolvePath(dir: string, p: string, keepSlash = false): string {
  const joined = cleanPath(p.startsWith("/") ? p : `${dir}/${p}`);
  const abs = joined.startsWith("/") ? joined : `/${joined}`;
  if (keepSlash && (p.endsWith("/") || p.endsWith("/.") || p === ".") && abs !== "/") {
    return `${abs}/`;
  }
  return abs;
}
