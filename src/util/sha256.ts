// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * A pure TypeScript SHA-256 (FIPS 180-4), incremental, for code that may not
 * touch a runtime's crypto module. WebCrypto cannot hash incrementally and is
 * asynchronous; this one is synchronous and streams.
 *
 * @module
 */

import { encodeHex } from "./hex.ts";

const K = new Uint32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

const INITIAL_STATE = [
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
];

/**
 * Incremental SHA-256. Feed bytes with {@linkcode Sha256.update}, then call
 * {@linkcode Sha256.digest} once.
 *
 * @example
 * ```ts
 * import { Sha256 } from "./sha256.ts";
 * import { encodeHex } from "./hex.ts";
 * const h = new Sha256();
 * h.update(new TextEncoder().encode("a"));
 * h.update(new TextEncoder().encode("bc"));
 * console.assert(
 *   encodeHex(h.digest()) ===
 *     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export class Sha256 {
  #state = new Int32Array(INITIAL_STATE);
  #block = new Uint8Array(64);
  #blockLength = 0;
  #bytesHashed = 0;
  #finished = false;

  /** Adds bytes to the hash. Returns `this` for chaining. */
  update(data: Uint8Array): this {
    if (this.#finished) throw new TypeError("Cannot update a finished SHA-256 hash");
    let pos = 0;
    const len = data.length;
    this.#bytesHashed += len;
    if (this.#blockLength > 0) {
      while (this.#blockLength < 64 && pos < len) this.#block[this.#blockLength++] = data[pos++]!;
      if (this.#blockLength === 64) {
        compress(this.#state, this.#block, 0);
        this.#blockLength = 0;
      }
    }
    while (len - pos >= 64) {
      compress(this.#state, data, pos);
      pos += 64;
    }
    while (pos < len) this.#block[this.#blockLength++] = data[pos++]!;
    return this;
  }

  /** Finishes the hash and returns the 32-byte digest. The object cannot be updated afterwards. */
  digest(): Uint8Array {
    if (!this.#finished) {
      this.#finished = true;
      const bitLength = this.#bytesHashed * 8;
      const block = this.#block;
      block[this.#blockLength++] = 0x80;
      if (this.#blockLength > 56) {
        block.fill(0, this.#blockLength);
        compress(this.#state, block, 0);
        this.#blockLength = 0;
      }
      block.fill(0, this.#blockLength);
      const high = Math.floor(bitLength / 0x100000000);
      const low = bitLength >>> 0;
      block[56] = high >>> 24;
      block[57] = high >>> 16;
      block[58] = high >>> 8;
      block[59] = high;
      block[60] = low >>> 24;
      block[61] = low >>> 16;
      block[62] = low >>> 8;
      block[63] = low;
      compress(this.#state, block, 0);
    }
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const v = this.#state[i]!;
      out[i * 4] = v >>> 24;
      out[i * 4 + 1] = v >>> 16;
      out[i * 4 + 2] = v >>> 8;
      out[i * 4 + 3] = v;
    }
    return out;
  }
}

/** Shared message schedule (hashing is synchronous, so one buffer suffices). */
const W = new Int32Array(64);

function compress(s: Int32Array, data: Uint8Array, offset: number): void {
  const w = W;
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!;
  let e = s[4]!, f = s[5]!, g = s[6]!, h = s[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + b) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + d) | 0;
  s[4] = (s[4]! + e) | 0;
  s[5] = (s[5]! + f) | 0;
  s[6] = (s[6]! + g) | 0;
  s[7] = (s[7]! + h) | 0;
}

/**
 * SHA-256 of in-memory bytes, as 32 raw bytes.
 *
 * @example
 * ```ts
 * import { sha256 } from "./sha256.ts";
 * console.assert(sha256(new Uint8Array()).length === 32);
 * ```
 */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Sha256().update(bytes).digest();
}

/**
 * SHA-256 of in-memory bytes, as 64 lower-case hex digits.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./sha256.ts";
 * console.assert(
 *   sha256Hex(new TextEncoder().encode("abc")) ===
 *     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export function sha256Hex(bytes: Uint8Array): string {
  return encodeHex(sha256(bytes));
}
