// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/** Go's `%q` / `strconv.Quote`: one implementation for the whole parser (see ../dump.ts). */
export { goQuote } from "../dump.ts";

/**
 * The quoting of Go's `time` package error messages: `"` and `\` escaped,
 * every byte of a non-ASCII or control character written as `\xNN`.
 */
export function goTimeQuote(s: string): string {
  let out = '"';
  const enc = new TextEncoder();
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x80 || c < 0x20) {
      for (const b of enc.encode(ch)) out += "\\x" + b.toString(16).padStart(2, "0");
    } else {
      if (ch === '"' || ch === "\\") out += "\\";
      out += ch;
    }
  }
  return out + '"';
}
