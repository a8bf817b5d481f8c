// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Named build contexts (`--build-context name=value`): parsing the value forms
 * and looking a name up the way BuildKit does (`dockerui/namedcontext.go`):
 * first `name::<platform>`, then `name`; image names are looked up by their
 * familiar form without `:latest`.
 *
 * @module
 */

import type { Platform } from "./_deps.ts";
import { familiarString } from "./_deps.ts";
import type { NamedContext } from "./options.ts";
import { formatPlatformAll } from "./platform_args.ts";

/**
 * Parses a context value: `docker-image://ref`, `local:NAME`,
 * `oci-layout://store@sha256:…`, `target:stage`, `git@…`/`git://…`, `http(s)://…`
 * (a URL ending in `.git` is a git context).
 *
 * @throws {Error} `invalid context specifier X for NAME` / `unsupported context source`.
 *
 * @example
 * ```ts
 * import { parseNamedContext } from "./named_context.ts";
 * const nc = parseNamedContext("docker-image://alpine:3.20", "base");
 * console.assert(nc.type === "docker-image" && nc.ref === "alpine:3.20");
 * ```
 */
export function parseNamedContext(value: string, name: string): NamedContext {
  if (value.startsWith("git@")) return { type: "git", url: value };
  const i = value.indexOf(":");
  if (i < 0) throw new Error(`invalid context specifier ${value} for ${name}`);
  const scheme = value.slice(0, i);
  const rest = value.slice(i + 1);
  switch (scheme) {
    case "docker-image":
      return { type: "docker-image", ref: rest.replace(/^\/\//, "") };
    case "local":
      return { type: "local", name: rest };
    case "target":
      return { type: "target", stage: rest };
    case "git":
      return { type: "git", url: value };
    case "http":
    case "https": {
      const path = value.split(/[?#]/)[0] ?? value;
      if (path.endsWith(".git")) return { type: "git", url: value };
      return { type: "http", url: value };
    }
    case "oci-layout": {
      // oci-layout://STORE[:tag][@sha256:…]; without a digest the resolver pins it.
      const spec = rest.replace(/^\/\//, "");
      const at = spec.lastIndexOf("@");
      let store = at < 0 ? spec : spec.slice(0, at);
      const digest = at < 0 ? undefined : spec.slice(at + 1);
      let tag: string | undefined;
      const colon = store.lastIndexOf(":");
      if (colon > store.lastIndexOf("/")) {
        tag = store.slice(colon + 1);
        store = store.slice(0, colon);
      }
      if (store === "") throw new Error(`oci-layout reference "${spec}" has no store path`);
      return {
        type: "oci-layout",
        store,
        ...(digest !== undefined ? { digest } : {}),
        ...(tag !== undefined ? { ref: tag } : {}),
      };
    }
    default:
      throw new Error(`unsupported context source ${scheme} for ${name}`);
  }
}

/**
 * The familiar form of an image or stage name used as the lookup key:
 * `docker.io/library/alpine:latest` → `alpine`.
 *
 * @example
 * ```ts
 * import { contextKeyName } from "./named_context.ts";
 * console.assert(contextKeyName("docker.io/library/alpine:latest") === "alpine");
 * console.assert(contextKeyName("docker.io/me/app:1") === "me/app:1");
 * ```
 */
export function contextKeyName(name: string): string {
  let n: string;
  try {
    n = familiarString(name);
  } catch {
    n = name;
  }
  if (n.endsWith(":latest")) n = n.slice(0, -":latest".length);
  return n;
}

/**
 * Finds the named context for `name` on `platform`: `name::<platform>` first,
 * then `name`. Returns the key it matched and the parsed context.
 *
 * @example
 * ```ts
 * import { findNamedContext } from "./named_context.ts";
 * const hit = findNamedContext({ alpine: "docker-image://busybox" }, "alpine", undefined);
 * console.assert(hit?.context.type === "docker-image");
 * ```
 */
export function findNamedContext(
  contexts: Record<string, NamedContext | string> | undefined,
  name: string,
  platform: Platform | undefined,
): { name: string; context: NamedContext } | undefined {
  if (contexts === undefined) return undefined;
  const lower = name.toLowerCase();
  if (lower === "scratch" || lower === "context") return undefined;
  const key = contextKeyName(name);
  const candidates = platform !== undefined
    ? [`${key}::${formatPlatformAll(platform)}`, key]
    : [key];
  for (const k of candidates) {
    if (!Object.hasOwn(contexts, k)) continue;
    const v = contexts[k]!;
    return { name: k, context: typeof v === "string" ? parseNamedContext(v, k) : v };
  }
  return undefined;
}
