// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Source states: scratch, container images, local directories, git
 * repositories, HTTP files and OCI layouts.
 *
 * @module
 */

import { normalizeImageRef } from "./_image_ref.ts";
import { makeVertex, type OpOptions } from "./_vertex.ts";
import { DEFAULT_META, newState, type State } from "./state.ts";
import type { Platform } from "./types.ts";

function sourceState(
  identifier: string,
  attrs: Record<string, string>,
  platform: Platform | undefined,
  opts: OpOptions,
): State {
  const vertex = makeVertex({
    inputs: [],
    platform,
    build: () => ({
      source: Object.keys(attrs).length > 0 ? { identifier, attrs: { ...attrs } } : { identifier },
    }),
  }, opts);
  return newState(
    { vertex, index: 0 },
    platform === undefined ? DEFAULT_META : { ...DEFAULT_META, platform },
  );
}

/**
 * The empty filesystem. It has no vertex: ops on top of it use input -1.
 *
 * @example
 * ```ts
 * import { marshal, scratch } from "./mod.ts";
 * const def = marshal(scratch());
 * console.assert(def.ops.length === 1 && def.ops[0]!.op.inputs === undefined);
 * ```
 */
export function scratch(): State {
  return newState(undefined);
}

/** Options of {@linkcode image}. */
export interface ImageOptions extends OpOptions {
  /** Platform to pull; also the platform of ops built on the result. */
  platform?: Platform;
  /** `default`: use a local copy if any, else pull; `pull`: always check the registry; `local`: never pull. */
  resolveMode?: "default" | "pull" | "local";
}

/**
 * A container image from a registry: `docker-image://` + the normalized reference.
 *
 * @example
 * ```ts
 * import { image, marshal } from "./mod.ts";
 * const def = marshal(image("alpine:3.20", { resolveMode: "pull" }));
 * const op = def.ops[0]!.op;
 * console.assert("source" in op && op.source.identifier === "docker-image://docker.io/library/alpine:3.20");
 * console.assert("source" in op && op.source.attrs!["image.resolvemode"] === "pull");
 * ```
 */
export function image(ref: string, options: ImageOptions = {}): State {
  const attrs: Record<string, string> = {};
  if (options.resolveMode !== undefined && options.resolveMode !== "default") {
    attrs["image.resolvemode"] = options.resolveMode;
  }
  return sourceState(
    `docker-image://${normalizeImageRef(ref)}`,
    attrs,
    options.platform,
    options,
  );
}

/** Options of {@linkcode local}. */
export interface LocalOptions extends OpOptions {
  includePatterns?: string[];
  excludePatterns?: string[];
  /** Paths to follow symlinks for. */
  followPaths?: string[];
  /** A key shared by local sources that likely hold similar content (speeds up transfers). */
  sharedKeyHint?: string;
}

/**
 * A directory from the client (e.g. the build context): `local://name`.
 *
 * @example
 * ```ts
 * import { local, marshal } from "./mod.ts";
 * const def = marshal(local("context", { excludePatterns: ["node_modules"] }));
 * const op = def.ops[0]!.op;
 * console.assert("source" in op && op.source.attrs!["local.excludepatterns"] === '["node_modules"]');
 * ```
 */
export function local(name: string, options: LocalOptions = {}): State {
  if (name === "") throw new TypeError("local() needs a name");
  const attrs: Record<string, string> = {};
  if (options.includePatterns?.length) {
    attrs["local.includepattern"] = JSON.stringify(options.includePatterns);
  }
  if (options.excludePatterns?.length) {
    attrs["local.excludepatterns"] = JSON.stringify(options.excludePatterns);
  }
  if (options.followPaths?.length) {
    attrs["local.followpaths"] = JSON.stringify(options.followPaths);
  }
  if (options.sharedKeyHint) attrs["local.sharedkeyhint"] = options.sharedKeyHint;
  return sourceState(`local://${name}`, attrs, undefined, options);
}

/** Options of {@linkcode git}. */
export interface GitOptions extends OpOptions {
  /** Branch, tag or commit. */
  ref?: string;
  /** Sub-directory of the repository to use. */
  subdir?: string;
  /** Keep the `.git` directory. */
  keepGitDir?: boolean;
  /** Expected commit checksum. */
  checksum?: string;
  /** Do not update submodules (`git.skipsubmodules`). */
  skipSubmodules?: boolean;
  /** File times: `checkout` (default) or `commit` (`git.mtime`). */
  mtime?: "checkout" | "commit";
  /** Fetch the `checksum` commit itself rather than the ref (`git.fetchbycommit`). */
  fetchByCommit?: boolean;
}

/**
 * A git repository: `git://host/path#ref:subdir`, with the full remote URL in
 * `git.fullurl` when it had a scheme or was an scp-like address.
 *
 * @example
 * ```ts
 * import { git, marshal } from "./mod.ts";
 * const def = marshal(git("https://github.com/moby/buildkit.git", { ref: "v0.20.0" }));
 * const op = def.ops[0]!.op;
 * console.assert("source" in op && op.source.identifier === "git://github.com/moby/buildkit.git#v0.20.0");
 * ```
 */
export function git(remote: string, options: GitOptions = {}): State {
  if (remote === "") throw new TypeError("git() needs a remote");
  const attrs: Record<string, string> = {};
  let id = remote;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(remote);
  const scp = /^([\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(remote);
  if (scheme !== null) {
    id = remote.slice(scheme[0].length).replace(/^[^@/]*@/, "");
    attrs["git.fullurl"] = remote;
  } else if (scp !== null) {
    id = `${scp[2]}/${scp[3]}`;
    attrs["git.fullurl"] = remote;
  }
  let fragment = options.ref ?? "";
  if (options.subdir) fragment += `:${options.subdir}`;
  if (fragment !== "") id += `#${fragment}`;
  if (options.keepGitDir) attrs["git.keepgitdir"] = "true";
  if (options.checksum) attrs["git.checksum"] = options.checksum;
  if (options.skipSubmodules) attrs["git.skipsubmodules"] = "true";
  if (options.mtime) attrs["git.mtime"] = options.mtime;
  if (options.fetchByCommit) attrs["git.fetchbycommit"] = "true";
  return sourceState(`git://${id}`, attrs, undefined, options);
}

/** Options of {@linkcode http}. */
export interface HttpOptions extends OpOptions {
  /** Expected digest of the downloaded content (`sha256:…`). */
  checksum?: string;
  /** File name to save as (default: from the URL). */
  filename?: string;
  /** File mode. */
  perm?: number;
  uid?: number;
  gid?: number;
}

/**
 * A file downloaded over HTTP(S); the identifier is the URL itself.
 *
 * @example
 * ```ts
 * import { http, marshal } from "./mod.ts";
 * const def = marshal(http("https://example.com/a.tar.gz", { perm: 0o644, filename: "a.tgz" }));
 * const op = def.ops[0]!.op;
 * console.assert("source" in op && op.source.attrs!["http.perm"] === "0644");
 * ```
 */
export function http(url: string, options: HttpOptions = {}): State {
  if (!/^https?:\/\//.test(url)) throw new TypeError(`http() needs an http(s) URL, got "${url}"`);
  const attrs: Record<string, string> = {};
  if (options.checksum) attrs["http.checksum"] = options.checksum;
  if (options.filename) attrs["http.filename"] = options.filename;
  if (options.perm !== undefined) attrs["http.perm"] = `0${options.perm.toString(8)}`;
  if (options.uid !== undefined) attrs["http.uid"] = String(options.uid);
  if (options.gid !== undefined) attrs["http.gid"] = String(options.gid);
  return sourceState(url, attrs, undefined, options);
}

/** Options of {@linkcode ociLayout}. */
export interface OciLayoutOptions extends OpOptions {
  platform?: Platform;
  /** Use at most this many layers of the image. */
  layerLimit?: number;
}

/**
 * An image from an OCI layout store known to the client: `oci-layout://store@digest`.
 *
 * @example
 * ```ts
 * import { marshal, ociLayout } from "./mod.ts";
 * const def = marshal(ociLayout(`mystore@sha256:${"a".repeat(64)}`));
 * const op = def.ops[0]!.op;
 * console.assert("source" in op && op.source.identifier.startsWith("oci-layout://mystore@sha256:"));
 * ```
 */
export function ociLayout(storeAndDigest: string, options: OciLayoutOptions = {}): State {
  if (!/^[^@]+@[a-z0-9]+:[0-9a-f]+$/.test(storeAndDigest)) {
    throw new TypeError(`ociLayout() needs "store@algorithm:hex", got "${storeAndDigest}"`);
  }
  const attrs: Record<string, string> = {};
  if (options.layerLimit !== undefined) attrs["oci.layerlimit"] = String(options.layerLimit);
  return sourceState(`oci-layout://${storeAndDigest}`, attrs, options.platform, options);
}
