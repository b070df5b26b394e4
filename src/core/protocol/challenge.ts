/**
 * The challenge Persona MACs and the client echoes inside every token.
 *
 * The client checks only what it needs (type, MAC present, expiry readable) and keeps the **whole**
 * object, unknown fields included: Persona verifies the echoed values against its MAC, so dropping or
 * normalising a field would make the token fail.
 */
import { RelayError, RelayErrorCode } from '../errors.js';
import { decodeBase64url } from './base64url.js';
import { decodeUtf8Strict, deepFreezeJson, isJsonObject, parseJsonObject, type JsonObject } from './json.js';
import { parseRfc3339DateTime } from './rfc3339.js';

/**
 * A challenge that passed the client checks of {@link decodeChallenge}.
 */
export interface DecodedChallenge {
  /** The whole parsed object, unknown fields kept, echoed into the token. Deeply frozen. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** `fields.mac`: hashed into the token input. */
  readonly mac: string;
  /** `fields.expires_at`, parsed: the token is useless from then on. */
  readonly expiresAt: Date;
}

/** Privacy Pass token type 0x0002 (Blind RSA), the only type Persona issues. */
const BLIND_RSA_TOKEN_TYPE = 2;
/** Persona's challenges are about 300 characters; anything this large is not one. */
const MAX_CHALLENGE_LENGTH = 16 * 1024;

/**
 * Decodes and checks the `challenge` value of a `PrivateToken` challenge or of the challenge endpoint:
 * base64url → UTF-8 → JSON object with `token_type` the integer 2, a non-empty string `mac` and an RFC 3339
 * `expires_at`. `issuer_name` and `origin_info` are deliberately not checked (Persona's SDK mock uses other values).
 *
 * @throws RelayError `INVALID_CHALLENGE` naming the failing check (a base64url failure is its `cause`)
 */
export function decodeChallenge(challengeB64url: string): DecodedChallenge {
  if (typeof challengeB64url !== 'string') throw new TypeError('decodeChallenge expects a string');
  if (challengeB64url.length > MAX_CHALLENGE_LENGTH) {
    throw invalidChallenge(`is longer than ${MAX_CHALLENGE_LENGTH} characters`, { length: challengeB64url.length });
  }
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64url(challengeB64url, 'challenge');
  } catch (error) {
    throw invalidChallenge('is not valid base64url', { length: challengeB64url.length }, error);
  }
  const text = decodeUtf8Strict(bytes);
  if (text === undefined) throw invalidChallenge('is not UTF-8');
  const parsed = parseJsonObject(text);
  if ('problem' in parsed) throw invalidChallenge(parsed.problem);
  return checkChallengeFields(parsed.object);
}

/**
 * Checks an already parsed challenge object (for example the `challenge` member of a stored token) the
 * way {@link decodeChallenge} does, and returns a frozen copy.
 *
 * @throws RelayError `INVALID_CHALLENGE` naming the failing field
 */
export function decodeChallengeObject(value: unknown): DecodedChallenge {
  if (!isJsonObject(value)) throw invalidChallenge('is not a JSON object');
  // A JSON round trip both copies (the caller's object is not frozen under it) and drops non-JSON values.
  return checkChallengeFields(JSON.parse(JSON.stringify(value)) as JsonObject);
}

/**
 * True while a token built on `challenge` may still be presented: `now < expiresAt − marginMs`
 * (the margin covers clock skew and the time the redemption takes).
 */
export function isChallengeUsable(challenge: DecodedChallenge, now: Date, marginMs: number): boolean {
  if (!(challenge?.expiresAt instanceof Date)) throw new TypeError('isChallengeUsable expects a DecodedChallenge');
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('isChallengeUsable expects a valid Date');
  if (!Number.isFinite(marginMs) || marginMs < 0) {
    throw new TypeError('isChallengeUsable expects a finite, non-negative margin');
  }
  return now.getTime() < challenge.expiresAt.getTime() - marginMs;
}

function checkChallengeFields(fields: JsonObject): DecodedChallenge {
  const tokenType = fields['token_type'];
  if (tokenType !== BLIND_RSA_TOKEN_TYPE) {
    throw invalidChallenge(
      typeof tokenType === 'number' ? 'token_type is not 2 (Blind RSA)' : 'token_type is missing or not a number',
      { field: 'token_type' },
    );
  }
  const mac = fields['mac'];
  if (typeof mac !== 'string' || mac.length === 0) {
    throw invalidChallenge('mac is missing or not a non-empty string', { field: 'mac' });
  }
  const expiresAtText = fields['expires_at'];
  const expiresAt = typeof expiresAtText === 'string' ? parseRfc3339DateTime(expiresAtText) : undefined;
  if (expiresAt === undefined) {
    throw invalidChallenge('expires_at is missing or not an RFC 3339 date-time', { field: 'expires_at' });
  }
  return Object.freeze({ fields: deepFreezeJson(fields), mac, expiresAt });
}

function invalidChallenge(problem: string, context: Record<string, unknown> = {}, cause?: unknown): RelayError {
  return new RelayError(RelayErrorCode.INVALID_CHALLENGE, `challenge ${problem}`, { context, cause });
}
