// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Where a reference's registry lives on the network: Docker Hub's API host,
 * the key its credentials are filed under, and whether plain `http://` is
 * allowed.
 *
 * @module
 */

import { DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN } from "../oci/mod.ts";

/** Docker Hub's registry API host. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
/** The key Docker files Docker Hub credentials under in config.json. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

/**
 * The host serving the registry API for a reference domain: `docker.io` →
 * `registry-1.docker.io`; other domains are used as they are.
 *
 * @example
 * ```ts
 * import { registryApiHost } from "./reference_host.ts";
 * console.assert(registryApiHost("docker.io") === "registry-1.docker.io");
 * console.assert(registryApiHost("127.0.0.1:5000") === "127.0.0.1:5000");
 * ```
 */
export function registryApiHost(domain: string): string {
  if (domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN) return DOCKER_HUB_API_HOST;
  return domain;
}

/**
 * The key a domain's credentials are filed under in Docker's config.json
 * (`https://index.docker.io/v1/` for Docker Hub, the host otherwise).
 *
 * @example
 * ```ts
 * import { credentialKey } from "./reference_host.ts";
 * console.assert(credentialKey("docker.io") === "https://index.docker.io/v1/");
 * ```
 */
export function credentialKey(domain: string): string {
  if (
    domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN || domain === DOCKER_HUB_API_HOST
  ) {
    return DOCKER_HUB_AUTH_KEY;
  }
  return domain;
}

/**
 * Reduces a config.json key (`https://host/v1/`, `host`, `http://host`) to
 * `host[:port]`, as Docker does when matching keys.
 *
 * @example
 * ```ts
 * import { hostOfKey } from "./reference_host.ts";
 * console.assert(hostOfKey("https://index.docker.io/v1/") === "index.docker.io");
 * ```
 */
export function hostOfKey(key: string): string {
  let s = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = s.indexOf("/");
  if (slash >= 0) s = s.slice(0, slash);
  return s;
}

/**
 * Reports whether a `host[:port]` is the local machine (`localhost`,
 * `127.0.0.0/8`, `::1`), where plain HTTP is allowed as Docker allows it.
 *
 * @example
 * ```ts
 * import { isLocalHost } from "./reference_host.ts";
 * console.assert(isLocalHost("127.0.0.1:5000") && isLocalHost("localhost") && !isLocalHost("ghcr.io"));
 * ```
 */
export function isLocalHost(host: string): boolean {
  const name = hostName(host).toLowerCase();
  return name === "localhost" || name.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(name) ||
    name === "::1";
}

/**
 * The host name of `host[:port]` without the port (IPv6 brackets removed).
 *
 * @example
 * ```ts
 * import { hostName } from "./reference_host.ts";
 * console.assert(hostName("[::1]:5000") === "::1" && hostName("a.b:1") === "a.b");
 * ```
 */
export function hostName(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end < 0 ? host : host.slice(1, end);
  }
  const colon = host.lastIndexOf(":");
  return colon < 0 ? host : host.slice(0, colon);
}

/**
 * Reports whether plain `http://` may be used for a registry: local hosts,
 * and hosts (or `host:port`, or CIDR-free wildcard `*.domain`) listed as insecure.
 *
 * @example
 * ```ts
 * import { allowsPlainHttp } from "./reference_host.ts";
 * console.assert(allowsPlainHttp("reg.lan:5000", ["reg.lan:5000"]));
 * console.assert(!allowsPlainHttp("ghcr.io", []));
 * ```
 */
export function allowsPlainHttp(host: string, insecure: readonly string[] = []): boolean {
  if (isLocalHost(host)) return true;
  const name = hostName(host);
  for (const entry of insecure) {
    const e = hostOfKey(entry.trim());
    if (e === host || e === name) return true;
    if (e.startsWith("*.") && name.endsWith(e.slice(1))) return true;
  }
  return false;
}
