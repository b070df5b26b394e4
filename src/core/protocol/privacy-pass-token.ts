/**
 * Persona's Privacy Pass token and its redemption header.
 *
 * The token is compact UTF-8 JSON `{"token_nonce","signature","key_id","challenge"}` (in that order) as
 * base64url. It is a bearer secret until spent: nothing here puts it, or any part of it, into an error.
 */
import { RelayError, RelayErrorCode } from '../errors.js';
import { decodeBase64url, encodeBase64url, isBase64url } from './base64url.js';
import { decodeChallengeObject } from './challenge.js';
import { decodeUtf8Strict, isJsonObject, parseJsonObject } from './json.js';

/** A Privacy Pass token, decoded. */
export interface PrivacyPassToken {
  /** 64 lowercase hex characters; its SHA-256 is in the signed input. */
  tokenNonce: string;
  /** The unblinded RSA signature, k bytes (256–512 for 2048–4096-bit keys). */
  signature: Uint8Array;
  /** The `token-key-id` the token was issued under, verbatim. */
  keyId: string;
  /** The decoded challenge object, every field preserved (see `DecodedChallenge.fields`). */
  challenge: Readonly<Record<string, unknown>>;
}

const TOKEN_NONCE_PATTERN = /^[0-9a-f]{64}$/;
/** Signatures are k bytes for a 2048–4096-bit modulus. */
const MIN_SIGNATURE_BYTES = 256;
const MAX_SIGNATURE_BYTES = 512;
/** A token is about 1 KB (RSA-2048) to 1.5 KB (RSA-4096); the challenge inside is bounded at 16 KiB. */
const MAX_TOKEN_LENGTH = 32 * 1024;
const TOKEN_KEYS = ['token_nonce', 'signature', 'key_id', 'challenge'] as const;

/**
 * Serialises a token: compact JSON with keys `token_nonce`, `signature` (base64url), `key_id`,
 * `challenge` (the object as given), then base64url. The result starts with `eyJ0b2tlbl9ub25jZSI6I`.
 *
 * @throws RelayError `INVALID_TOKEN` when a field is malformed (nonce not 64 lowercase hex, signature
 *   not 256–512 bytes, empty key id, challenge not a checked challenge object)
 */
export function encodePrivacyPassToken(token: PrivacyPassToken): string {
  if (!isJsonObject(token)) throw new TypeError('encodePrivacyPassToken expects a PrivacyPassToken object');
  const { tokenNonce, signature, keyId, challenge } = token;
  if (typeof tokenNonce !== 'string' || !(signature instanceof Uint8Array) || typeof keyId !== 'string') {
    throw new TypeError('encodePrivacyPassToken expects tokenNonce: string, signature: Uint8Array, keyId: string');
  }
  checkNonce(tokenNonce);
  checkSignatureLength(signature.length);
  checkKeyId(keyId);
  checkChallenge(challenge);
  const json = JSON.stringify({ token_nonce: tokenNonce, signature: encodeBase64url(signature), key_id: keyId, challenge });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/**
 * Parses and strictly checks a token: base64url (padded or not) of a UTF-8 JSON object with exactly the
 * four members, `token_nonce` 64 lowercase hex, `signature` base64url of 256–512 bytes, `key_id` a
 * non-empty string and `challenge` an object passing the checks of {@link decodeChallengeObject}.
 *
 * @throws RelayError `INVALID_TOKEN` naming the failing field (never its value)
 */
export function decodePrivacyPassToken(text: string): PrivacyPassToken {
  if (typeof text !== 'string') throw new TypeError('decodePrivacyPassToken expects a string');
  if (text.length > MAX_TOKEN_LENGTH) {
    throw invalidToken(`is longer than ${MAX_TOKEN_LENGTH} characters`, { length: text.length });
  }
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64url(text, 'token');
  } catch (error) {
    throw invalidToken('is not valid base64url', { length: text.length }, error);
  }
  const json = decodeUtf8Strict(bytes);
  if (json === undefined) throw invalidToken('is not UTF-8');
  const parsed = parseJsonObject(json);
  if ('problem' in parsed) throw invalidToken(parsed.problem);
  const fields = parsed.object;

  const unexpected = Object.keys(fields).filter((key) => !(TOKEN_KEYS as readonly string[]).includes(key));
  if (unexpected.length > 0) throw invalidToken('has unexpected members', { unexpectedMembers: unexpected.length });

  const { token_nonce: tokenNonce, signature: signatureText, key_id: keyId, challenge } = fields;
  if (typeof tokenNonce !== 'string') throw invalidToken('token_nonce is missing or not a string', { field: 'token_nonce' });
  checkNonce(tokenNonce);
  if (typeof signatureText !== 'string') throw invalidToken('signature is missing or not a string', { field: 'signature' });
  let signature: Uint8Array;
  try {
    signature = decodeBase64url(signatureText, 'signature');
  } catch (error) {
    throw invalidToken('signature is not valid base64url', { field: 'signature' }, error);
  }
  checkSignatureLength(signature.length);
  if (typeof keyId !== 'string') throw invalidToken('key_id is missing or not a string', { field: 'key_id' });
  checkKeyId(keyId);
  return { tokenNonce, signature, keyId, challenge: checkChallenge(challenge) };
}

/**
 * The redemption `Authorization` value: `PrivateToken token=<token>`, unquoted. Only unpadded
 * base64url is accepted: those characters are all HTTP `token` characters, `=` is not.
 *
 * @throws RelayError `INVALID_TOKEN` when `token` is empty, padded or not base64url (which also rules
 *   out header injection)
 */
export function formatPrivateTokenAuthorization(token: string): string {
  if (typeof token !== 'string') throw new TypeError('formatPrivateTokenAuthorization expects a string');
  if (token.length === 0 || token.includes('=') || !isBase64url(token)) {
    throw invalidToken('is empty, padded or not base64url', { length: token.length });
  }
  return `PrivateToken token=${token}`;
}

function checkNonce(tokenNonce: string): void {
  if (!TOKEN_NONCE_PATTERN.test(tokenNonce)) {
    throw invalidToken('token_nonce is not 64 lowercase hex characters', { field: 'token_nonce' });
  }
}

function checkSignatureLength(length: number): void {
  if (length < MIN_SIGNATURE_BYTES || length > MAX_SIGNATURE_BYTES) {
    throw invalidToken(`signature is not ${MIN_SIGNATURE_BYTES}–${MAX_SIGNATURE_BYTES} bytes long`, {
      field: 'signature',
      bytes: length,
    });
  }
}

function checkKeyId(keyId: string): void {
  if (keyId.length === 0) throw invalidToken('key_id is empty', { field: 'key_id' });
}

/** The embedded challenge must be one the client would have accepted; returns its frozen copy. */
function checkChallenge(challenge: unknown): Readonly<Record<string, unknown>> {
  try {
    return decodeChallengeObject(challenge).fields;
  } catch (error) {
    if (!(error instanceof RelayError)) throw error;
    throw invalidToken('challenge is not a valid challenge object', { field: 'challenge' }, error);
  }
}

function invalidToken(problem: string, context: Record<string, unknown> = {}, cause?: unknown): RelayError {
  return new RelayError(RelayErrorCode.INVALID_TOKEN, `token ${problem}`, { context, cause });
}
