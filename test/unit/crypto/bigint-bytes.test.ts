import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bigIntToBytes, bytesToBigInt, modInverse } from '../../../src/core/crypto/blind-rsa/bigint-bytes.js';
import { invertMod } from './helpers/rsa-fixtures.js';

describe('bytesToBigInt / bigIntToBytes', () => {
  it('convert big-endian bytes both ways, left-padding with zeros', () => {
    expect(bytesToBigInt(new Uint8Array(0))).toBe(0n);
    expect(bytesToBigInt(Uint8Array.of(0, 0, 1, 0))).toBe(256n);
    expect([...bigIntToBytes(256n, 4)]).toEqual([0, 0, 1, 0]);
    expect([...bigIntToBytes(0n, 2)]).toEqual([0, 0]);
    expect([...bigIntToBytes(0xabcn, 2)]).toEqual([0x0a, 0xbc]);
    const random = new Uint8Array(randomBytes(512));
    expect(bigIntToBytes(bytesToBigInt(random), 512)).toEqual(random);
  });

  it('read only the view’s bytes and write into a buffer of their own', () => {
    const backing = Uint8Array.of(9, 1, 2, 9);
    expect(bytesToBigInt(backing.subarray(1, 3))).toBe(0x0102n);
    const out = bigIntToBytes(1n, 8);
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(8);
  });

  it('refuse values that do not fit or are negative', () => {
    expect(() => bigIntToBytes(256n, 1)).toThrow(RangeError);
    expect(() => bigIntToBytes(-1n, 4)).toThrow(RangeError);
  });
});

describe('modInverse', () => {
  it('inverts small examples and reports non-invertible values', () => {
    expect(modInverse(3n, 11n)).toBe(4n);
    expect(modInverse(10n, 11n)).toBe(10n);
    expect(modInverse(14n, 11n)).toBe(4n); // reduced first
    expect(modInverse(6n, 9n)).toBeUndefined();
    expect(modInverse(0n, 9n)).toBeUndefined();
  });

  it('agrees with an independent implementation on 2048- and 4096-bit values', () => {
    for (const bytes of [256, 512]) {
      const modulus = bytesToBigInt(randomBytes(bytes)) | 1n | (1n << BigInt(bytes * 8 - 1));
      for (let i = 0; i < 5; i++) {
        const value = bytesToBigInt(randomBytes(bytes)) % modulus;
        const inverse = modInverse(value, modulus);
        if (inverse === undefined) continue; // random odd modulus: a shared factor is possible
        expect(inverse).toBe(invertMod(value, modulus));
        expect((value * inverse) % modulus).toBe(1n);
      }
    }
  });
});
