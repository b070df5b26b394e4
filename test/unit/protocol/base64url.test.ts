import { describe, expect, it } from 'vitest';
import { RelayErrorCode } from '../../../src/core/errors.js';
import {
  decodeBase64Flexible,
  decodeBase64url,
  encodeBase64url,
  isBase64url,
} from '../../../src/core/protocol/base64url.js';
import { expectNoSecretIn, expectRelayError } from './relay-error-assertions.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('encodeBase64url', () => {
  it('encodes with the url-safe alphabet and no padding', () => {
    expect(encodeBase64url(bytes(0xfb, 0xff))).toBe('-_8');
    expect(encodeBase64url(bytes(0x61))).toBe('YQ');
    expect(encodeBase64url(bytes(0x61, 0x62))).toBe('YWI');
    expect(encodeBase64url(bytes(0x61, 0x62, 0x63))).toBe('YWJj');
    expect(encodeBase64url(new Uint8Array(0))).toBe('');
  });

  it('encodes only the viewed bytes of a subarray', () => {
    const backing = bytes(1, 2, 0x61, 0x62, 3);
    expect(encodeBase64url(backing.subarray(2, 4))).toBe('YWI');
  });

  it('accepts a Buffer', () => {
    expect(encodeBase64url(Buffer.from('abc'))).toBe('YWJj');
  });

  it('throws TypeError for non-bytes', () => {
    expect(() => encodeBase64url('abc' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => encodeBase64url([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('decodeBase64url', () => {
  it('decodes unpadded and padded text', () => {
    expect(decodeBase64url('YWI', 'x')).toEqual(bytes(0x61, 0x62));
    expect(decodeBase64url('YWI=', 'x')).toEqual(bytes(0x61, 0x62));
    expect(decodeBase64url('YQ', 'x')).toEqual(bytes(0x61));
    expect(decodeBase64url('YQ==', 'x')).toEqual(bytes(0x61));
    expect(decodeBase64url('YWJj', 'x')).toEqual(bytes(0x61, 0x62, 0x63));
    expect(decodeBase64url('-_8', 'x')).toEqual(bytes(0xfb, 0xff));
    expect(decodeBase64url('', 'x')).toEqual(new Uint8Array(0));
  });

  it('round-trips every byte value at every length modulo 3', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const length of [253, 254, 255, 256]) {
      const slice = all.subarray(0, length);
      expect(decodeBase64url(encodeBase64url(slice), 'x')).toEqual(Uint8Array.from(slice));
    }
  });

  it('returns a plain Uint8Array owning its whole buffer (not a pooled Buffer view)', () => {
    const decoded = decodeBase64url('YWI', 'x');
    expect(Buffer.isBuffer(decoded)).toBe(false);
    expect(decoded.byteOffset).toBe(0);
    expect(decoded.buffer.byteLength).toBe(2);
  });

  it.each([
    ['standard alphabet +', 'ab+c'],
    ['standard alphabet /', 'ab/c'],
    ['space inside', 'YW I'],
    ['leading space', ' YWI'],
    ['newline', 'YWI\n'],
    ['dot', 'YW.I'],
    ['non-ASCII', 'YWé'],
    ['NUL', 'YW\u0000I'],
    ['padding in the middle', 'YQ==YQ=='],
    ['three padding characters', 'Y==='],
    ['only padding', '=='],
    ['single padding character alone', '='],
  ])('rejects %s', (_label, text) => {
    const error = expectRelayError(() => decodeBase64url(text, 'token-key'), RelayErrorCode.INVALID_BASE64URL);
    expect(error.message).toContain('token-key');
    expect(error.context).toMatchObject({ what: 'token-key', length: text.length });
  });

  it.each([
    ['length 1 mod 4', 'A'],
    ['length 5', 'AAAAA'],
    ['length 1 mod 4 with padding', 'AAAAA==='],
  ])('rejects an impossible length (%s)', (_label, text) => {
    expectRelayError(() => decodeBase64url(text, 'x'), RelayErrorCode.INVALID_BASE64URL);
  });

  it.each([
    ['one = after two characters', 'YQ='],
    ['two = after three characters', 'YWI=='],
    ['padding after a full quartet', 'YWJj='],
    ['two = after a full quartet', 'YWJj=='],
  ])('rejects padding that does not complete a quartet (%s)', (_label, text) => {
    expectRelayError(() => decodeBase64url(text, 'x'), RelayErrorCode.INVALID_BASE64URL);
  });

  it('never echoes the value', () => {
    const secret = 'c2VjcmV0LXRva2VuLXZhbHVl+';
    const error = expectRelayError(() => decodeBase64url(secret, 'token'), RelayErrorCode.INVALID_BASE64URL);
    expectNoSecretIn(error, secret);
  });

  it('throws TypeError for non-string arguments', () => {
    expect(() => decodeBase64url(42 as unknown as string, 'x')).toThrow(TypeError);
    expect(() => decodeBase64url('YQ', undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('isBase64url', () => {
  it('accepts well-formed text, padded or not', () => {
    for (const text of ['', 'YQ', 'YQ==', 'YWI', 'YWI=', 'YWJj', '-_8', 'AAAA']) expect(isBase64url(text)).toBe(true);
  });

  it('rejects malformed text', () => {
    for (const text of ['A', 'YQ=', 'a+b/', 'YW I', '===', 'YWJj=']) expect(isBase64url(text)).toBe(false);
  });

  it('throws TypeError for a non-string', () => {
    expect(() => isBase64url(null as unknown as string)).toThrow(TypeError);
  });
});

describe('decodeBase64Flexible', () => {
  const data = bytes(0xfb, 0xff, 0xbf);

  it.each([
    ['standard, padded', '+/+/', data],
    ['url-safe', '-_-_', data],
    ['standard two bytes padded', '+/8=', bytes(0xfb, 0xff)],
    ['standard two bytes unpadded', '+/8', bytes(0xfb, 0xff)],
    ['url-safe two bytes padded', '-_8=', bytes(0xfb, 0xff)],
    ['url-safe two bytes unpadded', '-_8', bytes(0xfb, 0xff)],
    ['letters only', 'YWJj', bytes(0x61, 0x62, 0x63)],
    ['line-wrapped (MIME style)', 'YW\r\nJj\n', bytes(0x61, 0x62, 0x63)],
    ['with spaces and tabs', ' YW Jj\t', bytes(0x61, 0x62, 0x63)],
    ['empty', '', new Uint8Array(0)],
  ])('decodes %s', (_label, text, expected) => {
    expect(decodeBase64Flexible(text, 'claim payload')).toEqual(expected);
  });

  it.each([
    ['mixed alphabets', '+_8='],
    ['another mix', '-/8='],
    ['bad character', 'YW*j'],
    ['impossible length', 'YWJjY'],
    ['bad padding', 'YWI=='],
    ['padding in the middle', 'YQ==YQ=='],
  ])('rejects %s', (_label, text) => {
    const error = expectRelayError(() => decodeBase64Flexible(text, 'claim payload'), RelayErrorCode.INVALID_BASE64URL);
    expect(error.context).toMatchObject({ what: 'claim payload' });
  });

  it('throws TypeError for non-string arguments', () => {
    expect(() => decodeBase64Flexible(Buffer.from('YQ') as unknown as string, 'x')).toThrow(TypeError);
    expect(() => decodeBase64Flexible('YQ', 1 as unknown as string)).toThrow(TypeError);
  });
});
