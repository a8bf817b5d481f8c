// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The build-context walker, with the filter semantics of tonistiigi/fsutil
 * (`filter.go`, `followlinks.go`): include patterns, exclude patterns with `!`
 * re-includes, FollowPaths (symlink targets pulled in), parent directories of
 * included paths emitted lazily, and stacked filters where an exclusion in any
 * layer is final.
 *
 * The file system is injected ({@linkcode WalkFs}) so the walker stays
 * synchronous and testable.
 *
 * @module
 */

import {
  cleanPath,
  EMPTY_MATCH_INFO,
  filepathMatch,
  type MatchInfo,
  PatternMatcher,
} from "../dockerfile/mod.ts";

/** Kind of a walked entry. */
export type WalkEntryType = "file" | "dir" | "symlink";

/** What the walker needs to know about one file (from lstat, symlinks not followed). */
export interface WalkStat {
  type: WalkEntryType;
  /** Permission bits (and setuid/setgid/sticky), e.g. 0o644. */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

/**
 * The file system the walker reads. Paths are relative to the context root,
 * `/`-separated, with `""` for the root itself. Methods throw for errors; an
 * error whose `code` is `ENOENT` or `ENOTDIR` means "does not exist".
 */
export interface WalkFs {
  /** Names of the entries of a directory (any order). */
  readdir(path: string): string[];
  /** Stat of an entry without following a final symlink. */
  lstat(path: string): WalkStat;
  /** Target of a symlink, as stored. */
  readlink(path: string): string;
}

/** One entry of the walk, in walk order (pre-order, names sorted per directory). */
export interface WalkEntry {
  /** Path relative to the root, `/`-separated. */
  path: string;
  type: WalkEntryType;
  /** Link target, for symlinks. */
  target?: string;
  stat: WalkStat;
}

/** fsutil's `FilterOpt`. */
export interface FilterOptions {
  /** Only paths matching one of these (or under a matching dir) are kept. */
  includePatterns?: readonly string[];
  /** Paths matching these are dropped; `!` re-includes. */
  excludePatterns?: readonly string[];
  /** Paths to keep, plus the (transitive) targets of symlinks among them. */
  followPaths?: readonly string[];
}

/** Options of {@linkcode walkContext}. */
export interface WalkOptions extends FilterOptions {
  /**
   * Nested filters: the first wraps the raw directory, the next wraps that,
   * and the top-level include/exclude/follow options (if any) wrap them all.
   */
  filterStack?: readonly FilterOptions[];
}

type VisitResult = "continue" | "skipDir";
type Visit = (entry: WalkEntry) => VisitResult;

function isNotExist(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Orders strings by code point (= UTF-8 byte order, as Go sorts names). */
function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Go's `filepath.Join` for `/`-separated paths. */
function join(...elems: string[]): string {
  const parts = elems.filter((e) => e !== "");
  if (parts.length === 0) return "";
  return cleanPath(parts.join("/"));
}

function dirOf(p: string): string {
  const i = p.lastIndexOf("/");
  return cleanPath(p.slice(0, i + 1));
}

function baseOf(p: string): string {
  if (p === "") return ".";
  let s = p;
  while (s.length > 1 && s.endsWith("/")) s = s.slice(0, -1);
  const i = s.lastIndexOf("/");
  return i < 0 ? s : s.slice(i + 1) || "/";
}

function fsPath(p: string): string {
  return p === "." ? "" : p;
}

function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === "\\") i++;
    else if (ch === "*" || ch === "?" || ch === "[") return true;
  }
  return false;
}

/** Sorted-input dedupe of fsutil: drops paths under a kept path; `.` means "no filter". */
function dedupePaths(paths: readonly string[]): string[] | null {
  const out: string[] = [];
  let last = "";
  for (const s of paths) {
    if (s === ".") return null;
    if (s.startsWith(last + "/")) continue;
    out.push(s);
    last = s;
  }
  return out;
}

/**
 * Resolves FollowPaths into include patterns: each path, plus the targets of
 * symlinks met along it (absolute targets are relative to the root),
 * transitively. Returns null when the root itself is needed (no filter).
 */
function followLinks(fs: WalkFs, paths: readonly string[]): string[] | null {
  const resolved = new Set<string>();

  const readSymlink = (p: string, allowWildcard: boolean): string[] | null => {
    const base = baseOf(p);
    if (allowWildcard && containsWildcards(base)) {
      let names: string[];
      try {
        names = fs.readdir(fsPath(dirOf(p)));
      } catch (e) {
        if (isNotExist(e)) return null;
        throw new Error(`readdir: ${(e as Error).message}`, { cause: e });
      }
      const out: string[] = [];
      for (const name of names.slice().sort(compareNames)) {
        let ok = false;
        try {
          ok = filepathMatch(base, name);
        } catch {
          ok = false;
        }
        if (ok) out.push(...(readSymlink(join(dirOf(p), name), false) ?? []));
      }
      return out.length > 0 ? out : null;
    }
    let st: WalkStat;
    try {
      st = fs.lstat(fsPath(p));
    } catch (e) {
      if (isNotExist(e)) return null;
      throw e;
    }
    if (st.type !== "symlink") return null;
    const link = cleanPath(fs.readlink(fsPath(p)));
    if (link.startsWith("/")) return [link];
    return [join("/", join(dirOf(p), link))];
  };

  const append = (path: string): void => {
    let rest = path;
    let current = ".";
    for (;;) {
      const slash = rest.indexOf("/");
      current = join(current, slash < 0 ? rest : rest.slice(0, slash));
      const targets = readSymlink(current, true);
      rest = slash < 0 ? "" : rest.slice(slash + 1);
      if ((rest === "" || targets !== null) && resolved.has(current)) return;
      if (targets !== null) {
        resolved.add(current);
        for (const t of targets) append(join(t, rest));
        return;
      }
      if (rest === "") {
        resolved.add(current);
        return;
      }
    }
  };

  for (const p of paths) append(p);
  return dedupePaths([...resolved].sort(compareNames));
}

function patternWithoutTrailingGlob(pattern: string): string {
  let s = pattern;
  if (s.endsWith("/**")) s = s.slice(0, -3);
  if (s.endsWith("/*")) s = s.slice(0, -2);
  return s;
}

const PATTERN_CHARS = /[*[\]?^\\]/;

function formatList(list: readonly string[]): string {
  return "[" + list.join(" ") + "]";
}

interface VisitedDir {
  entry: WalkEntry;
  pathWithSep: string;
  includeInfo: MatchInfo;
  excludeInfo: MatchInfo;
  calledFn: boolean;
  skipFn: boolean;
}

/**
 * One filter layer (fsutil's `filterFS`): decides which paths pass, and can
 * be asked whether a single path may be opened.
 *
 * @example
 * ```ts
 * import { ContextFilter, type WalkFs } from "./walk.ts";
 * const fs: WalkFs = { readdir: () => [], lstat: () => { throw new Error(); }, readlink: () => "" };
 * const f = new ContextFilter(fs, { excludePatterns: ["foo", "!foo/bar"] });
 * console.assert(f.allows("foo/bar") && !f.allows("foo/baz"));
 * ```
 */
export class ContextFilter {
  /** Include matcher (null when every path is included). */
  readonly includeMatcher: PatternMatcher | null = null;
  /** Exclude matcher (null when nothing is excluded). */
  readonly excludeMatcher: PatternMatcher | null = null;
  #onlyPrefixIncludes = true;
  #onlyPrefixExcludeExceptions = true;

  /** Compiles the options; FollowPaths are resolved against `fs` now. */
  constructor(fs: WalkFs, options: FilterOptions) {
    let includes: string[] | null = options.includePatterns ? [...options.includePatterns] : null;
    if (options.followPaths !== undefined) {
      const targets = followLinks(fs, options.followPaths);
      if (targets !== null) includes = dedupePaths([...(includes ?? []), ...targets]);
    }
    if (includes !== null && includes.length > 0) {
      try {
        this.includeMatcher = new PatternMatcher(includes);
      } catch (e) {
        throw new Error(
          `invalid includepatterns: ${formatList(options.includePatterns ?? [])}: ${
            (e as Error).message
          }`,
          { cause: e },
        );
      }
      for (const p of this.includeMatcher.patterns()) {
        if (!p.exclusion && PATTERN_CHARS.test(patternWithoutTrailingGlob(p.pattern))) {
          this.#onlyPrefixIncludes = false;
          break;
        }
      }
    }
    const excludes = options.excludePatterns ?? [];
    if (excludes.length > 0) {
      try {
        this.excludeMatcher = new PatternMatcher(excludes);
      } catch (e) {
        throw new Error(
          `invalid excludepatterns: ${formatList(excludes)}: ${(e as Error).message}`,
          { cause: e },
        );
      }
      for (const p of this.excludeMatcher.patterns()) {
        if (p.exclusion && PATTERN_CHARS.test(patternWithoutTrailingGlob(p.pattern))) {
          this.#onlyPrefixExcludeExceptions = false;
          break;
        }
      }
    }
  }

  /** Whether a single path passes this filter (fsutil's `Open` check). */
  allows(path: string): boolean {
    if (this.includeMatcher && !this.includeMatcher.matchesOrParentMatches(path)) return false;
    if (this.excludeMatcher && this.excludeMatcher.matchesOrParentMatches(path)) return false;
    return true;
  }

  /** Wraps `next` with this filter for one walk; entries must arrive in walk order. */
  layer(next: Visit): Visit {
    const include = this.includeMatcher;
    const exclude = this.excludeMatcher;
    if (include === null && exclude === null) return next;
    const onlyPrefixIncludes = this.#onlyPrefixIncludes;
    const onlyPrefixExcludeExceptions = this.#onlyPrefixExcludeExceptions;
    const parents: VisitedDir[] = [];

    const prefixCanMatch = (pm: PatternMatcher, dirSlash: string, exclusion: boolean) => {
      for (const pat of pm.patterns()) {
        if (pat.exclusion !== exclusion) continue;
        if ((patternWithoutTrailingGlob(pat.pattern) + "/").startsWith(dirSlash)) return true;
      }
      return false;
    };

    return (entry) => {
      const path = entry.path;
      while (parents.length > 0) {
        const last = parents[parents.length - 1] as VisitedDir;
        if (path.startsWith(last.pathWithSep)) break;
        parents.pop();
      }
      const isDir = entry.type === "dir";
      const parent = parents[parents.length - 1];
      const dir: VisitedDir = {
        entry,
        pathWithSep: path + "/",
        includeInfo: EMPTY_MATCH_INFO,
        excludeInfo: EMPTY_MATCH_INFO,
        calledFn: false,
        skipFn: false,
      };
      let skip = false;
      if (include !== null) {
        let r;
        try {
          r = include.matchesUsingParentResults(path, parent?.includeInfo ?? EMPTY_MATCH_INFO);
        } catch (e) {
          throw new Error(`failed to match includepatterns: ${(e as Error).message}`, { cause: e });
        }
        dir.includeInfo = r.info;
        if (!r.matched) {
          if (isDir && onlyPrefixIncludes && !prefixCanMatch(include, path + "/", false)) {
            return "skipDir";
          }
          skip = true;
        }
      }
      if (exclude !== null) {
        let r;
        try {
          r = exclude.matchesUsingParentResults(path, parent?.excludeInfo ?? EMPTY_MATCH_INFO);
        } catch (e) {
          throw new Error(`failed to match excludepatterns: ${(e as Error).message}`, { cause: e });
        }
        dir.excludeInfo = r.info;
        if (r.matched) {
          if (isDir && onlyPrefixExcludeExceptions) {
            if (!exclude.exclusions()) return "skipDir";
            if (!prefixCanMatch(exclude, path + "/", true)) return "skipDir";
          }
          skip = true;
        }
      }
      try {
        if (skip) return "continue";
        for (const p of parents) {
          if (p.skipFn) return "skipDir";
          if (p.calledFn) continue;
          p.calledFn = true;
          if (next(p.entry) === "skipDir") {
            p.skipFn = true;
            return "skipDir";
          }
        }
        dir.calledFn = true;
        return next(entry);
      } finally {
        if (isDir) parents.push(dir);
      }
    };
  }
}

function statEntry(fs: WalkFs, path: string): WalkEntry | null {
  let stat: WalkStat;
  try {
    stat = fs.lstat(path);
  } catch (e) {
    if (isNotExist(e)) return null;
    throw e;
  }
  const entry: WalkEntry = { path, type: stat.type, stat };
  if (stat.type === "symlink") entry.target = fs.readlink(path);
  return entry;
}

function walkDir(fs: WalkFs, dir: string, visit: Visit): void {
  let names: string[];
  try {
    names = fs.readdir(dir);
  } catch (e) {
    if (isNotExist(e)) return;
    throw e;
  }
  names.sort(compareNames);
  for (const name of names) {
    const path = dir === "" ? name : dir + "/" + name;
    const entry = statEntry(fs, path);
    if (entry === null) continue;
    const result = visit(entry);
    if (result === "skipDir") {
      // As fs.SkipDir: a directory is not entered; for a file, the rest of its directory is skipped.
      if (entry.type === "dir") continue;
      return;
    }
    if (entry.type === "dir") walkDir(fs, path, visit);
  }
}

/**
 * Walks the build context under `fs` and returns the entries that pass the
 * filters, in walk order (pre-order, names sorted per directory by code
 * point). Directories are emitted before their contents; the parent
 * directories of included paths are emitted even when they do not match
 * themselves. Excluded directories are not entered unless a `!` pattern could
 * re-include something below them. Throws for invalid patterns.
 *
 * @example
 * ```ts
 * import { walkContext, type WalkFs, type WalkStat } from "./walk.ts";
 * const files: Record<string, WalkStat["type"]> = { "a": "dir", "a/x": "file", "b": "file" };
 * const fs: WalkFs = {
 *   readdir: (p) => Object.keys(files).filter((k) => k.startsWith(p ? p + "/" : "") && !k.slice(p ? p.length + 1 : 0).includes("/")).map((k) => k.split("/").pop()!),
 *   lstat: (p) => ({ type: files[p]!, mode: 0o644, size: 0, uid: 0, gid: 0, mtimeMs: 0 }),
 *   readlink: () => "",
 * };
 * const paths = walkContext(fs, { excludePatterns: ["b"] }).map((e) => e.path);
 * console.assert(paths.join(",") === "a,a/x");
 * ```
 */
export function walkContext(fs: WalkFs, options: WalkOptions = {}): WalkEntry[] {
  const filters: ContextFilter[] = [];
  for (const layer of options.filterStack ?? []) filters.push(new ContextFilter(fs, layer));
  if (
    options.includePatterns !== undefined || options.excludePatterns !== undefined ||
    options.followPaths !== undefined
  ) {
    filters.push(
      new ContextFilter(fs, {
        ...(options.includePatterns ? { includePatterns: options.includePatterns } : {}),
        ...(options.excludePatterns ? { excludePatterns: options.excludePatterns } : {}),
        ...(options.followPaths ? { followPaths: options.followPaths } : {}),
      }),
    );
  }
  const out: WalkEntry[] = [];
  let visit: Visit = (entry) => {
    out.push(entry);
    return "continue";
  };
  // The outermost filter sees what the inner ones let through.
  for (let i = filters.length - 1; i >= 0; i--) visit = (filters[i] as ContextFilter).layer(visit);
  walkDir(fs, "", visit);
  return out;
}
