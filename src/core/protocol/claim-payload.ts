/**
 * The claim payload returned by generate-claim: JSON `{claim_type, claim_result,
 * methodology?}`, in plaintext or as one RSA-OAEP block.
 *
 * The payload is the verification result about a person, so errors name fields and sizes only, never
 * the text; `JSON.parse`'s own messages (which quote the input) are not forwarded.
 *
 * Validation reads the known fields one level deep and nothing else: unknown keys, however deeply
 * nested, are never walked, and only own properties count, so `__proto__` or `constructor` in the
 * payload is just data.
 */
import { constants as cryptoConstants, KeyObject, privateDecrypt } from 'node:crypto';
import { RelayError, RelayErrorCode } from '../errors.js';
import { decodeBase64Flexible } from './base64url.js';
import { decodeUtf8Strict, isJsonObject } from './json.js';
import type { JsonObject } from './json.js';

/** Outcome of a claim or of one method. */
export type ClaimResult = 'passed' | 'failed';

/** A claim payload, validated and in camelCase. */
export interface ClaimPayload {
  /** The evaluated claim type (checked against the relay's when `expectedClaimType` is given). */
  claimType: string;
  /** `claim_result`. */
  result: ClaimResult;
  /** How the claim was established; absent when Persona hides it (France, Italy) or sends `null`. */
  methodology?: ReadonlyArray<{ method: string; result: ClaimResult }>;
}

/**
 * Options of {@link readClaimPayload}.
 */
export interface ReadClaimPayloadOptions {
  /** The relay's private key when it was created with a public key; absent for plaintext relays. */
  privateKey?: KeyObject;
  /** The relay's claim type; a payload for another type is rejected. */
  expectedClaimType?: string;
}

/** Real payloads are a few hundred bytes (one RSA block at most); anything this large is not one. */
const MAX_PAYLOAD_LENGTH = 64 * 1024;
/** Persona's OAEP hash is undocumented: SHA-256 first (the emulator's default), then SHA-1. */
const OAEP_HASHES = ['sha256', 'sha1'] as const;

/** What one field must hold, and what the error says when it does not. */
interface FieldRule<T> {
  readonly accepts: (value: unknown) => value is T;
  readonly message: string;
}

const NON_EMPTY_STRING: FieldRule<string> = {
  accepts: (value): value is string => typeof value === 'string' && value.length > 0,
  message: 'must be a non-empty string',
};
const CLAIM_RESULT: FieldRule<ClaimResult> = {
  accepts: (value): value is ClaimResult => value === 'passed' || value === 'failed',
  message: 'must be "passed" or "failed"',
};
/** One message whether `methodology` is not an array or holds a non-object: the reader learns the same thing. */
const MUST_BE_ARRAY_OF_OBJECTS = 'must be an array of objects';

/**
 * Parses a plaintext claim payload (the JSON *inside* the `claim-payload` string) and validates it.
 *
 * @param expectedClaimType - when given, `claim_type` must equal it
 * @throws RelayError `INVALID_CLAIM_PAYLOAD` for oversized input, bad JSON, a bad shape (the message lists
 *   the failing fields, `context.fields` too) or a claim type mismatch; the payload is never echoed
 */
export function parseClaimPayload(json: string, expectedClaimType?: string): ClaimPayload {
  if (typeof json !== 'string') throw new TypeError('parseClaimPayload expects the payload as a string');
  if (expectedClaimType !== undefined && typeof expectedClaimType !== 'string') {
    throw new TypeError('parseClaimPayload expects expectedClaimType as a string');
  }
  if (json.length > MAX_PAYLOAD_LENGTH) {
    throw invalidPayload(`is larger than ${MAX_PAYLOAD_LENGTH} characters`, { length: json.length });
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw invalidPayload('is not valid JSON', { length: json.length });
  }
  if (!isJsonObject(value)) throw invalidPayload('is not a JSON object');

  const problems: FieldProblem[] = [];
  const claimType = readField(value, 'claim_type', NON_EMPTY_STRING, problems);
  const result = readField(value, 'claim_result', CLAIM_RESULT, problems);
  const methodology = readMethodology(value, problems);
  // `claimType`/`result` are undefined only with a problem recorded; the checks narrow their types.
  if (problems.length > 0 || claimType === undefined || result === undefined) {
    const described = problems.map(({ path, message }) => `${path}: ${message}`).join('; ');
    throw invalidPayload(`has invalid fields: ${described}`, { fields: problems.map(({ path }) => path) });
  }
  if (expectedClaimType !== undefined && claimType !== expectedClaimType) {
    throw invalidPayload('claim_type does not match the relay claim type', { field: 'claim_type', expectedClaimType });
  }
  return methodology === undefined ? { claimType, result } : { claimType, result, methodology };
}

/**
 * Decrypts an encrypted claim payload: one RSA-OAEP block (no label) in base64 or base64url,
 * padded or not. Tries OAEP with SHA-256 (MGF1-SHA-256), then SHA-1; a wrong hash fails cleanly.
 *
 * @returns the plaintext JSON, to give to {@link parseClaimPayload}
 * @throws RelayError `DECRYPTION_FAILED` when the text is not base64, its length is not the key's
 *   modulus length, or neither hash decrypts it (wrong key); `INVALID_KEY` when `privateKey` is not an
 *   RSA private key; `INVALID_CLAIM_PAYLOAD` when the plaintext is not UTF-8
 */
export function decryptClaimPayload(ciphertext: string, privateKey: KeyObject): string {
  if (typeof ciphertext !== 'string') throw new TypeError('decryptClaimPayload expects the ciphertext as a string');
  if (!(privateKey instanceof KeyObject)) throw new TypeError('decryptClaimPayload expects a crypto.KeyObject');
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') {
    throw new RelayError(RelayErrorCode.INVALID_KEY, 'claim payload decryption needs an RSA private key', {
      context: { keyType: privateKey.type, asymmetricKeyType: privateKey.asymmetricKeyType },
    });
  }
  const keyBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  const keyBytes = Math.ceil(keyBits / 8);
  if (ciphertext.length > MAX_PAYLOAD_LENGTH) {
    throw decryptionFailed(`ciphertext is larger than ${MAX_PAYLOAD_LENGTH} characters`, { keyBits, length: ciphertext.length });
  }
  let block: Uint8Array;
  try {
    block = decodeBase64Flexible(ciphertext, 'claim payload ciphertext');
  } catch (error) {
    throw decryptionFailed('ciphertext is not base64', { keyBits, length: ciphertext.length }, error);
  }
  if (block.length !== keyBytes) {
    throw decryptionFailed(`ciphertext is ${block.length} bytes, the ${keyBits}-bit key needs ${keyBytes}`, {
      keyBits,
      ciphertextBytes: block.length,
    });
  }
  const plaintext = decryptOaepWithEitherHash(block, privateKey, keyBits);
  const text = decodeUtf8Strict(plaintext);
  if (text === undefined) throw invalidPayload('decrypts to bytes that are not UTF-8');
  return text;
}

function decryptOaepWithEitherHash(block: Uint8Array, privateKey: KeyObject, keyBits: number): Uint8Array {
  let lastError: unknown;
  for (const oaepHash of OAEP_HASHES) {
    try {
      return privateDecrypt({ key: privateKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash }, block);
    } catch (error) {
      lastError = error;
    }
  }
  throw decryptionFailed(
    'could not be decrypted with this key (tried RSA-OAEP SHA-256 and SHA-1)',
    { keyBits, oaepHashesTried: [...OAEP_HASHES] },
    lastError,
  );
}

/** Reads a `claim-payload` value: decrypts it when the relay has a private key, then parses and validates it. */
export function readClaimPayload(raw: string, options: ReadClaimPayloadOptions): ClaimPayload {
  if (typeof raw !== 'string') throw new TypeError('readClaimPayload expects the payload as a string');
  if (typeof options !== 'object' || options === null) throw new TypeError('readClaimPayload expects an options object');
  const json = options.privateKey === undefined ? raw : decryptClaimPayload(raw, options.privateKey);
  return parseClaimPayload(json, options.expectedClaimType);
}

/** A field that failed its rule: where it is (`methodology[1].result`) and what it must be. */
interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** `object[key]` if it passes `rule`; otherwise records the problem under `pathPrefix + key` and returns undefined. */
function readField<T>(object: JsonObject, key: string, rule: FieldRule<T>, problems: FieldProblem[], pathPrefix = ''): T | undefined {
  // Own properties only: an inherited `claim_result` (a polluted prototype) must not pass for a sent one.
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  if (rule.accepts(value)) return value;
  problems.push({ path: `${pathPrefix}${key}`, message: rule.message });
  return undefined;
}

/** The `methodology` entries (method and result only), or undefined when absent, `null` or invalid. */
function readMethodology(payload: JsonObject, problems: FieldProblem[]): ClaimPayload['methodology'] {
  const entries = Object.hasOwn(payload, 'methodology') ? payload['methodology'] : undefined;
  if (entries === undefined || entries === null) return undefined;
  if (!Array.isArray(entries) || !entries.every(isJsonObject)) {
    problems.push({ path: 'methodology', message: MUST_BE_ARRAY_OF_OBJECTS });
    return undefined;
  }
  const methodology: Array<{ method: string; result: ClaimResult }> = [];
  entries.forEach((entry, index) => {
    const method = readField(entry, 'method', NON_EMPTY_STRING, problems, `methodology[${index}].`);
    const result = readField(entry, 'result', CLAIM_RESULT, problems, `methodology[${index}].`);
    if (method !== undefined && result !== undefined) methodology.push({ method, result });
  });
  return methodology;
}

function invalidPayload(problem: string, context: Record<string, unknown> = {}): RelayError {
  return new RelayError(RelayErrorCode.INVALID_CLAIM_PAYLOAD, `claim payload ${problem}`, { context });
}

function decryptionFailed(problem: string, context: Record<string, unknown>, cause?: unknown): RelayError {
  return new RelayError(RelayErrorCode.DECRYPTION_FAILED, `claim payload ${problem}`, { context, cause });
}
