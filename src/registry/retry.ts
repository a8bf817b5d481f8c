// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Retries with exponential backoff and jitter, bounded in attempts and in
 * total time, for temporary registry failures: 408, 429, 5xx and broken
 * connections.
 *
 * @module
 */

import { RegistryError } from "./errors.ts";

/** Retry limits. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** Delay before the first retry in ms (default 200); doubles each time. */
  baseDelayMs?: number;
  /** Longest single delay in ms (default 5000). */
  maxDelayMs?: number;
  /** Give up once this many ms have passed since the first attempt (default 120000). */
  deadlineMs?: number;
  /** Called before each retry (for logs and progress). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Cancels the waits. */
  signal?: AbortSignal;
  /** Decides which errors are retried (default {@linkcode isRetryable}). */
  retryIf?: (error: unknown) => boolean;
}

/**
 * Reports whether an error is worth another attempt: a temporary
 * {@linkcode RegistryError}, or a network failure (fetch `TypeError`,
 * connection reset, a body cut short).
 *
 * @example
 * ```ts
 * import { isRetryable } from "./retry.ts";
 * console.assert(isRetryable(new TypeError("fetch failed")));
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof RegistryError) return error.temporary;
  if (!(error instanceof Error)) return false;
  if (error.name === "AbortError" || error.name === "TimeoutError") return false;
  if (error instanceof TypeError) return true; // fetch's network failure
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  return /connection|socket|network|reset|ECONN|EPIPE|unexpected end|closed|terminated/i
    .test(error.message);
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "ConnectionRefused",
  "ConnectionReset",
  "ConnectionClosed",
]);

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, fails with an error that is not retryable,
 * or the attempt or time budget is spent; then throws the last error.
 *
 * @example
 * ```ts
 * import { withRetry } from "./retry.ts";
 * let n = 0;
 * const v = await withRetry(() => {
 *   if (++n < 2) throw new TypeError("fetch failed");
 *   return Promise.resolve(n);
 * }, { baseDelayMs: 1 });
 * console.assert(v === 2);
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5000;
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= attempts || !(options.retryIf ?? isRetryable)(e)) throw e;
      const wanted = e instanceof RegistryError && e.retryAfterMs !== undefined
        ? e.retryAfterMs
        : base * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      const delay = Math.min(max, Math.max(0, wanted));
      if (Date.now() + delay > deadline) throw e;
      options.onRetry?.(e, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}

/**
 * Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./retry.ts";
 * console.assert(parseRetryAfter("2") === 2000);
 * ```
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
