/**
 * Blind-signing keys, one per (environment, claim type). A pass's key id is the only thing that
 * tells which namespace it belongs to, so the ring answers both "the key for this pair" and "the pair of this key id".
 */
import { createHash, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Environment } from './options.js';

const generateRsaKeyPair = promisify(generateKeyPair);

/** A blind-signing key and the identifiers clients see. */
export interface SigningKey {
  /** `token-key-id`: lowercase hex SHA-256 of the SPKI (plus the pair's name with a fixed key). */
  readonly id: string;
  readonly environment: Environment;
  readonly claimType: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo (rsaEncryption OID); `token-key` is its base64url. */
  readonly spkiDer: Buffer;
  /** The modulus n, big-endian, exactly `modulusBytes` long. */
  readonly modulus: Buffer;
  /** k: blinded tokens, blind signatures and signatures are this many bytes. */
  readonly modulusBytes: number;
}

/**
 * Holds the signing keys. Keys are generated on first use (off the event loop) and survive `reset`; with a fixed
 * key (`--signing-key`) every pair shares it and only the key ids differ.
 */
export class SigningKeyRing {
  private readonly byPair = new Map<string, SigningKey>();
  private readonly byKeyId = new Map<string, SigningKey>();
  private readonly generating = new Map<string, Promise<SigningKey>>();

  constructor(private readonly fixedKey: KeyObject | undefined) {}

  /** The key of a pair, creating it on first use. Concurrent first uses share one generation. */
  async ensure(environment: Environment, claimType: string): Promise<SigningKey> {
    const pair = pairName(environment, claimType);
    const existing = this.byPair.get(pair);
    if (existing) return existing;
    if (this.fixedKey) return this.register(environment, claimType, this.fixedKey);

    let pending = this.generating.get(pair);
    if (!pending) {
      pending = generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 65_537 })
        .then(({ privateKey }) => this.register(environment, claimType, privateKey))
        .finally(() => this.generating.delete(pair));
      this.generating.set(pair, pending);
    }
    return pending;
  }

  /** The key of a pair if it exists already. */
  get(environment: Environment, claimType: string): SigningKey | undefined {
    return this.byPair.get(pairName(environment, claimType));
  }

  /** The key a `key-id` / `key_id` names, if any. */
  byId(keyId: string): SigningKey | undefined {
    return this.byKeyId.get(keyId);
  }

  private register(environment: Environment, claimType: string, privateKey: KeyObject): SigningKey {
    const publicKey = createPublicKey(privateKey);
    const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
    const idInput = this.fixedKey
      ? Buffer.concat([spkiDer, Buffer.from(pairName(environment, claimType), 'utf8')])
      : spkiDer;
    const modulusBytes = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    const n = Buffer.from(publicKey.export({ format: 'jwk' }).n ?? '', 'base64url');
    const modulus = Buffer.concat([Buffer.alloc(modulusBytes - n.length), n]);
    const key: SigningKey = {
      id: createHash('sha256').update(idInput).digest('hex'),
      environment,
      claimType,
      privateKey,
      publicKey,
      spkiDer,
      modulus,
      modulusBytes,
    };
    this.byPair.set(pairName(environment, claimType), key);
    this.byKeyId.set(key.id, key);
    return key;
  }
}

/** `"<environment>:<claimType>"`, the pair's name (also hashed into fixed-key ids). */
function pairName(environment: Environment, claimType: string): string {
  return `${environment}:${claimType}`;
}
