/**
 * Token keys ready for use on the main thread: parsed once, imported into
 * node:crypto once, and reused for every issuance under the same key.
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { RelayError, RelayErrorCode } from '../../errors.js';
import { parseRsaPublicKeySpki, type RsaPublicKeyInfo } from './rsa-public-key.js';

/** RSABSSA-SHA384-PSS: PSS salt length in bytes. */
export const PSS_SALT_LENGTH = 48;

/** A parsed token key and its node:crypto handle. */
export interface TokenKey {
  readonly info: RsaPublicKeyInfo;
  readonly publicKey: KeyObject;
}

/**
 * A small least-recently-used cache of {@link TokenKey}s keyed by the SPKI
 * bytes the caller passed. Persona rotates token keys rarely, so a handful of
 * entries covers every key in use.
 */
export class TokenKeyCache {
  readonly #entries = new Map<string, TokenKey>();

  constructor(private readonly capacity = 16) {}

  /**
   * @throws RelayError `INVALID_KEY` when the SPKI is not a usable token key
   * @throws TypeError when `spki` is not a Uint8Array
   */
  get(spki: Uint8Array): TokenKey {
    if (!(spki instanceof Uint8Array)) throw new TypeError('the token key must be DER SPKI bytes in a Uint8Array');
    const id = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString('base64');
    let key = this.#entries.get(id);
    if (key === undefined) {
      key = loadTokenKey(spki);
      if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    } else {
      // Re-insert so the Map's insertion order tracks recency.
      this.#entries.delete(id);
    }
    this.#entries.set(id, key);
    return key;
  }
}

function loadTokenKey(spki: Uint8Array): TokenKey {
  const info = parseRsaPublicKeySpki(spki);
  try {
    return { info, publicKey: createPublicKey({ key: Buffer.from(info.spki), format: 'der', type: 'spki' }) };
  } catch (error) {
    throw new RelayError(RelayErrorCode.INVALID_KEY, 'node:crypto cannot import the token key', {
      cause: error,
      context: { reason: 'import', modulusBits: info.modulusBits },
    });
  }
}

/**
 * RSASSA-PSS-VERIFY with SHA-384, MGF1-SHA-384 and a 48-byte salt, done by
 * OpenSSL: the final check every engine runs on its output, so a signature is
 * never handed out on the word of one implementation alone.
 */
export function verifyTokenSignature(key: TokenKey, message: Uint8Array, signature: Uint8Array): boolean {
  return verify(
    'sha384',
    message,
    { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH },
    signature,
  );
}
