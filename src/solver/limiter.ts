// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Runs at most `limit` tasks at once; waiting tasks leave the queue when their
 * signal aborts.
 *
 * @example
 * ```ts
 * import { Limiter } from "./limiter.ts";
 * const l = new Limiter(2);
 * const r = await l.run(() => Promise.resolve(42));
 * console.assert(r === 42);
 * ```
 */
export class Limiter {
  #active = 0;
  #queue: Array<() => void> = [];
  readonly limit: number;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`concurrency limit must be ≥ 1, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Runs `task` when a slot is free; rejects with the signal's reason if aborted while waiting. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    if (this.#active < this.limit) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      // The releasing task hands its slot over: `#active` stays the same.
      const start = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(start);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(signal?.reason ?? new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(start);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#active--;
  }
}
