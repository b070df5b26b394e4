import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RelayErrorCode } from '../../../src/core/errors.js';
import { buildTokenInput, generateNonce, TOKEN_INPUT_LENGTH } from '../../../src/core/protocol/token-input.js';
import { expectRelayError } from './relay-error-assertions.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Token input vector (Persona's Go `crypto_test.go` constants). */
const NONCE = 'a'.repeat(64);
const MAC = 'b'.repeat(64);
const KEY_ID_65 = 'c'.repeat(65);
const EXPECTED_65 =
  '0002ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eba0fab1377f49a759b57f63318262ebe89fabfc990e8e93ceac2984561482b9d4b30855e510446ac34706c5acafeedefd5122fe9446b3f812db11e1ac3b4d0cf2';
const LAST_BLOCK_KEY_ID_64 = '52b6419d27bd7f547cee3b92f8c17a908b8a49601ecbec161e5030de1dfe9e0a';

describe('buildTokenInput', () => {
  it('matches the vector with key id "c" × 65', () => {
    const input = buildTokenInput({ nonce: NONCE, mac: MAC, tokenKeyId: KEY_ID_65 });
    expect(input).toHaveLength(TOKEN_INPUT_LENGTH);
    expect(hex(input)).toBe(EXPECTED_65);
  });

  it('matches the vector with key id "c" × 64', () => {
    const input = buildTokenInput({ nonce: NONCE, mac: MAC, tokenKeyId: 'c'.repeat(64) });
    expect(hex(input)).toBe(EXPECTED_65.slice(0, 2 * 66) + LAST_BLOCK_KEY_ID_64);
  });

  it('has the documented layout: type, then the three digests in order', () => {
    const input = buildTokenInput({ nonce: NONCE, mac: MAC, tokenKeyId: KEY_ID_65 });
    expect(hex(input.subarray(0, 2))).toBe('0002');
    expect(hex(input.subarray(2, 34))).toBe('ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb');
    expect(hex(input.subarray(34, 66))).toBe('a0fab1377f49a759b57f63318262ebe89fabfc990e8e93ceac2984561482b9d4');
    expect(hex(input.subarray(66, 98))).toBe('b30855e510446ac34706c5acafeedefd5122fe9446b3f812db11e1ac3b4d0cf2');
  });

  it('hashes the key id as text, never hex-decoded or re-cased', () => {
    const lower = buildTokenInput({ nonce: NONCE, mac: MAC, tokenKeyId: 'abcdef' });
    const upper = buildTokenInput({ nonce: NONCE, mac: MAC, tokenKeyId: 'ABCDEF' });
    expect(hex(lower.subarray(66))).toBe(createHash('sha256').update('abcdef').digest('hex'));
    expect(hex(upper.subarray(66))).not.toBe(hex(lower.subarray(66)));
  });

  it('hashes the mac as UTF-8 text exactly as given (non-ASCII too)', () => {
    const input = buildTokenInput({ nonce: NONCE, mac: 'mäc ', tokenKeyId: 'k' });
    expect(hex(input.subarray(34, 66))).toBe(createHash('sha256').update(Buffer.from('mäc ', 'utf8')).digest('hex'));
  });

  it('returns a plain Uint8Array owning its buffer', () => {
    const input = buildTokenInput({ nonce: NONCE, mac: MAC, tokenKeyId: KEY_ID_65 });
    expect(Buffer.isBuffer(input)).toBe(false);
    expect(input.buffer.byteLength).toBe(98);
  });

  it.each([
    ['upper-case hex', 'A'.repeat(64)],
    ['63 characters', 'a'.repeat(63)],
    ['65 characters', 'a'.repeat(65)],
    ['non-hex', 'g'.repeat(64)],
    ['empty', ''],
    ['trailing newline', `${'a'.repeat(64)}\n`],
  ])('rejects a nonce that is %s', (_label, nonce) => {
    const error = expectRelayError(() => buildTokenInput({ nonce, mac: MAC, tokenKeyId: 'k' }), RelayErrorCode.INVALID_TOKEN);
    expect(error.context).toMatchObject({ field: 'nonce' });
  });

  it('rejects an empty mac or key id', () => {
    expect(
      expectRelayError(() => buildTokenInput({ nonce: NONCE, mac: '', tokenKeyId: 'k' }), RelayErrorCode.INVALID_CHALLENGE).context,
    ).toMatchObject({ field: 'mac' });
    expect(
      expectRelayError(() => buildTokenInput({ nonce: NONCE, mac: MAC, tokenKeyId: '' }), RelayErrorCode.INVALID_CHALLENGE).context,
    ).toMatchObject({ field: 'tokenKeyId' });
  });

  it('throws TypeError for non-string parts', () => {
    expect(() => buildTokenInput({ nonce: NONCE, mac: 1 as unknown as string, tokenKeyId: 'k' })).toThrow(TypeError);
    expect(() => buildTokenInput({ nonce: undefined as unknown as string, mac: MAC, tokenKeyId: 'k' })).toThrow(TypeError);
    expect(() => buildTokenInput({ nonce: NONCE, mac: MAC, tokenKeyId: null as unknown as string })).toThrow(TypeError);
  });
});

describe('generateNonce', () => {
  it('makes 64 lowercase hex characters', () => {
    expect(generateNonce()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is different every time', () => {
    const nonces = new Set(Array.from({ length: 100 }, () => generateNonce()));
    expect(nonces.size).toBe(100);
  });

  it('renders the 32 bytes of the source as hex and asks for exactly 32', () => {
    const requested: number[] = [];
    const nonce = generateNonce((n) => {
      requested.push(n);
      return Uint8Array.from({ length: n }, (_, i) => i * 8);
    });
    expect(requested).toEqual([32]);
    expect(nonce).toBe(Array.from({ length: 32 }, (_, i) => (i * 8).toString(16).padStart(2, '0')).join(''));
  });

  it('can be used as a token input nonce', () => {
    expect(buildTokenInput({ nonce: generateNonce(), mac: MAC, tokenKeyId: 'k' })).toHaveLength(98);
  });

  it('throws TypeError when the source misbehaves', () => {
    expect(() => generateNonce(() => new Uint8Array(31))).toThrow(TypeError);
    expect(() => generateNonce(() => 'x'.repeat(32) as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => generateNonce('random' as unknown as () => Uint8Array)).toThrow(TypeError);
  });
});
