/**
 * EMSA-PSS-ENCODE (RFC 8017, section 9.1.1) fixed to SHA-384 and MGF1-SHA-384, the
 * encoding RSABSSA-SHA384-PSS blinds. The salt is an argument so the caller
 * owns the randomness.
 */
import { hash } from 'node:crypto';

const SHA384_LENGTH = 48;

/**
 * Encodes `message` for a modulus of `emBits + 1` bits.
 *
 * @param emBits - modulus bit length minus one
 * @param salt - 48 random bytes for Persona's suite; any length works (RFC 9474's PSSZERO variants use none)
 * @returns EM, ceil(emBits / 8) bytes
 * @throws RangeError when the modulus is too short for the hash and salt (never for 2048+ bits)
 */
export function emsaPssEncodeSha384(message: Uint8Array, emBits: number, salt: Uint8Array): Uint8Array {
  const emLength = Math.ceil(emBits / 8);
  if (emLength < SHA384_LENGTH + salt.length + 2) throw new RangeError('modulus too short for EMSA-PSS with SHA-384');

  // M' = 8 zero bytes ‖ mHash ‖ salt; one-shot hashes skip the Hash object each streaming call would create.
  const prefixed = new Uint8Array(8 + SHA384_LENGTH + salt.length);
  prefixed.set(sha384(message), 8);
  prefixed.set(salt, 8 + SHA384_LENGTH);
  const h = sha384(prefixed);

  // EM = maskedDB ‖ H ‖ 0xbc, where DB = PS (zeros) ‖ 0x01 ‖ salt. Write the mask first, then
  // XOR DB's only non-zero bytes into it.
  const dbLength = emLength - SHA384_LENGTH - 1;
  const em = new Uint8Array(emLength);
  em.set(mgf1Sha384(h, dbLength), 0);
  const saltStart = dbLength - salt.length;
  em[saltStart - 1] ^= 0x01;
  for (let i = 0; i < salt.length; i++) em[saltStart + i] ^= salt[i];
  // Clear the bits above emBits so the integer stays below the modulus.
  em[0] &= 0xff >> (8 * emLength - emBits);
  em.set(h, dbLength);
  em[emLength - 1] = 0xbc;
  return em;
}

/** MGF1 (RFC 8017, appendix B.2.1) with SHA-384: hashes of seed ‖ counter, in one buffer whose counter is rewritten per block. */
function mgf1Sha384(seed: Uint8Array, length: number): Uint8Array {
  const mask = new Uint8Array(Math.ceil(length / SHA384_LENGTH) * SHA384_LENGTH);
  const seedAndCounter = new Uint8Array(seed.length + 4);
  seedAndCounter.set(seed);
  const counter = new DataView(seedAndCounter.buffer, seed.length);
  for (let block = 0; block * SHA384_LENGTH < length; block++) {
    counter.setUint32(0, block);
    mask.set(sha384(seedAndCounter), block * SHA384_LENGTH);
  }
  return mask.subarray(0, length);
}

function sha384(data: Uint8Array): Uint8Array {
  return hash('sha384', data, 'buffer');
}
