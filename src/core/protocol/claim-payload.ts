/**
 * The claim payload returned by generate-claim (protocol §8): JSON `{claim_type, claim_result,
 * methodology?}`, in plaintext or as one RSA-OAEP block.
 *
 * The payload is the verification result about a person, so errors name fields and sizes only, never
 * the text; `JSON.parse`'s own messages (which quote the input) are not forwarded.
 */
import 'reflect-metadata';
import { constants as cryptoConstants, KeyObject, privateDecrypt } from 'node:crypto';
import { plainToInstance, Type } from 'class-transformer';
import { IsArray, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, ValidateNested, validateSync } from 'class-validator';
import type { ValidationError } from 'class-validator';
import { RelayError, RelayErrorCode } from '../errors.js';
import { decodeBase64Flexible } from './base64url.js';
import { decodeUtf8Strict, isJsonObject } from './json.js';

/**
 * Outcome of a claim or of one method.
 *
 * @example
 * ```ts
 * const result: ClaimResult = payload.result; // 'passed' | 'failed'
 * ```
 */
export type ClaimResult = 'passed' | 'failed';

/**
 * A claim payload, validated and in camelCase.
 *
 * @example
 * ```ts
 * const payload: ClaimPayload = parseClaimPayload(json);
 * // { claimType: 'age_over18_germany', result: 'passed', methodology: [{ method: 'document_selfie', result: 'passed' }] }
 * ```
 */
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
 *
 * @example
 * ```ts
 * const options: ReadClaimPayloadOptions = { privateKey, expectedClaimType: 'age_over18_germany' };
 * ```
 */
export interface ReadClaimPayloadOptions {
  /** The relay's private key when it was created with a public key (§8.2); absent for plaintext relays. */
  privateKey?: KeyObject;
  /** The relay's claim type; a payload for another type is rejected. */
  expectedClaimType?: string;
}

const CLAIM_RESULTS: readonly ClaimResult[] = ['passed', 'failed'];
/** Real payloads are a few hundred bytes (one RSA block at most); anything this large is not one. */
const MAX_PAYLOAD_LENGTH = 64 * 1024;
/** Persona's OAEP hash is undocumented (§8.2): SHA-256 first (the emulator's default), then SHA-1. */
const OAEP_HASHES = ['sha256', 'sha1'] as const;

const MUST_BE_NON_EMPTY_STRING = 'must be a non-empty string';
const MUST_BE_RESULT = 'must be "passed" or "failed"';
const MUST_BE_ARRAY_OF_OBJECTS = 'must be an array of objects';

/**
 * One `methodology` entry as Persona sends it. Unknown keys are ignored.
 *
 * @example
 * ```ts
 * plainToInstance(MethodologyEntryDto, { method: 'document_selfie', result: 'passed' });
 * ```
 */
export class MethodologyEntryDto {
  /** `facial_age_estimation`, `document_selfie`, `live_selfie`, … (kept open). */
  @IsString({ message: MUST_BE_NON_EMPTY_STRING })
  @IsNotEmpty({ message: MUST_BE_NON_EMPTY_STRING })
  method!: string;

  @IsIn(CLAIM_RESULTS, { message: MUST_BE_RESULT })
  result!: ClaimResult;
}

/**
 * The §8.1 claim payload JSON (snake_case, as on the wire). Unknown keys are ignored; a `null`
 * methodology counts as absent.
 *
 * @example
 * ```ts
 * const dto = plainToInstance(ClaimPayloadDto, JSON.parse(text));
 * validateSync(dto); // [] when well-formed
 * ```
 */
export class ClaimPayloadDto {
  @IsString({ message: MUST_BE_NON_EMPTY_STRING })
  @IsNotEmpty({ message: MUST_BE_NON_EMPTY_STRING })
  claim_type!: string;

  @IsIn(CLAIM_RESULTS, { message: MUST_BE_RESULT })
  claim_result!: ClaimResult;

  // The three structural checks share one message: whichever fails, the reader learns the same thing.
  @IsOptional()
  @IsArray({ message: MUST_BE_ARRAY_OF_OBJECTS })
  @IsObject({ each: true, message: MUST_BE_ARRAY_OF_OBJECTS })
  @ValidateNested({ each: true, message: MUST_BE_ARRAY_OF_OBJECTS })
  @Type(() => MethodologyEntryDto)
  methodology?: MethodologyEntryDto[] | null;
}

/**
 * Parses a plaintext claim payload (the JSON *inside* the `claim-payload` string) and validates it.
 *
 * @param expectedClaimType - when given, `claim_type` must equal it
 * @throws RelayError `INVALID_CLAIM_PAYLOAD` for oversized input, bad JSON, a bad shape (the message lists
 *   the failing fields, `context.fields` too) or a claim type mismatch; the payload is never echoed
 *
 * @example
 * ```ts
 * parseClaimPayload('{"claim_type":"age_over18_germany","claim_result":"passed","methodology":[]}', 'age_over18_germany');
 * // { claimType: 'age_over18_germany', result: 'passed', methodology: [] }
 * ```
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

  const dto = plainToInstance(ClaimPayloadDto, value);
  const problems = validateSync(dto).flatMap((error) => describeValidationError(error, ''));
  if (problems.length > 0) {
    const described = problems.map(({ path, message }) => `${path}: ${message}`).join('; ');
    throw invalidPayload(`has invalid fields: ${described}`, { fields: problems.map(({ path }) => path) });
  }
  if (expectedClaimType !== undefined && dto.claim_type !== expectedClaimType) {
    throw invalidPayload('claim_type does not match the relay claim type', { field: 'claim_type', expectedClaimType });
  }
  const payload: ClaimPayload = { claimType: dto.claim_type, result: dto.claim_result };
  if (dto.methodology != null) {
    payload.methodology = dto.methodology.map(({ method, result }) => ({ method, result }));
  }
  return payload;
}

/**
 * Decrypts an encrypted claim payload (§8.2): one RSA-OAEP block (no label) in base64 or base64url,
 * padded or not. Tries OAEP with SHA-256 (MGF1-SHA-256), then SHA-1; a wrong hash fails cleanly.
 *
 * @returns the plaintext JSON, to give to {@link parseClaimPayload}
 * @throws RelayError `DECRYPTION_FAILED` when the text is not base64, its length is not the key's
 *   modulus length, or neither hash decrypts it (wrong key); `INVALID_KEY` when `privateKey` is not an
 *   RSA private key; `INVALID_CLAIM_PAYLOAD` when the plaintext is not UTF-8
 *
 * @example
 * ```ts
 * const json = decryptClaimPayload(response.claimPayload, crypto.createPrivateKey(relayPrivateKeyPem));
 * ```
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

/**
 * Reads a `claim-payload` value: decrypts it when the relay has a private key, then parses and validates it.
 *
 * @example
 * ```ts
 * const claim = readClaimPayload(response.claimPayload, { privateKey, expectedClaimType: session.claimType });
 * if (claim.result === 'passed') grantAccess();
 * ```
 */
export function readClaimPayload(raw: string, options: ReadClaimPayloadOptions): ClaimPayload {
  if (typeof raw !== 'string') throw new TypeError('readClaimPayload expects the payload as a string');
  if (typeof options !== 'object' || options === null) throw new TypeError('readClaimPayload expects an options object');
  const json = options.privateKey === undefined ? raw : decryptClaimPayload(raw, options.privateKey);
  return parseClaimPayload(json, options.expectedClaimType);
}

interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** The failing fields of one validation error; a field's own failure hides its children's. */
function describeValidationError(error: ValidationError, parentPath: string): FieldProblem[] {
  const path = /^\d+$/.test(error.property) ? `${parentPath}[${error.property}]` : joinPath(parentPath, error.property);
  if (error.constraints !== undefined) {
    return [{ path, message: [...new Set(Object.values(error.constraints))].join(', ') }];
  }
  return (error.children ?? []).flatMap((child) => describeValidationError(child, path));
}

function joinPath(parent: string, property: string): string {
  return parent === '' ? property : `${parent}.${property}`;
}

function invalidPayload(problem: string, context: Record<string, unknown> = {}): RelayError {
  return new RelayError(RelayErrorCode.INVALID_CLAIM_PAYLOAD, `claim payload ${problem}`, { context });
}

function decryptionFailed(problem: string, context: Record<string, unknown>, cause?: unknown): RelayError {
  return new RelayError(RelayErrorCode.DECRYPTION_FAILED, `claim payload ${problem}`, { context, cause });
}
