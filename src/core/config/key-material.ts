/**
 * Checks of configured key material: storage keys (AES-256-GCM at rest) and the static RSA key pair for
 * claim payload encryption. Results are problems (fixed text) or normalised values; key bytes, PEM text
 * and the underlying crypto errors never reach a message.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeBase64Flexible } from '../protocol/base64url.js';

/** AES-256 keys are 32 bytes. */
const STORAGE_KEY_BYTES = 32;
/** Persona accepts encryption keys of 2048–4096 bits. */
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 4096;
/** PEM labels of an RSA public key: SPKI, or PKCS#1. */
const PUBLIC_KEY_PEM_LABEL = /-----BEGIN (RSA )?PUBLIC KEY-----/;

/** A checked value, or what is wrong with it. */
export type KeyCheck<T> = { readonly value: T } | { readonly problem: string };

/**
 * Checks a storage key: base64 (either alphabet, padded or not) of exactly 32 bytes.
 *
 * @returns the key as canonical padded standard base64
 */
export function checkStorageKey(base64: string): KeyCheck<string> {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64Flexible(base64, 'storage key');
  } catch {
    return { problem: `must be base64 of exactly ${STORAGE_KEY_BYTES} bytes` };
  }
  if (bytes.length !== STORAGE_KEY_BYTES) return { problem: `must be base64 of exactly ${STORAGE_KEY_BYTES} bytes` };
  return { value: Buffer.from(bytes).toString('base64') };
}

/**
 * Checks a PEM RSA public key (SPKI or PKCS#1) of 2048–4096 bits.
 *
 * @returns the key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the form sent to Persona, plus the key
 */
export function checkRsaPublicKeyPem(pem: string): KeyCheck<{ readonly spkiPem: string; readonly key: KeyObject }> {
  // Node would also derive a public key from a *private* PEM; refuse it, it is a secret in the wrong place.
  if (!PUBLIC_KEY_PEM_LABEL.test(pem)) return { problem: 'must be a PEM public key (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return { problem: 'cannot be read as a PEM public key' };
  }
  const sizeProblem = describeRsaSizeProblem(key);
  if (sizeProblem !== undefined) return { problem: sizeProblem };
  return { value: { spkiPem: key.export({ type: 'spki', format: 'pem' }).toString(), key } };
}

/** Checks an unencrypted PEM RSA private key of 2048–4096 bits. */
export function checkRsaPrivateKeyPem(pem: string): KeyCheck<KeyObject> {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return { problem: 'cannot be read as an unencrypted PEM private key' };
  }
  const sizeProblem = describeRsaSizeProblem(key);
  return sizeProblem === undefined ? { value: key } : { problem: sizeProblem };
}

/** True when `privateKey` is the private half of `publicKey`. */
export function isMatchingKeyPair(publicKey: KeyObject, privateKey: KeyObject): boolean {
  const expected = publicKey.export({ type: 'spki', format: 'der' });
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return expected.equals(derived);
}

function describeRsaSizeProblem(key: KeyObject): string | undefined {
  // rsa-pss keys are refused too: Persona expects rsaEncryption keys for RSA-OAEP.
  if (key.asymmetricKeyType !== 'rsa') return 'must be an RSA key';
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) return `must be an RSA key of ${MIN_RSA_BITS}–${MAX_RSA_BITS} bits (got ${bits})`;
  return undefined;
}
