// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Go `fmt` renderings that BuildKit writes into image history (`%q` and `%v`
 * of string slices, `time.Duration` strings). History texts must match byte
 * for byte, so these follow Go's rules rather than JavaScript's.
 *
 * @module
 */

function isPrintable(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp < 0xa0) return false;
  if (cp === 0xad) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  if (cp === 0xfffe || cp === 0xffff) return false;
  // Line/paragraph separators and other format characters are not graphic in Go.
  if (cp === 0x2028 || cp === 0x2029) return false;
  if (cp >= 0x200b && cp <= 0x200f) return false;
  if (cp >= 0x202a && cp <= 0x202e) return false;
  if (cp >= 0x2060 && cp <= 0x206f) return false;
  if (cp === 0xfeff) return false;
  return true;
}

/**
 * Quotes a string like Go's `strconv.Quote`.
 *
 * @example
 * ```ts
 * import { goQuote } from "./go_format.ts";
 * console.assert(goQuote('a"b\n') === '"a\\"b\\n"');
 * ```
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (isPrintable(cp)) {
      out += ch;
    } else if (cp < 0x80) {
      out += "\\x" + cp.toString(16).padStart(2, "0");
    } else if (cp < 0x10000) {
      out += "\\u" + cp.toString(16).padStart(4, "0");
    } else {
      out += "\\U" + cp.toString(16).padStart(8, "0");
    }
  }
  return out + '"';
}

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
