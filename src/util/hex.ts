// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Lower-case hexadecimal encoding of bytes.
 *
 * @module
 */

const HEX_DIGITS = "0123456789abcdef";
const BYTE_TO_HEX: string[] = Array.from(
  { length: 256 },
  (_, i) => HEX_DIGITS[i >> 4]! + HEX_DIGITS[i & 15]!,
);

/**
 * Encodes bytes as lower-case hexadecimal, two digits per byte.
 *
 * @example
 * ```ts
 * import { encodeHex } from "./hex.ts";
 * console.assert(encodeHex(new Uint8Array([0, 171, 255])) === "00abff");
 * ```
 */
export function encodeHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!]!;
  return out;
}

/**
 * Decodes a hexadecimal string (either case) into bytes.
 *
 * @throws {TypeError} when the string has an odd length or a non-hex digit.
 *
 * @example
 * ```ts
 * import { decodeHex } from "./hex.ts";
 * console.assert(decodeHex("00abFF")[1] === 171);
 * ```
 */
export function decodeHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) {
    throw new TypeError(`Cannot decode hex: odd length ${hex.length}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = hex.slice(i * 2, i * 2 + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) {
      throw new TypeError(`Cannot decode hex: invalid digits "${pair}" at offset ${i * 2}`);
    }
    out[i] = parseInt(pair, 16);
  }
  return out;
}
