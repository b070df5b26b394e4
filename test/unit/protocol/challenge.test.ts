import { describe, expect, it } from 'vitest';
import { RelayErrorCode } from '../../../src/core/errors.js';
import { encodeBase64url } from '../../../src/core/protocol/base64url.js';
import {
  decodeChallenge,
  decodeChallengeObject,
  isChallengeUsable,
  type DecodedChallenge,
} from '../../../src/core/protocol/challenge.js';
import { expectRelayError } from './relay-error-assertions.js';

/** Persona's challenge vector: 218 bytes of compact JSON with mac = "b" × 64. */
const VECTOR =
  'eyJ0b2tlbl90eXBlIjoyLCJpc3N1ZXJfbmFtZSI6IndpdGhwZXJzb25hLmNvbS9hcGkvdjEvcHJpdmFjeS1wYXNzZXMiLCJvcmlnaW5faW5mbyI6Ii9hcGkvcHJpdmFjeS92MS9yZWxheXMiLCJleHBpcmVzX2F0IjoiMjAyNi0wNS0xOFQxODowMDowMFoiLCJtYWMiOiJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiIn0';
const VECTOR_FIELDS = {
  token_type: 2,
  issuer_name: 'withpersona.com/api/v1/privacy-passes',
  origin_info: '/api/privacy/v1/relays',
  expires_at: '2026-05-18T18:00:00Z',
  mac: 'b'.repeat(64),
};

const encodeJsonText = (text: string) => encodeBase64url(Buffer.from(text, 'utf8'));
const encodeJson = (value: unknown) => encodeJsonText(JSON.stringify(value));

describe('decodeChallenge', () => {
  it('decodes the challenge vector', () => {
    expect(VECTOR).toHaveLength(291);
    expect(Buffer.from(VECTOR, 'base64url')).toHaveLength(218);
    const challenge = decodeChallenge(VECTOR);
    expect(challenge.fields).toEqual(VECTOR_FIELDS);
    expect(challenge.mac).toBe('b'.repeat(64));
    expect(challenge.expiresAt.toISOString()).toBe('2026-05-18T18:00:00.000Z');
  });

  it('keeps the field order, so the echo serialises to the same bytes', () => {
    const challenge = decodeChallenge(VECTOR);
    expect(encodeJson(challenge.fields)).toBe(VECTOR);
  });

  it('accepts the vector with padding', () => {
    const padded = VECTOR + '='.repeat((4 - (VECTOR.length % 4)) % 4);
    expect(decodeChallenge(padded).mac).toBe('b'.repeat(64));
  });

  it('keeps unknown fields, nested values included, and freezes everything', () => {
    const fields = { ...VECTOR_FIELDS, redemption_context: 'abc', extra: { nested: [1, { deep: true }] }, n: null };
    const challenge = decodeChallenge(encodeJson(fields));
    expect(challenge.fields).toEqual(fields);
    expect(Object.isFrozen(challenge)).toBe(true);
    expect(Object.isFrozen(challenge.fields)).toBe(true);
    expect(Object.isFrozen((challenge.fields['extra'] as { nested: unknown[] }).nested)).toBe(true);
  });

  it('does not check issuer_name or origin_info', () => {
    const fields = { ...VECTOR_FIELDS, issuer_name: 'mock issuer', origin_info: 42 };
    expect(decodeChallenge(encodeJson(fields)).fields).toEqual(fields);
    const { issuer_name: _issuer, origin_info: _origin, ...minimal } = VECTOR_FIELDS;
    expect(decodeChallenge(encodeJson(minimal)).mac).toBe('b'.repeat(64));
  });

  it('accepts an expires_at with an offset or fraction', () => {
    const challenge = decodeChallenge(encodeJson({ ...VECTOR_FIELDS, expires_at: '2026-05-18T20:00:00.250+02:00' }));
    expect(challenge.expiresAt.toISOString()).toBe('2026-05-18T18:00:00.250Z');
  });

  it('keeps a __proto__ member as data without touching prototypes', () => {
    const challenge = decodeChallenge(encodeJsonText(`{"token_type":2,"mac":"m","expires_at":"2026-05-18T18:00:00Z","__proto__":{"x":1}}`));
    expect(Object.hasOwn(challenge.fields, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expect(JSON.stringify(challenge.fields)).toContain('"__proto__":{"x":1}');
  });

  it.each([
    ['token_type "2" (a string)', { ...VECTOR_FIELDS, token_type: '2' }, 'token_type is missing or not a number'],
    ['token_type 3', { ...VECTOR_FIELDS, token_type: 3 }, 'token_type is not 2 (Blind RSA)'],
    ['token_type 1', { ...VECTOR_FIELDS, token_type: 1 }, 'token_type is not 2 (Blind RSA)'],
    ['token_type 2.5', { ...VECTOR_FIELDS, token_type: 2.5 }, 'token_type is not 2 (Blind RSA)'],
    ['token_type true', { ...VECTOR_FIELDS, token_type: true }, 'token_type is missing or not a number'],
    ['token_type null', { ...VECTOR_FIELDS, token_type: null }, 'token_type is missing or not a number'],
    ['no token_type', { ...VECTOR_FIELDS, token_type: undefined }, 'token_type is missing or not a number'],
    ['no mac', { ...VECTOR_FIELDS, mac: undefined }, 'mac is missing or not a non-empty string'],
    ['empty mac', { ...VECTOR_FIELDS, mac: '' }, 'mac is missing or not a non-empty string'],
    ['numeric mac', { ...VECTOR_FIELDS, mac: 123 }, 'mac is missing or not a non-empty string'],
    ['mac object', { ...VECTOR_FIELDS, mac: { a: 1 } }, 'mac is missing or not a non-empty string'],
    ['no expires_at', { ...VECTOR_FIELDS, expires_at: undefined }, 'expires_at is missing or not an RFC 3339 date-time'],
    ['numeric expires_at', { ...VECTOR_FIELDS, expires_at: 1779127200 }, 'expires_at is missing or not an RFC 3339 date-time'],
    ['date-only expires_at', { ...VECTOR_FIELDS, expires_at: '2026-05-18' }, 'expires_at is missing or not an RFC 3339 date-time'],
    ['Date.parse-only expires_at', { ...VECTOR_FIELDS, expires_at: 'Mon, 18 May 2026 18:00:00 GMT' }, 'expires_at is missing or not an RFC 3339 date-time'],
    ['impossible date', { ...VECTOR_FIELDS, expires_at: '2026-02-30T18:00:00Z' }, 'expires_at is missing or not an RFC 3339 date-time'],
    ['local time', { ...VECTOR_FIELDS, expires_at: '2026-05-18T18:00:00' }, 'expires_at is missing or not an RFC 3339 date-time'],
  ])('rejects %s', (_label, fields, problem) => {
    const error = expectRelayError(() => decodeChallenge(encodeJson(fields)), RelayErrorCode.INVALID_CHALLENGE);
    expect(error.message).toBe(`challenge ${problem}`);
    expect(error.context['field']).toBe(problem.split(' ')[0]);
  });

  it.each([
    ['a JSON array', encodeJson([VECTOR_FIELDS]), 'challenge is not a JSON object'],
    ['JSON null', encodeJson(null), 'challenge is not a JSON object'],
    ['a JSON string', encodeJson('x'), 'challenge is not a JSON object'],
    ['a JSON number', encodeJson(2), 'challenge is not a JSON object'],
    ['not JSON', encodeJsonText('{token_type:2}'), 'challenge is not valid JSON'],
    ['truncated JSON', VECTOR.slice(0, 100), 'challenge is not valid JSON'],
    ['empty', '', 'challenge is not valid JSON'],
    ['invalid UTF-8', encodeBase64url(new Uint8Array([0x7b, 0xff, 0x7d])), 'challenge is not UTF-8'],
  ])('rejects %s', (_label, text, message) => {
    const error = expectRelayError(() => decodeChallenge(text), RelayErrorCode.INVALID_CHALLENGE);
    expect(error.message).toBe(message);
  });

  it.each([
    ['standard alphabet', VECTOR.replace(/-/g, '+').replace(/_/g, '/') + '+'],
    ['a space', `${VECTOR.slice(0, 10)} ${VECTOR.slice(10)}`],
    ['an impossible length (293 ≡ 1 mod 4)', `${VECTOR}AA`],
    ['a stray character', `${VECTOR}*`],
  ])('rejects base64url with %s, keeping the base64url error as cause', (_label, text) => {
    const error = expectRelayError(() => decodeChallenge(text), RelayErrorCode.INVALID_CHALLENGE);
    expect(error.message).toBe('challenge is not valid base64url');
    expect((error.cause as { code?: string }).code).toBe(RelayErrorCode.INVALID_BASE64URL);
  });

  it('rejects an oversized challenge before decoding it', () => {
    const error = expectRelayError(() => decodeChallenge('A'.repeat(16 * 1024 + 4)), RelayErrorCode.INVALID_CHALLENGE);
    expect(error.message).toContain('longer than');
  });

  it('throws TypeError for a non-string', () => {
    expect(() => decodeChallenge(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('decodeChallengeObject', () => {
  it('checks and copies an object', () => {
    const input = { ...VECTOR_FIELDS, extra: { a: 1 } };
    const challenge = decodeChallengeObject(input);
    expect(challenge.fields).toEqual(input);
    expect(challenge.fields).not.toBe(input);
    expect(Object.isFrozen(input)).toBe(false);
    expect(Object.isFrozen(challenge.fields)).toBe(true);
  });

  it.each([null, [], 'x', 2, undefined])('rejects %j', (value) => {
    expectRelayError(() => decodeChallengeObject(value), RelayErrorCode.INVALID_CHALLENGE);
  });

  it('applies the same field checks', () => {
    expectRelayError(() => decodeChallengeObject({ ...VECTOR_FIELDS, token_type: '2' }), RelayErrorCode.INVALID_CHALLENGE);
  });
});

describe('isChallengeUsable', () => {
  const challenge: DecodedChallenge = decodeChallenge(VECTOR); // expires 2026-05-18T18:00:00Z
  const at = (text: string) => new Date(text);

  it('is usable before expires_at − margin and not from then on', () => {
    expect(isChallengeUsable(challenge, at('2026-05-18T17:54:59.999Z'), 5 * 60_000)).toBe(true);
    expect(isChallengeUsable(challenge, at('2026-05-18T17:55:00.000Z'), 5 * 60_000)).toBe(false);
    expect(isChallengeUsable(challenge, at('2026-05-18T19:00:00Z'), 5 * 60_000)).toBe(false);
  });

  it('with no margin, is usable until the instant of expiry', () => {
    expect(isChallengeUsable(challenge, at('2026-05-18T17:59:59.999Z'), 0)).toBe(true);
    expect(isChallengeUsable(challenge, at('2026-05-18T18:00:00.000Z'), 0)).toBe(false);
  });

  it('throws TypeError on misuse', () => {
    expect(() => isChallengeUsable(challenge, new Date(Number.NaN), 0)).toThrow(TypeError);
    expect(() => isChallengeUsable(challenge, '2026-05-18' as unknown as Date, 0)).toThrow(TypeError);
    expect(() => isChallengeUsable(challenge, new Date(), -1)).toThrow(TypeError);
    expect(() => isChallengeUsable(challenge, new Date(), Number.NaN)).toThrow(TypeError);
    expect(() => isChallengeUsable(challenge, new Date(), Infinity)).toThrow(TypeError);
    expect(() => isChallengeUsable({} as DecodedChallenge, new Date(), 0)).toThrow(TypeError);
    expect(() => isChallengeUsable(null as unknown as DecodedChallenge, new Date(), 0)).toThrow(TypeError);
  });
});
