/**
 * The RSA operations Persona performs, on `node:crypto` only: raw blind signing, RSASSA-PSS verification of a
 * redeemed token, RSA-OAEP encryption of claim payloads, and the validation of a relay's payload key.
 */
import { constants, createPublicKey, privateDecrypt, publicEncrypt, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from './keys.js';
import type { OaepHash } from './options.js';

const PSS_SALT_LENGTH = 48;
const OAEP_HASH_BYTES: Record<OaepHash, number> = { sha1: 20, sha256: 32 };

/**
 * RFC 9474 BlindSign: `blinded^d mod n`, k bytes. Raw RSA is a private "decryption" without padding. The caller
 * guarantees `blinded` is k bytes and below n.
 */
export function blindSign(key: SigningKey, blinded: Buffer): Buffer {
  return privateDecrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, blinded);
}

/** True when `bytes`, read as a big-endian integer of k bytes, is below the modulus. */
export function isBelowModulus(key: SigningKey, bytes: Buffer): boolean {
  return bytes.length === key.modulusBytes && Buffer.compare(bytes, key.modulus) < 0;
}

/** RSASSA-PSS (SHA-384, MGF1-SHA-384, 48-byte salt) over the token input; the signature must be exactly k bytes. */
export function verifyTokenSignature(key: SigningKey, tokenInput: Buffer, signature: Buffer): boolean {
  if (signature.length !== key.modulusBytes) return false;
  return verify(
    'sha384',
    tokenInput,
    { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH },
    signature,
  );
}

/**
 * RSA-OAEP (MGF1 with the same hash, empty label) as standard padded base64, or `undefined` when the plaintext is
 * longer than one block allows (k − 2·hLen − 2 bytes).
 */
export function oaepEncrypt(publicKey: KeyObject, hash: OaepHash, plaintext: Buffer): string | undefined {
  const modulusBytes = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (plaintext.length > modulusBytes - 2 * OAEP_HASH_BYTES[hash] - 2) return undefined;
  const padding = constants.RSA_PKCS1_OAEP_PADDING;
  return publicEncrypt({ key: publicKey, padding, oaepHash: hash }, plaintext).toString('base64');
}

const PUBLIC_KEY_PEM = /^-----BEGIN (RSA )?PUBLIC KEY-----\r?\n[\s\S]+\r?\n-----END (RSA )?PUBLIC KEY-----$/;

/**
 * A relay's `encryption-key-pem`: an RSA public key in PEM (SPKI or PKCS#1) of 2048–4096 bits, else `undefined`.
 * The PEM label is checked first because Node would also derive a public key from a private key or certificate.
 */
export function readRelayPublicKey(pem: string): KeyObject | undefined {
  if (!PUBLIC_KEY_PEM.test(pem.trim())) return undefined;
  try {
    const key = createPublicKey({ key: pem, format: 'pem' });
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return key.asymmetricKeyType === 'rsa' && bits >= 2048 && bits <= 4096 ? key : undefined;
  } catch {
    return undefined;
  }
}
