// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Go's `%q` / `strconv.Quote` for the strings that appear in BuildKit error
 * messages: ASCII printable characters are kept, `"` and `\` are escaped,
 * common control characters use their short escapes, other non-printable
 * characters use `\x`/`\u`/`\U`. Non-ASCII printable characters are kept.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c === 0x07) out += "\\a";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0b) out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c === 0xfffd) out += "\\ufffd";
    else if (isPrintable(c)) out += ch;
    else if (c < 0x10000) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += "\\U" + c.toString(16).padStart(8, "0");
  }
  return out + '"';
}

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

function isPrintable(c: number): boolean {
  // Approximation of Go's unicode.IsPrint for non-ASCII code points.
  if (c >= 0x80 && c < 0xa0) return false;
  if (c === 0xad) return false;
  if (c >= 0xd800 && c < 0xe000) return false;
  if (c === 0xfeff || (c >= 0x2028 && c <= 0x2029)) return false;
  if (c >= 0xe000 && c < 0xf900) return false;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}\u0020]/u.test(String.fromCodePoint(c));
}
