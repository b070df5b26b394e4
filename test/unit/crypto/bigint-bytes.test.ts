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

  it('agrees with plain extended Euclid across sizes, including where the leading-bits shortcut cannot decide', () => {
    for (const bytes of [7, 32, 256, 384, 512]) {
      const modulus = bytesToBigInt(randomBytes(bytes)) | 1n | (1n << BigInt(bytes * 8 - 1));
      // Tiny values and values next to the modulus make the first quotients huge, which only a full step resolves.
      const values = [1n, 2n, 3n, modulus - 1n, modulus - 2n, ...Array.from({ length: 20 }, () => bytesToBigInt(randomBytes(bytes)))];
      for (const value of values) {
        const inverse = modInverse(value, modulus);
        let expected: bigint | undefined;
        try {
          expected = invertMod(value, modulus);
        } catch {
          expected = undefined;
        }
        expect(inverse).toBe(expected);
      }
    }
  });

  it('reduces negative and oversized values first', () => {
    const modulus = (1n << 2047n) + 1155n;
    const value = bytesToBigInt(randomBytes(200));
    const inverse = modInverse(value, modulus)!;
    expect(modInverse(value - 5n * modulus, modulus)).toBe(inverse);
    expect(modInverse(value + 7n * modulus, modulus)).toBe(inverse);
    expect(modInverse(1n, 1n)).toBe(0n);
  });

  it('reports a 2048-bit value sharing a large factor with the modulus', () => {
    const p = (1n << 1023n) + 1155n;
    const q = (1n << 1024n) - 189n;
    const modulus = p * q;
    expect(modInverse(p * 12345n, modulus)).toBeUndefined();
    expect(modInverse(q, modulus)).toBeUndefined();
    expect(modInverse(modulus, modulus)).toBeUndefined();
  });

  it('refuses a modulus that is not positive', () => {
    expect(() => modInverse(3n, 0n)).toThrow(RangeError);
    expect(() => modInverse(3n, -7n)).toThrow(RangeError);
  });
});
