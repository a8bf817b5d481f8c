// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * JSON text as Go's `encoding/json` writes it: object keys in the order given
 * (callers build objects in Go struct order, or sort map keys), `<`, `>`, `&`,
 * U+2028 and U+2029 escaped, `\b` and `\f` short escapes (Go 1.22+), lone
 * surrogates replaced by U+FFFD. `indent` reproduces `json.MarshalIndent(v, "", indent)`.
 *
 * @module
 */

/** A JSON value as produced by `JSON.parse`. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Quotes a string like Go's JSON encoder with HTML escaping on. */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = s.charCodeAt(i + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          out += s[i]! + s[i + 1]!;
          i++;
        } else {
          out += "\ufffd";
        }
        continue;
      }
      if (c === 0x2028) out += "\\u2028";
      else if (c === 0x2029) out += "\\u2029";
      else out += s[i]!;
      continue;
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x0c:
        out += "\\f";
        break;
      default:
        out += "\\u00" + c.toString(16).padStart(2, "0");
    }
  }
  return out + '"';
}

function encode(value: unknown, indent: string, depth: number): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        throw new RangeError(`Cannot encode ${value} as JSON: unsupported number`);
      }
      return String(value);
    case "string":
      return goJsonString(value);
    case "object":
      break;
    default:
      throw new TypeError(`Cannot encode a ${typeof value} as JSON`);
  }
  const nl = indent === "" ? "" : "\n" + indent.repeat(depth + 1);
  const close = indent === "" ? "" : "\n" + indent.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const parts = value.map((v) => nl + encode(v, indent, depth + 1));
    return "[" + parts.join(",") + close + "]";
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) =>
    v !== undefined
  );
  if (entries.length === 0) return "{}";
  const sep = indent === "" ? ":" : ": ";
  const parts = entries.map(([k, v]) => nl + goJsonString(k) + sep + encode(v, indent, depth + 1));
  return "{" + parts.join(",") + close + "}";
}

/**
 * Encodes a value as Go's `json.Marshal` (no indent) or `json.MarshalIndent`
 * would, keeping the object key order of `value`. `undefined` properties are
 * skipped (callers apply Go's `omitempty` before calling).
 */
export function goJson(value: unknown, indent = ""): string {
  return encode(value, indent, 0);
}

/** Compares strings by UTF-8 bytes, the order Go uses for sorted map keys. */
export function goStringCompare(a: string, b: string): number {
  // UTF-16 code unit order equals code point order except across surrogates;
  // compare by code points, which matches UTF-8 byte order.
  const ai = [...a];
  const bi = [...b];
  const n = Math.min(ai.length, bi.length);
  for (let i = 0; i < n; i++) {
    const x = ai[i]!.codePointAt(0)!;
    const y = bi[i]!.codePointAt(0)!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return ai.length - bi.length;
}

/** Returns a copy of a string map with keys in Go's sorted order (maps marshal sorted). */
export function sortedMap<T>(map: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(map).sort(goStringCompare)) out[key] = map[key]!;
  return out;
}

/**
 * Formats an RFC 3339 timestamp the way Go's `time.Time` marshals after a
 * round trip: fraction without trailing zeros, zero offsets as `Z`. Strings
 * that are not RFC 3339 are returned unchanged.
 */
export function goTimeString(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return s;
  let frac = (m[2] ?? "").replace(/0+$/, "");
  if (frac === ".") frac = "";
  if (frac.length > 10) frac = frac.slice(0, 10); // Go keeps nanoseconds only
  frac = frac.replace(/0+$/, "");
  if (frac === ".") frac = "";
  const zone = m[3] === "+00:00" || m[3] === "-00:00" ? "Z" : m[3]!;
  return m[1]! + frac + zone;
}
