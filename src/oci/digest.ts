// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Content digests. A {@link Digest} names a blob as stored (a compressed
 * layer, a manifest, a config); a {@link DiffId} names the uncompressed tar
 * of a layer. Both are `algorithm:hex` strings at run time; the brands keep
 * them from being mixed up at compile time.
 *
 * @module
 */

declare const digestBrand: unique symbol;
declare const diffIdBrand: unique symbol;

/** Digest of a blob as stored: `sha256:<64 hex>` (compressed layer, manifest, config). */
export type Digest = string & { readonly [digestBrand]: "Digest" };

/** Digest of a layer's uncompressed tar, as listed in the config's `rootfs.diff_ids`. */
export type DiffId = string & { readonly [diffIdBrand]: "DiffId" };

/** Digest algorithms this package verifies, with the length of their hex encoding. */
export const DIGEST_ALGORITHMS: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

/** A supported digest algorithm name. */
export type DigestAlgorithm = "sha256" | "sha384" | "sha512";

/** The part of a digest string that is wrong. */
export type InvalidDigestReason = "format" | "length" | "algorithm";

// OCI image-spec descriptor.md: algorithm and encoded grammar.
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Go-digest's wording for each failure, which BuildKit prints verbatim. */
const GO_PHRASES: Record<InvalidDigestReason, string> = {
  format: "invalid checksum digest format",
  length: "invalid checksum digest length",
  algorithm: "unsupported digest algorithm",
};

/** Thrown by {@link parseDigest} when a string is not a valid digest. */
export class InvalidDigestError extends SyntaxError {
  /** The string that was parsed. */
  readonly input: string;
  /** Which part is wrong. */
  readonly reason: InvalidDigestReason;
  /** The go-digest error text for this reason (e.g. `invalid checksum digest length`). */
  readonly phrase: string;

  /** Builds the error; `detail` explains the problem after the go-digest phrase. */
  constructor(input: string, reason: InvalidDigestReason, detail: string) {
    super(`${GO_PHRASES[reason]}: ${JSON.stringify(input)}: ${detail}`);
    this.name = "InvalidDigestError";
    this.input = input;
    this.reason = reason;
    this.phrase = GO_PHRASES[reason];
  }
}

/** The pieces of a parsed digest. */
export interface ParsedDigest {
  /** Algorithm name, e.g. `sha256`. */
  algorithm: DigestAlgorithm;
  /** Lower-case hex encoding. */
  hex: string;
  /** The whole digest string. */
  digest: Digest;
}

/**
 * Parses and validates `algorithm:hex` (sha256, sha384 or sha512, lower-case
 * hex of the algorithm's length), as go-digest's `Digest.Validate` does.
 *
 * @throws {InvalidDigestError} with `reason` `format`, `length` or `algorithm`.
 *
 * @example
 * ```ts
 * import { parseDigest } from "./digest.ts";
 * const d = parseDigest("sha256:" + "a".repeat(64));
 * console.assert(d.algorithm === "sha256" && d.hex.length === 64);
 * ```
 */
export function parseDigest(s: string): ParsedDigest {
  const colon = s.indexOf(":");
  if (colon <= 0 || colon === s.length - 1) {
    throw new InvalidDigestError(s, "format", "expected <algorithm>:<hex>");
  }
  const algorithm = s.slice(0, colon);
  const hex = s.slice(colon + 1);
  const size = DIGEST_ALGORITHMS[algorithm];
  if (size === undefined || !Object.hasOwn(DIGEST_ALGORITHMS, algorithm)) {
    if (!DIGEST_GRAMMAR.test(s)) {
      throw new InvalidDigestError(s, "format", "not an <algorithm>:<encoded> string");
    }
    throw new InvalidDigestError(
      s,
      "algorithm",
      `algorithm ${JSON.stringify(algorithm)} is not one of sha256, sha384, sha512`,
    );
  }
  if (hex.length !== size) {
    throw new InvalidDigestError(
      s,
      "length",
      `${algorithm} needs ${size} hex characters, got ${hex.length}`,
    );
  }
  if (!/^[a-f0-9]+$/.test(hex)) {
    throw new InvalidDigestError(s, "format", "the encoded part must be lower-case hex");
  }
  return { algorithm: algorithm as DigestAlgorithm, hex, digest: s as Digest };
}

/**
 * Reports whether a string is a valid digest (see {@link parseDigest}).
 *
 * @example
 * ```ts
 * import { isDigest } from "./digest.ts";
 * console.assert(!isDigest("sha256:xyz"));
 * ```
 */
export function isDigest(s: string): s is Digest {
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds a digest from a hex string (lower-cased), checking its length.
 *
 * @example
 * ```ts
 * import { digestFromHex } from "./digest.ts";
 * console.assert(digestFromHex("AB".repeat(32)) === "sha256:" + "ab".repeat(32));
 * ```
 */
export function digestFromHex(hex: string, algorithm: DigestAlgorithm = "sha256"): Digest {
  return parseDigest(`${algorithm}:${hex.toLowerCase()}`).digest;
}

/**
 * Builds a diff ID (uncompressed layer digest) from a hex string.
 *
 * @example
 * ```ts
 * import { diffIdFromHex } from "./digest.ts";
 * console.assert(diffIdFromHex("0".repeat(64)).startsWith("sha256:"));
 * ```
 */
export function diffIdFromHex(hex: string, algorithm: DigestAlgorithm = "sha256"): DiffId {
  return parseDigest(`${algorithm}:${hex.toLowerCase()}`).digest as string as DiffId;
}

/**
 * Validates a string as a diff ID.
 *
 * @throws {InvalidDigestError} when the string is not a valid digest.
 *
 * @example
 * ```ts
 * import { parseDiffId } from "./digest.ts";
 * console.assert(parseDiffId("sha256:" + "0".repeat(64)).length === 71);
 * ```
 */
export function parseDiffId(s: string): DiffId {
  return parseDigest(s).digest as string as DiffId;
}

/**
 * Reinterprets a diff ID as a blob digest: right only for uncompressed layers,
 * whose blob is the tar itself.
 *
 * @example
 * ```ts
 * import { diffIdFromHex, diffIdAsDigest } from "./digest.ts";
 * const id = diffIdFromHex("1".repeat(64));
 * console.assert(diffIdAsDigest(id) === "sha256:" + "1".repeat(64));
 * ```
 */
export function diffIdAsDigest(diffId: DiffId): Digest {
  return diffId as string as Digest;
}
