// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Go `time.Duration` parsing and formatting, for HEALTHCHECK flags and the
 * history text derived from them. Durations are integer nanoseconds.
 *
 * @module
 */

import { goTimeQuote } from "./_go_quote.ts";

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const LIMIT = 1n << 63n;

/** One nanosecond, millisecond, second…, as numbers of nanoseconds. */
export const Duration = {
  nanosecond: 1,
  microsecond: 1_000,
  millisecond: 1_000_000,
  second: 1_000_000_000,
  minute: 60_000_000_000,
  hour: 3_600_000_000_000,
} as const;

/**
 * Parses a Go duration string (`1h30m`, `1.5s`, `-2ms`, `0`) like
 * `time.ParseDuration`, returning nanoseconds as a bigint (exact for the
 * whole int64 range).
 *
 * @throws {Error} with Go's message, e.g. `time: invalid duration "x"`.
 *
 * @example
 * ```ts
 * import { parseDurationBigInt } from "./duration.ts";
 * console.assert(parseDurationBigInt("1m30s") === 90_000_000_000n);
 * ```
 */
export function parseDurationBigInt(input: string): bigint {
  const invalid = () => new Error(`time: invalid duration ${goTimeQuote(input)}`);
  let s = input;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]!))) throw invalid();
    // Integer part.
    let i = 0;
    let v = 0n;
    while (i < s.length && isDigit(s[i]!)) {
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > LIMIT) throw invalid();
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    // Fraction part.
    let f = 0n;
    let scale = 1n;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && isDigit(s[j]!)) {
        if (!overflow) {
          const next = f * 10n + BigInt(s.charCodeAt(j) - 48);
          if (next > LIMIT) overflow = true;
          else {
            f = next;
            scale *= 10n;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    // Unit.
    let k = 0;
    while (k < s.length && !(s[k] === "." || isDigit(s[k]!))) k++;
    if (k === 0) throw new Error(`time: missing unit in duration ${goTimeQuote(input)}`);
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS[u];
    if (unit === undefined) {
      throw new Error(`time: unknown unit ${goTimeQuote(u)} in duration ${goTimeQuote(input)}`);
    }
    if (v > LIMIT / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes this part in float64: f * (unit / scale), truncated.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / Number(scale))));
      if (v > LIMIT) throw invalid();
    }
    total += v;
    if (total > LIMIT) throw invalid();
  }
  if (neg) return -total;
  if (total > LIMIT - 1n) throw invalid();
  return total;
}

/**
 * Parses a Go duration string into nanoseconds (a number; exact up to about
 * 104 days, which covers every realistic health-check interval).
 *
 * @throws {Error} with Go's message, e.g. `time: missing unit in duration "5"`.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * console.assert(parseDuration("1.5s") === 1_500_000_000);
 * ```
 */
export function parseDuration(input: string): number {
  return Number(parseDurationBigInt(input));
}

/**
 * Formats nanoseconds like Go's `Duration.String()`: `1h0m0s`, `1.5s`,
 * `500ms`, `1µs`, `0s`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * console.assert(formatDuration(90_000_000_000) === "1m30s");
 * console.assert(formatDuration(1_500_000) === "1.5ms");
 * ```
 */
export function formatDuration(ns: number | bigint): string {
  let d = typeof ns === "bigint" ? ns : BigInt(Math.trunc(ns));
  if (d === 0n) return "0s";
  const neg = d < 0n;
  if (neg) d = -d;
  let out: string;
  if (d < 1_000_000_000n) {
    if (d < 1_000n) out = `${d}ns`;
    else if (d < 1_000_000n) out = `${fraction(d, 3)}\u00b5s`;
    else out = `${fraction(d, 6)}ms`;
  } else {
    const secondsPart = d % 60_000_000_000n;
    let rest = d / 60_000_000_000n;
    out = `${fraction(secondsPart, 9)}s`;
    if (rest > 0n) {
      out = `${rest % 60n}m${out}`;
      rest /= 60n;
      if (rest > 0n) out = `${rest}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** `v / 10^prec` written with the fractional digits' trailing zeros removed. */
function fraction(v: bigint, prec: number): string {
  const div = 10n ** BigInt(prec);
  const whole = v / div;
  const frac = (v % div).toString().padStart(prec, "0").replace(/0+$/, "");
  return frac === "" ? `${whole}` : `${whole}.${frac}`;
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}
