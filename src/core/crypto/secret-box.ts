/**
 * Authenticated encryption of secrets at rest: relay tokens and
 * secrets, per-relay private keys, Privacy Passes, stored responses.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { RelayError, RelayErrorCode } from '../errors.js';

const FORMAT_VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Key ids appear inside the sealed string, so they must not contain its `.` separator. */
const KEY_ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Options for {@link SecretBox}.
 */
export interface SecretBoxOptions {
  /** Every key that may open stored values, by key id (`[A-Za-z0-9_-]{1,64}`); each exactly 32 bytes. */
  readonly keys: Readonly<Record<string, Uint8Array>>;
  /** The key that seals new values; must be one of `keys`. */
  readonly currentKeyId: string;
}

/**
 * AES-256-GCM with key ids for rotation. A sealed value is the compact string
 * `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url, unpadded; 12-byte random
 * IV, 16-byte tag).
 *
 * The associated data names where the value lives (table, row, column): GCM
 * authenticates `v1.<keyId>.<associatedData>`, so a value copied to another
 * row or column, or relabelled with another key id, fails to open.
 *
 * Rotation: add a new key, make it current, keep the old one until every
 * value sealed with it has been rewritten or has expired.
 *
 * @example
 * ```ts
 * const box = new SecretBox({ keys: { k2: newKey, k1: oldKey }, currentKeyId: 'k2' });
 * const sealed = box.seal(relayToken, `persona_relay_relay_secret/${id}/relay_token`);
 * box.openText(sealed, `persona_relay_relay_secret/${id}/relay_token`); // relayToken
 * ```
 */
export class SecretBox {
  readonly #keys = new Map<string, KeyObject>();
  readonly #currentKeyId: string;

  /**
   * @throws RelayError `INVALID_KEY` when a key is not 32 bytes, a key id is malformed, or `currentKeyId` is not among the keys
   * @throws TypeError when the options have the wrong types
   */
  constructor(options: SecretBoxOptions) {
    if (typeof options !== 'object' || options === null || typeof options.keys !== 'object' || options.keys === null) {
      throw new TypeError('SecretBox expects { keys, currentKeyId }');
    }
    for (const [keyId, key] of Object.entries(options.keys)) {
      if (!(key instanceof Uint8Array)) throw new TypeError(`SecretBox key ${JSON.stringify(keyId)} must be a Uint8Array`);
      checkKeyId(keyId);
      if (key.length !== KEY_BYTES) {
        throw new RelayError(RelayErrorCode.INVALID_KEY, `storage key ${keyId} must be exactly ${KEY_BYTES} bytes`, {
          context: { reason: 'key-length', keyId, byteLength: key.length },
        });
      }
      // createSecretKey copies: later changes to the caller's array do not reach us.
      this.#keys.set(keyId, createSecretKey(key));
    }
    if (typeof options.currentKeyId !== 'string') throw new TypeError('SecretBox currentKeyId must be a string');
    if (!this.#keys.has(options.currentKeyId)) {
      throw new RelayError(RelayErrorCode.INVALID_KEY, 'the current storage key id is not among the storage keys', {
        context: { reason: 'current-key-id', keyIds: [...this.#keys.keys()] },
      });
    }
    this.#currentKeyId = options.currentKeyId;
  }

  /**
   * Builds a SecretBox from base64 keys (standard or url-safe alphabet, padded
   * or not), as found in `RELAY_STORAGE_KEY`.
   *
   * @throws RelayError `INVALID_KEY` when a value is not base64 or not 32 bytes (the value is never echoed)
   */
  static fromBase64Keys(keys: Readonly<Record<string, string>>, currentKeyId: string): SecretBox {
    if (typeof keys !== 'object' || keys === null) throw new TypeError('fromBase64Keys expects an object of base64 keys');
    const decoded: Record<string, Uint8Array> = {};
    for (const [keyId, text] of Object.entries(keys)) {
      if (typeof text !== 'string') throw new TypeError(`storage key ${JSON.stringify(keyId)} must be a base64 string`);
      const compact = text.trim();
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) {
        throw new RelayError(RelayErrorCode.INVALID_KEY, `storage key ${keyId} is not base64`, {
          context: { reason: 'key-encoding', keyId },
        });
      }
      // Node's base64 decoder reads both alphabets; the length check in the constructor catches truncation.
      decoded[keyId] = new Uint8Array(Buffer.from(compact, 'base64'));
    }
    return new SecretBox({ keys: decoded, currentKeyId });
  }

  /**
   * A fresh random 32-byte key.
   *
   * @example
   * ```ts
   * console.log(Buffer.from(SecretBox.generateKey()).toString('base64')); // a value for RELAY_STORAGE_KEY
   * ```
   */
  static generateKey(): Uint8Array {
    return new Uint8Array(randomBytes(KEY_BYTES));
  }

  /** The key id new values are sealed with. */
  get currentKeyId(): string {
    return this.#currentKeyId;
  }

  /**
   * Encrypts `plaintext` (a string is taken as UTF-8) under the current key.
   *
   * @param associatedData - where the value is stored, e.g. `persona_relay_relay_secret/<id>/relay_token`; non-empty
   * @returns `v1.<keyId>.<iv>.<ciphertext>.<tag>`
   */
  seal(plaintext: string | Uint8Array, associatedData: string): string {
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    if (!(data instanceof Uint8Array)) throw new TypeError('seal expects a string or a Uint8Array');
    checkAssociatedData(associatedData);
    const keyId = this.#currentKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(keyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(authenticatedHeader(keyId, associatedData));
    const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
    return [FORMAT_VERSION, keyId, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /**
   * Decrypts a value sealed by {@link SecretBox.seal} with the same associated data.
   *
   * @throws RelayError `DECRYPTION_FAILED` (context `reason`: `malformed`, `unknown-key-id` or
   *   `authentication-failed`) when the value is malformed, was sealed with a key this box does not hold,
   *   was tampered with, or belongs to other associated data. Nothing decrypted is revealed.
   */
  open(sealed: string, associatedData: string): Buffer {
    if (typeof sealed !== 'string') throw new TypeError('open expects the sealed value as a string');
    checkAssociatedData(associatedData);
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT_VERSION || !KEY_ID_SHAPE.test(parts[1])) throw decryptionFailed('malformed');
    const [, keyId, ivText, ciphertextText, tagText] = parts;
    const key = this.#keys.get(keyId);
    if (key === undefined) throw decryptionFailed('unknown-key-id', keyId);
    const iv = decodeCanonicalBase64url(ivText);
    const ciphertext = decodeCanonicalBase64url(ciphertextText);
    const tag = decodeCanonicalBase64url(tagText);
    if (iv?.length !== IV_BYTES || ciphertext === undefined || tag?.length !== TAG_BYTES) throw decryptionFailed('malformed', keyId);

    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(authenticatedHeader(keyId, associatedData));
    decipher.setAuthTag(tag);
    try {
      // update() output is unauthenticated until final() succeeds; on failure it is dropped unseen.
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (error) {
      throw decryptionFailed('authentication-failed', keyId, error);
    }
  }

  /**
   * {@link SecretBox.open}, decoded as UTF-8.
   *
   * @throws RelayError `DECRYPTION_FAILED` as `open`, or with reason `not-utf8` when the plaintext is not UTF-8
   */
  openText(sealed: string, associatedData: string): string {
    const plaintext = this.open(sealed, associatedData);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
    } catch {
      throw decryptionFailed('not-utf8');
    }
  }
}

function checkKeyId(keyId: string): void {
  if (!KEY_ID_SHAPE.test(keyId)) {
    throw new RelayError(RelayErrorCode.INVALID_KEY, 'storage key ids must match [A-Za-z0-9_-]{1,64}', {
      context: { reason: 'key-id', keyIdLength: keyId.length },
    });
  }
}

function checkAssociatedData(associatedData: unknown): void {
  if (typeof associatedData !== 'string' || associatedData.length === 0) {
    throw new TypeError('the associated data must be a non-empty string naming where the value is stored');
  }
}

/** Unambiguous because key ids contain no `.`. */
function authenticatedHeader(keyId: string, associatedData: string): Buffer {
  return Buffer.from(`${FORMAT_VERSION}.${keyId}.${associatedData}`, 'utf8');
}

/**
 * Decodes unpadded base64url, or returns `undefined` unless `text` is exactly
 * what encoding the result gives back: Node's decoder skips stray characters,
 * and re-encoding rejects those, padding, impossible lengths and
 * non-canonical trailing bits in one comparison.
 */
function decodeCanonicalBase64url(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function decryptionFailed(reason: string, keyId?: string, cause?: unknown): RelayError {
  return new RelayError(RelayErrorCode.DECRYPTION_FAILED, 'a sealed value could not be opened', {
    cause,
    context: keyId === undefined ? { reason } : { reason, keyId },
  });
}
