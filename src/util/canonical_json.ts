// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Canonical JSON: one byte sequence per value, so that it can be hashed.
 *
 * Rules (a subset of RFC 8785 / I-JSON that the build graph needs):
 * - object keys are sorted by UTF-16 code units (JavaScript's default sort);
 * - object properties whose value is `undefined` are omitted;
 * - no whitespace; strings and numbers are written as `JSON.stringify` writes them
 *   (which matches RFC 8785 for finite numbers; `-0` is written `0`);
 * - only plain objects, arrays, strings, finite numbers, booleans and `null`
 *   are accepted. Anything else throws a `TypeError`: `undefined` in an array,
 *   `NaN`/`Infinity`, bigints, functions, symbols, class instances (Date, Map,
 *   Uint8Array…), strings with lone surrogates, and cyclic structures.
 *
 * @module
 */

/**
 * Serializes a value as canonical JSON text.
 *
 * @throws {TypeError} for values that have no canonical JSON form (see the module doc).
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * console.assert(canonicalJson({ b: 1, a: [true, null], c: undefined }) === '{"a":[true,null],"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return write(value, []);
}

/** `ancestors` holds the open objects/arrays (for cycle detection) and the keys leading here. */
function write(value: unknown, ancestors: unknown[]): string {
  switch (typeof value) {
    case "string":
      if (!isWellFormed(value)) fail("lone surrogate in string", ancestors);
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) fail("non-finite number", ancestors);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      return fail(typeof value, ancestors);
  }
  if (value === null) return "null";
  for (let i = 0; i < ancestors.length; i += 2) {
    if (ancestors[i] === value) fail("cycle", ancestors);
  }
  let out: string;
  if (Array.isArray(value)) {
    out = "[";
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      ancestors.push(value, i);
      if (item === undefined) fail("undefined", ancestors);
      out += (i > 0 ? "," : "") + write(item, ancestors);
      ancestors.length -= 2;
    }
    return out + "]";
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    fail(`${name} instance`, ancestors);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  out = "{";
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    ancestors.push(value, key);
    if (!isWellFormed(key)) fail("lone surrogate in key", ancestors);
    out += (first ? "" : ",") + JSON.stringify(key) + ":" + write(item, ancestors);
    ancestors.length -= 2;
    first = false;
  }
  return out + "}";
}

function fail(what: string, ancestors: unknown[]): never {
  let path = "$";
  for (let i = 1; i < ancestors.length; i += 2) {
    const key = ancestors[i];
    path += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  }
  throw new TypeError(`Cannot serialize canonical JSON: ${what} at ${path}`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SURROGATE = /[\uD800-\uDFFF]/;

function isWellFormed(s: string): boolean {
  return !SURROGATE.test(s) || !LONE_SURROGATE.test(s);
}
