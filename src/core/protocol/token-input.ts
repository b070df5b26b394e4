/**
 * The nonce and the 98-byte message that Persona blind-signs.
 *
 * Persona deviates from RFC 9578, section 6.1: it hashes *each* component (the nonce's hex text, the challenge's
 * `mac` only, the key id's text) instead of using the raw nonce, a digest of the whole challenge and the
 * raw key id. A token built the RFC way does not verify at Persona.
 */
import { createHash, randomBytes as cryptoRandomBytes } from 'node:crypto';
import { RelayError, RelayErrorCode } from '../errors.js';

/** Length in bytes of the token input: 2 (type) + 3 × 32 (SHA-256 digests). */
export const TOKEN_INPUT_LENGTH = 98;

/** Privacy Pass token type 0x0002 (Blind RSA), big-endian. */
const TOKEN_TYPE_BYTES = [0x00, 0x02] as const;
const NONCE_BYTES = 32;
/** 32 bytes rendered as lowercase hex: the form hashed into the token input and sent as `token_nonce`. */
const NONCE_PATTERN = /^[0-9a-f]{64}$/;

/** The three values the token input commits to, all as text exactly as sent or received. */
export interface TokenInputParts {
  /** 64 lowercase hex characters (see {@link generateNonce}). */
  readonly nonce: string;
  /** The decoded challenge's `mac`, exactly as decoded. */
  readonly mac: string;
  /** The `token-key-id`, exactly as received (never hex-decoded or re-cased). */
  readonly tokenKeyId: string;
}

/**
 * Builds the 98 bytes to blind and sign: `00 02 || SHA-256(nonce) || SHA-256(mac) || SHA-256(tokenKeyId)`,
 * each hash over the UTF-8 text.
 *
 * @throws RelayError `INVALID_TOKEN` when `nonce` is not 64 lowercase hex characters;
 *   `INVALID_CHALLENGE` when `mac` or `tokenKeyId` is empty
 */
export function buildTokenInput({ nonce, mac, tokenKeyId }: TokenInputParts): Uint8Array {
  if (typeof nonce !== 'string' || typeof mac !== 'string' || typeof tokenKeyId !== 'string') {
    throw new TypeError('buildTokenInput expects nonce, mac and tokenKeyId as strings');
  }
  if (!NONCE_PATTERN.test(nonce)) {
    throw new RelayError(RelayErrorCode.INVALID_TOKEN, 'token nonce must be 64 lowercase hex characters', {
      context: { field: 'nonce', length: nonce.length },
    });
  }
  for (const [field, value] of [['mac', mac], ['tokenKeyId', tokenKeyId]] as const) {
    if (value.length === 0) {
      throw new RelayError(RelayErrorCode.INVALID_CHALLENGE, `${field} must not be empty`, { context: { field } });
    }
  }
  const input = new Uint8Array(TOKEN_INPUT_LENGTH);
  input.set(TOKEN_TYPE_BYTES, 0);
  input.set(sha256(nonce), 2);
  input.set(sha256(mac), 34);
  input.set(sha256(tokenKeyId), 66);
  return input;
}

/**
 * Makes a fresh token nonce: 32 bytes from a CSPRNG as 64 lowercase hex characters.
 *
 * @param randomBytes - byte source, `crypto.randomBytes` by default; injectable for deterministic tests
 */
export function generateNonce(randomBytes: (n: number) => Uint8Array = cryptoRandomBytes): string {
  if (typeof randomBytes !== 'function') throw new TypeError('generateNonce expects a function returning bytes');
  const bytes = randomBytes(NONCE_BYTES);
  if (!(bytes instanceof Uint8Array) || bytes.length !== NONCE_BYTES) {
    throw new TypeError(`generateNonce's byte source must return a Uint8Array of ${NONCE_BYTES} bytes`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function sha256(text: string): Uint8Array {
  return createHash('sha256').update(text, 'utf8').digest();
}
