import { constants, generateKeyPairSync, sign, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { RelayErrorCode } from '../../../src/core/errors.js';
import { encodeBase64url } from '../../../src/core/protocol/base64url.js';
import { decodeChallenge } from '../../../src/core/protocol/challenge.js';
import {
  decodePrivacyPassToken,
  encodePrivacyPassToken,
  formatPrivateTokenAuthorization,
  type PrivacyPassToken,
} from '../../../src/core/protocol/privacy-pass-token.js';
import { buildTokenInput, generateNonce } from '../../../src/core/protocol/token-input.js';
import { expectNoSecretIn, expectRelayError } from './relay-error-assertions.js';

const CHALLENGE_B64URL =
  'eyJ0b2tlbl90eXBlIjoyLCJpc3N1ZXJfbmFtZSI6IndpdGhwZXJzb25hLmNvbS9hcGkvdjEvcHJpdmFjeS1wYXNzZXMiLCJvcmlnaW5faW5mbyI6Ii9hcGkvcHJpdmFjeS92MS9yZWxheXMiLCJleHBpcmVzX2F0IjoiMjAyNi0wNS0xOFQxODowMDowMFoiLCJtYWMiOiJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiIn0';
const CHALLENGE_JSON = Buffer.from(CHALLENGE_B64URL, 'base64url').toString('utf8');
const challenge = decodeChallenge(CHALLENGE_B64URL).fields;
const NONCE = 'a'.repeat(64);
const KEY_ID = 'c'.repeat(64);
const signature = Uint8Array.from({ length: 256 }, (_, i) => i);

const token: PrivacyPassToken = { tokenNonce: NONCE, signature, keyId: KEY_ID, challenge };

/** base64url of arbitrary JSON members, to build malformed tokens. */
const rawToken = (members: Record<string, unknown>) => Buffer.from(JSON.stringify(members), 'utf8').toString('base64url');
const validMembers = () => ({
  token_nonce: NONCE,
  signature: encodeBase64url(signature),
  key_id: KEY_ID,
  challenge: JSON.parse(CHALLENGE_JSON) as Record<string, unknown>,
});

describe('encodePrivacyPassToken', () => {
  it('produces compact JSON in key order (token_nonce, signature, key_id, challenge), challenge echoed as an object', () => {
    const encoded = encodePrivacyPassToken(token);
    expect(encoded.startsWith('eyJ0b2tlbl9ub25jZSI6I')).toBe(true);
    expect(encoded).not.toContain('=');
    const json = Buffer.from(encoded, 'base64url').toString('utf8');
    expect(json).toBe(
      `{"token_nonce":"${NONCE}","signature":"${encodeBase64url(signature)}","key_id":"${KEY_ID}","challenge":${CHALLENGE_JSON}}`,
    );
  });

  it('echoes unknown challenge fields byte for byte', () => {
    const extended = decodeChallenge(
      Buffer.from(`{"token_type":2,"zeta":[1,{"b":null}],"mac":"m","expires_at":"2026-05-18T18:00:00Z","alpha":"é"}`).toString('base64url'),
    ).fields;
    const json = Buffer.from(encodePrivacyPassToken({ ...token, challenge: extended }), 'base64url').toString('utf8');
    expect(json.endsWith(`"challenge":{"token_type":2,"zeta":[1,{"b":null}],"mac":"m","expires_at":"2026-05-18T18:00:00Z","alpha":"é"}}`)).toBe(true);
  });

  it('accepts signatures of 256 to 512 bytes', () => {
    expect(() => encodePrivacyPassToken({ ...token, signature: new Uint8Array(384) })).not.toThrow();
    expect(() => encodePrivacyPassToken({ ...token, signature: new Uint8Array(512) })).not.toThrow();
  });

  it.each([
    ['an upper-case nonce', { tokenNonce: 'A'.repeat(64) }, 'token_nonce'],
    ['a short nonce', { tokenNonce: 'a'.repeat(63) }, 'token_nonce'],
    ['a 255-byte signature', { signature: new Uint8Array(255) }, 'signature'],
    ['a 513-byte signature', { signature: new Uint8Array(513) }, 'signature'],
    ['an empty signature', { signature: new Uint8Array(0) }, 'signature'],
    ['an empty key id', { keyId: '' }, 'key_id'],
    ['a challenge without mac', { challenge: { ...challenge, mac: undefined } }, 'challenge'],
    ['a challenge with token_type "2"', { challenge: { ...challenge, token_type: '2' } }, 'challenge'],
    ['a challenge array', { challenge: [] as unknown as Record<string, unknown> }, 'challenge'],
    ['a missing challenge', { challenge: undefined as unknown as Record<string, unknown> }, 'challenge'],
  ])('rejects %s', (_label, change, field) => {
    const error = expectRelayError(() => encodePrivacyPassToken({ ...token, ...change }), RelayErrorCode.INVALID_TOKEN);
    expect(error.context).toMatchObject({ field });
  });

  it('throws TypeError on misuse', () => {
    expect(() => encodePrivacyPassToken(null as unknown as PrivacyPassToken)).toThrow(TypeError);
    expect(() => encodePrivacyPassToken({ ...token, signature: [1, 2] as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => encodePrivacyPassToken({ ...token, tokenNonce: 1 as unknown as string })).toThrow(TypeError);
    expect(() => encodePrivacyPassToken({ ...token, keyId: undefined as unknown as string })).toThrow(TypeError);
  });
});

describe('decodePrivacyPassToken', () => {
  it('round-trips', () => {
    const decoded = decodePrivacyPassToken(encodePrivacyPassToken(token));
    expect(decoded.tokenNonce).toBe(NONCE);
    expect(decoded.keyId).toBe(KEY_ID);
    expect(decoded.signature).toEqual(signature);
    expect(decoded.challenge).toEqual(challenge);
    expect(Object.isFrozen(decoded.challenge)).toBe(true);
  });

  it('round-trips a token with a generated nonce and an opaque key id', () => {
    const original = { ...token, tokenNonce: generateNonce(), keyId: 'abc123' };
    expect(decodePrivacyPassToken(encodePrivacyPassToken(original))).toEqual(original);
  });

  it('accepts a padded token', () => {
    const encoded = rawToken({ ...validMembers(), key_id: 'k' });
    const padded = encoded + '='.repeat((4 - (encoded.length % 4)) % 4);
    expect(padded).not.toBe(encoded);
    expect(decodePrivacyPassToken(padded).keyId).toBe('k');
  });

  it('carries a real RSA-PSS signature over the token input (end to end with node:crypto)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const nonce = generateNonce();
    const decoded = decodeChallenge(CHALLENGE_B64URL);
    const input = buildTokenInput({ nonce, mac: decoded.mac, tokenKeyId: KEY_ID });
    const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 };
    const realSignature = sign('sha384', input, { key: privateKey, ...pss });
    const parsed = decodePrivacyPassToken(
      encodePrivacyPassToken({ tokenNonce: nonce, signature: realSignature, keyId: KEY_ID, challenge: decoded.fields }),
    );
    const rebuilt = buildTokenInput({ nonce: parsed.tokenNonce, mac: String(parsed.challenge['mac']), tokenKeyId: parsed.keyId });
    expect(verify('sha384', rebuilt, { key: publicKey, ...pss }, parsed.signature)).toBe(true);
  });

  it.each([
    ['token_nonce missing', { token_nonce: undefined }, 'token token_nonce is missing or not a string'],
    ['token_nonce a number', { token_nonce: 1 }, 'token token_nonce is missing or not a string'],
    ['token_nonce upper-case', { token_nonce: 'A'.repeat(64) }, 'token token_nonce is not 64 lowercase hex characters'],
    ['token_nonce 66 characters', { token_nonce: 'a'.repeat(66) }, 'token token_nonce is not 64 lowercase hex characters'],
    ['signature missing', { signature: undefined }, 'token signature is missing or not a string'],
    ['signature an array', { signature: [1, 2] }, 'token signature is missing or not a string'],
    ['signature standard base64', { signature: `+/${encodeBase64url(signature).slice(2)}` }, 'token signature is not valid base64url'],
    ['signature too short', { signature: encodeBase64url(new Uint8Array(255)) }, 'token signature is not 256–512 bytes long'],
    ['signature too long', { signature: encodeBase64url(new Uint8Array(513)) }, 'token signature is not 256–512 bytes long'],
    ['key_id missing', { key_id: undefined }, 'token key_id is missing or not a string'],
    ['key_id a number', { key_id: 7 }, 'token key_id is missing or not a string'],
    ['key_id empty', { key_id: '' }, 'token key_id is empty'],
    ['challenge missing', { challenge: undefined }, 'token challenge is not a valid challenge object'],
    ['challenge a base64url string', { challenge: CHALLENGE_B64URL }, 'token challenge is not a valid challenge object'],
    ['challenge an array', { challenge: [] }, 'token challenge is not a valid challenge object'],
    ['challenge token_type "2"', { challenge: { ...validMembers().challenge, token_type: '2' } }, 'token challenge is not a valid challenge object'],
    ['challenge without expires_at', { challenge: { ...validMembers().challenge, expires_at: undefined } }, 'token challenge is not a valid challenge object'],
    ['an unexpected member', { extra: 1 }, 'token has unexpected members'],
  ])('rejects %s', (_label, change, message) => {
    const error = expectRelayError(() => decodePrivacyPassToken(rawToken({ ...validMembers(), ...change })), RelayErrorCode.INVALID_TOKEN);
    expect(error.message).toBe(message);
  });

  it('keeps the challenge error as cause', () => {
    const error = expectRelayError(
      () => decodePrivacyPassToken(rawToken({ ...validMembers(), challenge: { ...validMembers().challenge, mac: '' } })),
      RelayErrorCode.INVALID_TOKEN,
    );
    expect((error.cause as { code?: string }).code).toBe(RelayErrorCode.INVALID_CHALLENGE);
  });

  it.each([
    ['not base64url', `${encodePrivacyPassToken(token)}*`, 'token is not valid base64url'],
    ['an impossible length', 'eyJ0b', 'token is not valid base64url'],
    ['empty', '', 'token is not valid JSON'],
    ['not JSON', Buffer.from('token_nonce=a').toString('base64url'), 'token is not valid JSON'],
    ['a JSON array', Buffer.from('[]').toString('base64url'), 'token is not a JSON object'],
    ['JSON null', Buffer.from('null').toString('base64url'), 'token is not a JSON object'],
    ['invalid UTF-8', encodeBase64url(new Uint8Array([0x7b, 0xc3, 0x7d])), 'token is not UTF-8'],
  ])('rejects a token that is %s', (_label, text, message) => {
    expect(expectRelayError(() => decodePrivacyPassToken(text), RelayErrorCode.INVALID_TOKEN).message).toBe(message);
  });

  it('rejects an oversized token', () => {
    const error = expectRelayError(() => decodePrivacyPassToken('A'.repeat(32 * 1024 + 4)), RelayErrorCode.INVALID_TOKEN);
    expect(error.message).toContain('longer than');
  });

  it('never echoes the token or its parts', () => {
    const encoded = rawToken({ ...validMembers(), token_nonce: 'Z'.repeat(64) });
    const error = expectRelayError(() => decodePrivacyPassToken(encoded), RelayErrorCode.INVALID_TOKEN);
    expectNoSecretIn(error, encoded);
    expectNoSecretIn(error, 'Z'.repeat(64));
    const bad = `${encodePrivacyPassToken(token)}!`;
    expectNoSecretIn(expectRelayError(() => decodePrivacyPassToken(bad), RelayErrorCode.INVALID_TOKEN), bad.slice(0, 40));
  });

  it('throws TypeError for a non-string', () => {
    expect(() => decodePrivacyPassToken({} as unknown as string)).toThrow(TypeError);
  });
});

describe('formatPrivateTokenAuthorization', () => {
  let encoded: string;
  beforeAll(() => {
    encoded = encodePrivacyPassToken(token);
  });

  it('formats the unquoted header value', () => {
    expect(formatPrivateTokenAuthorization(encoded)).toBe(`PrivateToken token=${encoded}`);
  });

  it.each([
    ['empty', ''],
    ['padded', 'YQ=='],
    ['with a space', 'YWJj YWJj'],
    ['with CRLF (header injection)', 'YWJj\r\nX-Evil: 1'],
    ['with a quote', 'YWJj"'],
    ['standard base64', 'a+b/'],
    ['an impossible length', 'YWJjY'],
  ])('rejects a token that is %s', (_label, value) => {
    const error = expectRelayError(() => formatPrivateTokenAuthorization(value), RelayErrorCode.INVALID_TOKEN);
    if (value !== '') expectNoSecretIn(error, value);
  });

  it('throws TypeError for a non-string', () => {
    expect(() => formatPrivateTokenAuthorization(undefined as unknown as string)).toThrow(TypeError);
  });
});
