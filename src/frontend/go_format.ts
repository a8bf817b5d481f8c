// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Go `fmt` renderings that BuildKit writes into image history (`%q` and `%v`
 * of string slices, `time.Duration` strings). History texts must match byte
 * for byte, so these follow Go's rules rather than JavaScript's.
 *
 * @module
 */

import { goQuote } from "./_deps.ts";

/**
 * Renders a string slice like Go's `fmt.Sprintf("%q", slice)`: `["a" "b"]`.
 *
 * @example
 * ```ts
 * import { goQuoteList } from "./go_format.ts";
 * console.assert(goQuoteList(["/bin/sh", "-c", "x"]) === '["/bin/sh" "-c" "x"]');
 * ```
 */
export function goQuoteList(list: readonly string[]): string {
  return "[" + list.map(goQuote).join(" ") + "]";
}

/**
 * Renders a string slice like Go's `fmt.Sprintf("%v", slice)`: `[a b]`.
 *
 * @example
 * ```ts
 * import { goList } from "./go_format.ts";
 * console.assert(goList(["/a", "/b"]) === "[/a /b]");
 * ```
 */
export function goList(list: readonly string[]): string {
  return "[" + list.join(" ") + "]";
}

function fracString(v: bigint, prec: number): string {
  // v is an integer count of 10^-prec units; print with trailing zeros removed.
  const unit = 10n ** BigInt(prec);
  const whole = v / unit;
  let frac = (v % unit).toString().padStart(prec, "0").replace(/0+$/, "");
  if (frac !== "") frac = "." + frac;
  return whole.toString() + frac;
}

/**
 * Formats nanoseconds like Go's `time.Duration.String()` (`1m30s`, `500ms`, `0s`).
 *
 * @example
 * ```ts
 * import { goDuration } from "./go_format.ts";
 * console.assert(goDuration(90_000_000_000) === "1m30s");
 * ```
 */
export function goDuration(nanoseconds: number | bigint): string {
  let d = BigInt(nanoseconds);
  const neg = d < 0n;
  if (neg) d = -d;
  let out: string;
  if (d === 0n) return "0s";
  if (d < 1_000_000_000n) {
    if (d < 1_000n) out = d.toString() + "ns";
    else if (d < 1_000_000n) out = fracString(d, 3) + "µs";
    else out = fracString(d, 6) + "ms";
  } else {
    const h = d / 3_600_000_000_000n;
    const rem = d % 3_600_000_000_000n;
    const m = rem / 60_000_000_000n;
    const sNs = rem % 60_000_000_000n;
    out = fracString(sNs, 9) + "s";
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return neg ? "-" + out : out;
}
