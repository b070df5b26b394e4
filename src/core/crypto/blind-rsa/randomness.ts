/**
 * Where blinding randomness comes from. Production always uses the CSPRNG;
 * tests replace it to reproduce RFC 9474 vectors and to compare engines byte
 * for byte.
 */
import { randomFillSync } from 'node:crypto';
import { bytesToBigInt } from './bigint-bytes.js';
import type { RsaPublicKeyInfo } from './rsa-public-key.js';

/**
 * Supplies the two random values of RFC 9474 `Blind`: the PSS salt and the
 * blinding factor r.
 *
 * **For tests only.** Fixed or predictable values let anyone who sees the
 * blinded message link it to the final token, which defeats the point of blind
 * signatures. Leave the engines' `randomSource` option unset in production.
 *
 * @example
 * ```ts
 * const fixed: BlindingRandomSource = {
 *   salt: (length) => vectorSalt,          // 48 bytes
 *   blindingFactor: (length) => rBytes,    // k bytes, 1 ≤ r < n
 * };
 * const engine = new NodeCryptoBlindRsaEngine({ randomSource: fixed });
 * ```
 */
export interface BlindingRandomSource {
  /** Returns exactly `length` bytes for the PSS salt. */
  salt(length: number): Uint8Array;
  /** Returns exactly `length` big-endian bytes, a candidate for r; candidates outside [1, n) are drawn again. */
  blindingFactor(length: number): Uint8Array;
}

/** The production source: Node's CSPRNG for both values. */
export const secureRandomSource: BlindingRandomSource = {
  salt: (length) => randomFillSync(new Uint8Array(length)),
  blindingFactor: (length) => randomFillSync(new Uint8Array(length)),
};

/** Attempts before giving up on finding r in [1, n); with the top bits masked each draw succeeds with probability > 1/2. */
const MAX_BLINDING_FACTOR_DRAWS = 128;

/**
 * Draws the PSS salt and checks its length.
 *
 * @throws TypeError when the source returns the wrong length
 */
export function drawSalt(source: BlindingRandomSource, length: number): Uint8Array<ArrayBuffer> {
  return checkedLength(source.salt(length), length, 'salt');
}

/**
 * Draws r uniformly from [1, n) by rejection sampling (RFC 9474
 * `random_integer_uniform`). Bits above the modulus length are cleared first:
 * that changes no candidate that could be accepted, and keeps rejections rare
 * for moduli whose length is not a multiple of 8.
 *
 * @throws TypeError when the source returns the wrong length or keeps returning values outside [1, n)
 */
export function drawBlindingFactor(
  source: BlindingRandomSource,
  key: Pick<RsaPublicKeyInfo, 'modulus' | 'modulusBits' | 'modulusBytes'>,
): { bytes: Uint8Array<ArrayBuffer>; value: bigint } {
  const { modulus, modulusBits, modulusBytes } = key;
  for (let draw = 0; draw < MAX_BLINDING_FACTOR_DRAWS; draw++) {
    const bytes = checkedLength(source.blindingFactor(modulusBytes), modulusBytes, 'blinding factor');
    bytes[0] &= 0xff >> (8 * modulusBytes - modulusBits);
    const value = bytesToBigInt(bytes);
    if (value > 0n && value < modulus) return { bytes, value };
  }
  throw new TypeError('the random source produced no blinding factor in [1, n)');
}

function checkedLength(bytes: Uint8Array, length: number, what: string): Uint8Array<ArrayBuffer> {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new TypeError(`the random source must return ${length} bytes for the ${what}`);
  }
  // A copy that owns its buffer: callers may transfer it to a worker.
  return new Uint8Array(bytes);
}
