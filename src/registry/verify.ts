// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Verification of fetched content against its descriptor: a stream that
 * hashes what passes through and fails at the end (or as soon as there are
 * too many bytes) when the digest or size is wrong.
 *
 * @module
 */

import { createHash } from "../runtime/mod.ts";
import { RegistryDigestError, RegistryError } from "./errors.ts";

/** The digest and size content must have. */
export interface ExpectedContent {
  /** `algorithm:hex`. */
  digest: string;
  /** Exact size in bytes, when known. */
  size?: number;
}

function algorithmOf(digest: string): string {
  const alg = digest.slice(0, digest.indexOf(":"));
  if (alg !== "sha256" && alg !== "sha384" && alg !== "sha512") {
    throw new RegistryError(`Unsupported digest algorithm in ${JSON.stringify(digest)}`);
  }
  return alg;
}

/**
 * The digest of bytes, in the algorithm of `like` (sha256 by default).
 *
 * @example
 * ```ts
 * import { digestOf } from "./verify.ts";
 * console.assert(digestOf(new Uint8Array()) === "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
 * ```
 */
export function digestOf(bytes: Uint8Array, like = "sha256:"): string {
  const alg = algorithmOf(like);
  return `${alg}:${createHash(alg).update(bytes).digest("hex")}`;
}

/**
 * Checks whole bytes against their digest and size.
 *
 * @throws {RegistryDigestError} on a mismatch.
 */
export function verifyBytes(bytes: Uint8Array, expected: ExpectedContent, what: string): void {
  if (expected.size !== undefined && bytes.byteLength !== expected.size) {
    throw new RegistryDigestError(what, `${expected.size} bytes`, `${bytes.byteLength} bytes`);
  }
  const actual = digestOf(bytes, expected.digest);
  if (actual !== expected.digest) throw new RegistryDigestError(what, expected.digest, actual);
}

/**
 * Wraps a stream so that it errors at its end when the bytes do not match
 * `expected` ({@linkcode RegistryDigestError}), and as soon as there are more
 * bytes than `expected.size`. A stream that ends short is reported as a
 * temporary {@linkcode RegistryError} (a cut connection).
 *
 * @example
 * ```ts
 * import { verifyStream, digestOf } from "./verify.ts";
 * const data = new TextEncoder().encode("hi");
 * const s = verifyStream(new Blob([data]).stream(), { digest: digestOf(data), size: 2 }, "blob");
 * console.assert((await new Response(s).text()) === "hi");
 * ```
 */
export function verifyStream(
  stream: ReadableStream<Uint8Array>,
  expected: ExpectedContent,
  what: string,
): ReadableStream<Uint8Array> {
  const hash = createHash(algorithmOf(expected.digest));
  let seen = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (expected.size !== undefined && seen > expected.size) {
          controller.error(
            new RegistryDigestError(what, `${expected.size} bytes`, `more than ${expected.size}`),
          );
          return;
        }
        hash.update(chunk);
        controller.enqueue(chunk);
      },
      flush(controller) {
        if (expected.size !== undefined && seen < expected.size) {
          controller.error(
            new RegistryError(
              `${what} ended after ${seen} of ${expected.size} bytes (connection cut short)`,
              { temporary: true },
            ),
          );
          return;
        }
        const actual = `${algorithmOf(expected.digest)}:${hash.digest("hex")}`;
        if (actual !== expected.digest) {
          controller.error(new RegistryDigestError(what, expected.digest, actual));
        }
      },
    }),
  );
}
