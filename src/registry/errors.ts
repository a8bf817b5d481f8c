// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Errors of the registry client. Messages never hold a credential: every
 * text that came from the network or a URL goes through {@linkcode redact}.
 *
 * @module
 */

import { redact } from "./redact.ts";

/** One entry of a registry's JSON error body (`{"errors":[{code,message,detail}]}`). */
export interface RegistryErrorEntry {
  /** Error code, e.g. `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `UNAUTHORIZED`, `DENIED`. */
  code: string;
  /** Human-readable message. */
  message: string;
  /** Extra detail, as sent. */
  detail?: unknown;
}

/** Options of {@linkcode RegistryError}. */
export interface RegistryErrorOptions {
  /** HTTP status, when the error came from a response. */
  status?: number;
  /** Error entries parsed from the response body. */
  errors?: RegistryErrorEntry[];
  /** Whether retrying may succeed (429, 5xx, broken connection). */
  temporary?: boolean;
  /** HTTP method and redacted URL of the failed request. */
  request?: string;
  /** Strings to redact from the message (passwords, tokens). */
  secrets?: Iterable<string>;
  /** Milliseconds the registry asked to wait (`Retry-After`). */
  retryAfterMs?: number;
  /** The underlying error. */
  cause?: unknown;
}

const TEMPORARY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Reports whether an HTTP status is worth retrying (408, 429, 500, 502, 503, 504).
 *
 * @example
 * ```ts
 * import { isTemporaryStatus } from "./errors.ts";
 * console.assert(isTemporaryStatus(503) && !isTemporaryStatus(404));
 * ```
 */
export function isTemporaryStatus(status: number): boolean {
  return TEMPORARY_STATUS.has(status);
}

/**
 * A failed registry operation: the HTTP status, the registry's error codes,
 * and whether a retry may succeed.
 *
 * @example
 * ```ts
 * import { RegistryError } from "./errors.ts";
 * const e = new RegistryError("pull failed", { status: 503 });
 * console.assert(e.temporary && e.status === 503);
 * ```
 */
export class RegistryError extends Error {
  /** HTTP status, when known. */
  readonly status: number | undefined;
  /** The registry's error entries. */
  readonly errors: RegistryErrorEntry[];
  /** Whether retrying may succeed. */
  readonly temporary: boolean;
  /** Milliseconds the registry asked to wait before a retry. */
  readonly retryAfterMs: number | undefined;

  /** Builds the error; the message is redacted. */
  constructor(message: string, options: RegistryErrorOptions = {}) {
    const errors = options.errors ?? [];
    let text = message;
    if (options.request !== undefined) text += ` (${options.request})`;
    if (options.status !== undefined) text += `: HTTP ${options.status}`;
    if (errors.length > 0) {
      text += `: ${errors.map((e) => `${e.code}: ${e.message}`).join("; ")}`;
    }
    super(redact(text, options.secrets ?? []), { cause: options.cause });
    this.name = "RegistryError";
    this.status = options.status;
    this.errors = errors;
    this.temporary = options.temporary ??
      (options.status !== undefined && isTemporaryStatus(options.status));
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Whether one of the registry's error entries has `code`. */
  hasCode(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

/**
 * Parses a registry's JSON error body; returns `[]` for anything else.
 *
 * @example
 * ```ts
 * import { parseErrorBody } from "./errors.ts";
 * const e = parseErrorBody('{"errors":[{"code":"DENIED","message":"no"}]}');
 * console.assert(e[0]?.code === "DENIED");
 * ```
 */
export function parseErrorBody(text: string): RegistryErrorEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof value !== "object" || value === null) return [];
  const list = (value as { errors?: unknown }).errors;
  if (!Array.isArray(list)) return [];
  const out: RegistryErrorEntry[] = [];
  for (const item of list) {
    if (typeof item !== "object" || item === null) continue;
    const { code, message, detail } = item as Record<string, unknown>;
    const entry: RegistryErrorEntry = {
      code: typeof code === "string" ? code : "UNKNOWN",
      message: typeof message === "string" ? message : "",
    };
    if (detail !== undefined) entry.detail = detail;
    out.push(entry);
  }
  return out;
}

/** Thrown when bytes fetched from a registry do not match their digest or size. */
export class RegistryDigestError extends RegistryError {
  /** The digest that was asked for. */
  readonly expected: string;
  /** What the bytes hashed to (or their size, for a size mismatch). */
  readonly actual: string;

  /** Builds the error for the content named `what`. */
  constructor(what: string, expected: string, actual: string) {
    super(
      `${what} failed verification: expected ${expected}, got ${actual}; the content was not kept`,
      { temporary: false },
    );
    this.name = "RegistryDigestError";
    this.expected = expected;
    this.actual = actual;
  }
}
