// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * OCI layer whiteouts: a deleted path `dir/name` is recorded as an empty
 * regular file `dir/.wh.name`; a directory whose lower contents are hidden
 * ("opaque") holds the marker `dir/.wh..wh..opq`. Other names starting with
 * `.wh..wh.` are aufs metadata and are ignored by readers (as containerd does).
 *
 * @module
 */

import type { TarHeader } from "./tar_header.ts";

/** Prefix of a whiteout file's base name. */
export const WHITEOUT_PREFIX = ".wh.";
/** Prefix of whiteout metadata names (aufs); only the opaque marker is meaningful. */
export const WHITEOUT_META_PREFIX = ".wh..wh.";
/** Base name of the opaque-directory marker. */
export const WHITEOUT_OPAQUE = ".wh..wh..opq";

/** What a whiteout entry means. */
export type Whiteout =
  /** `path` was deleted. */
  | { kind: "whiteout"; path: string }
  /** The lower contents of directory `path` are hidden (`path` is "" for the root). */
  | { kind: "opaque"; path: string }
  /** aufs metadata (`.wh..wh.plnk` and the like), to be ignored. */
  | { kind: "meta"; path: string };

function splitName(name: string): [string, string] {
  const trimmed = name.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  return [trimmed.slice(0, i + 1), trimmed.slice(i + 1)];
}

/**
 * Interprets a layer entry name: the whiteout it encodes, or `undefined` for an
 * ordinary entry.
 *
 * @example
 * ```ts
 * import { parseWhiteout } from "./whiteout.ts";
 * console.assert(parseWhiteout("etc/.wh.passwd")?.path === "etc/passwd");
 * console.assert(parseWhiteout("var/cache/.wh..wh..opq")?.kind === "opaque");
 * console.assert(parseWhiteout("etc/passwd") === undefined);
 * ```
 */
export function parseWhiteout(name: string): Whiteout | undefined {
  const [dir, base] = splitName(name);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  if (base === WHITEOUT_OPAQUE) return { kind: "opaque", path: dir.replace(/\/$/, "") };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: "meta", path: name };
  return { kind: "whiteout", path: dir + base.slice(WHITEOUT_PREFIX.length) };
}

/**
 * Whether the entry name is a whiteout of one path (`.wh.<name>`, not the opaque
 * marker or aufs metadata).
 */
export function isWhiteout(name: string): boolean {
  return parseWhiteout(name)?.kind === "whiteout";
}

/** Whether the entry name is an opaque-directory marker (`.wh..wh..opq`). */
export function isOpaqueWhiteout(name: string): boolean {
  return parseWhiteout(name)?.kind === "opaque";
}

/**
 * The whiteout entry name that deletes `path`.
 *
 * @example
 * ```ts
 * import { whiteoutName } from "./whiteout.ts";
 * console.assert(whiteoutName("etc/passwd") === "etc/.wh.passwd");
 * console.assert(whiteoutName("tmp/") === ".wh.tmp");
 * ```
 */
export function whiteoutName(path: string): string {
  const [dir, base] = splitName(path);
  if (base === "" || base === "." || base === "..") {
    throw new RangeError(`cannot white out ${JSON.stringify(path)}`);
  }
  return dir + WHITEOUT_PREFIX + base;
}

/**
 * The opaque-marker entry name for directory `dir` (`""` for the root).
 *
 * @example
 * ```ts
 * import { opaqueWhiteoutName } from "./whiteout.ts";
 * console.assert(opaqueWhiteoutName("var/cache/") === "var/cache/.wh..wh..opq");
 * console.assert(opaqueWhiteoutName("") === ".wh..wh..opq");
 * ```
 */
export function opaqueWhiteoutName(dir: string): string {
  const d = dir.replace(/\/+$/, "");
  return d === "" ? WHITEOUT_OPAQUE : `${d}/${WHITEOUT_OPAQUE}`;
}

/**
 * A tar header for a whiteout or opaque marker: an empty regular file, mode 0,
 * owned by 0:0, as containerd writes them.
 *
 * @example
 * ```ts
 * import { whiteoutHeader } from "./whiteout.ts";
 * const h = whiteoutHeader("etc/passwd", { mtime: 0 });
 * console.assert(h.name === "etc/.wh.passwd" && h.size === 0 && h.mode === 0);
 * ```
 */
export function whiteoutHeader(
  path: string,
  options: { mtime?: number; opaque?: boolean } = {},
): TarHeader {
  return {
    name: options.opaque ? opaqueWhiteoutName(path) : whiteoutName(path),
    type: "file",
    size: 0,
    mode: 0,
    uid: 0,
    gid: 0,
    mtime: options.mtime ?? 0,
  };
}
