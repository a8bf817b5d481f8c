// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Image references (`alpine`, `ghcr.io/o/r:tag`, `localhost:5000/x@sha256:…`)
 * following the grammar and normalization of docker/distribution's
 * `reference` package (`ParseNormalizedNamed`, `TagNameOnly`,
 * `FamiliarName`). Error messages are the ones Docker and BuildKit print.
 *
 * @module
 */

import { type Digest, InvalidDigestError, parseDigest } from "./digest.ts";

/** Docker Hub's canonical domain. */
export const DEFAULT_DOMAIN = "docker.io";
/** The legacy Docker Hub domain, rewritten to {@link DEFAULT_DOMAIN}. */
export const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
/** Path prefix of official images on Docker Hub. */
export const OFFICIAL_REPO_PREFIX = "library/";
/** The tag added to references that have neither tag nor digest. */
export const DEFAULT_TAG = "latest";
/** Longest allowed `domain/path`. */
export const NAME_TOTAL_LENGTH_MAX = 255;

/** A parsed, normalized image reference. */
export interface Reference {
  /** Registry host with optional port, e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path, e.g. `library/alpine`. */
  path: string;
  /** Tag, when given. */
  tag?: string;
  /** Digest, when given. */
  digest?: Digest;
}

/** Thrown when an image reference cannot be parsed. */
export class InvalidReferenceError extends SyntaxError {
  /** The reference text that was parsed. */
  readonly input: string;
  /** Builds the error; `message` is the Docker-compatible text. */
  constructor(input: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidReferenceError";
    this.input = input;
  }
}

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

const DOMAIN_RE = new RegExp(`^${DOMAIN_AND_PORT}$`);
const REMAINDER_RE = new RegExp(`^(${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const TAG_RE = new RegExp(`^${TAG}$`);

// distribution/reference splitDockerDomain.
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf("/");
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === "localhost") [domain, remote] = [maybeDomain, rest];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remote] = [DEFAULT_DOMAIN, rest];
  else if (/[.:]/.test(maybeDomain)) [domain, remote] = [maybeDomain, rest];
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remote] = [maybeDomain, rest];
  else [domain, remote] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remote.includes("/")) remote = OFFICIAL_REPO_PREFIX + remote;
  return [domain, remote];
}

/**
 * Parses an image reference and normalizes it the way `docker pull` and
 * BuildKit's `FROM` do (`ParseNormalizedNamed`): a missing domain becomes
 * `docker.io`, single-component Docker Hub names get `library/`,
 * `index.docker.io` becomes `docker.io`. No tag is added (see
 * {@link normalizeReference}).
 *
 * @throws {InvalidReferenceError} with Docker's messages: `invalid reference
 * format`, `invalid reference format: repository name (library/Foo) must be
 * lowercase`, `repository name must not be more than 255 characters`,
 * `invalid repository name (…), cannot specify 64-byte hexadecimal strings`,
 * `invalid checksum digest format|length`, `unsupported digest algorithm`.
 *
 * @example
 * ```ts
 * import { parseReference } from "./reference.ts";
 * const r = parseReference("alpine:3.20");
 * console.assert(r.domain === "docker.io" && r.path === "library/alpine" && r.tag === "3.20");
 * ```
 */
export function parseReference(s: string): Reference {
  if (IDENTIFIER_RE.test(s)) {
    throw new InvalidReferenceError(
      s,
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(":");
  const remote = colon < 0 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw new InvalidReferenceError(
      s,
      `invalid reference format: repository name (${remote}) must be lowercase`,
    );
  }
  const m = DOMAIN_RE.test(domain) ? REMAINDER_RE.exec(remainder) : null;
  if (!m) {
    const lowerDomainOk = DOMAIN_RE.test(domain.toLowerCase());
    if (lowerDomainOk && REMAINDER_RE.test(remainder.toLowerCase())) {
      throw new InvalidReferenceError(s, "repository name must be lowercase");
    }
    throw new InvalidReferenceError(s, "invalid reference format");
  }
  const path = m[1]!;
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(
      s,
      `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`,
    );
  }
  const ref: Reference = { domain, path };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    try {
      ref.digest = parseDigest(m[3]).digest;
    } catch (e) {
      if (e instanceof InvalidDigestError) {
        throw new InvalidReferenceError(s, e.phrase, { cause: e });
      }
      throw e;
    }
  }
  return ref;
}

/**
 * Formats a reference as `domain/path[:tag][@digest]`.
 *
 * @example
 * ```ts
 * import { formatReference } from "./reference.ts";
 * console.assert(formatReference({ domain: "docker.io", path: "library/alpine", tag: "3" }) === "docker.io/library/alpine:3");
 * ```
 */
export function formatReference(ref: Reference): string {
  let out = `${ref.domain}/${ref.path}`;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/**
 * Parses a reference and returns its full form, adding `:latest` when it has
 * neither tag nor digest (`TagNameOnly`): `alpine` →
 * `docker.io/library/alpine:latest`.
 *
 * @throws {InvalidReferenceError} as {@link parseReference}.
 *
 * @example
 * ```ts
 * import { normalizeReference } from "./reference.ts";
 * console.assert(normalizeReference("alpine") === "docker.io/library/alpine:latest");
 * console.assert(normalizeReference("localhost:5000/x") === "localhost:5000/x:latest");
 * ```
 */
export function normalizeReference(s: string): string {
  const ref = parseReference(s);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return formatReference(ref);
}

function asReference(ref: Reference | string): Reference {
  return typeof ref === "string" ? parseReference(ref) : ref;
}

/**
 * The short name Docker shows (`FamiliarName`): `docker.io/library/alpine` →
 * `alpine`, `docker.io/user/repo` → `user/repo`; other registries keep their
 * domain. No tag or digest.
 *
 * @example
 * ```ts
 * import { familiarName } from "./reference.ts";
 * console.assert(familiarName("docker.io/library/alpine:3") === "alpine");
 * console.assert(familiarName("ghcr.io/o/r") === "ghcr.io/o/r");
 * ```
 */
export function familiarName(ref: Reference | string): string {
  const r = asReference(ref);
  if (r.domain !== DEFAULT_DOMAIN) return `${r.domain}/${r.path}`;
  if (r.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = r.path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes("/")) return rest;
  }
  return r.path;
}

/**
 * The short form with tag and digest (`FamiliarString`): `docker.io/library/alpine:3` → `alpine:3`.
 *
 * @example
 * ```ts
 * import { familiarString } from "./reference.ts";
 * console.assert(familiarString("docker.io/library/alpine:3") === "alpine:3");
 * ```
 */
export function familiarString(ref: Reference | string): string {
  const r = asReference(ref);
  let out = familiarName(r);
  if (r.tag !== undefined) out += `:${r.tag}`;
  if (r.digest !== undefined) out += `@${r.digest}`;
  return out;
}

/**
 * Reports whether a string is a valid tag (`[\w][\w.-]{0,127}`).
 *
 * @example
 * ```ts
 * import { isValidTag } from "./reference.ts";
 * console.assert(isValidTag("v1.0") && !isValidTag(".hidden"));
 * ```
 */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}
