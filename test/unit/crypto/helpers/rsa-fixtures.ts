/**
 * Test-side RSA material: key generation, a "signer" playing Persona, SPKI
 * builders for odd keys, and fixed randomness for the engines.
 */
import { constants, generateKeyPair, privateDecrypt, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { BlindingRandomSource } from '../../../../src/core/crypto/index.js';

const generate = promisify(generateKeyPair);

/** A generated RSA key: its DER SPKI (rsaEncryption) and private key. */
export interface TestRsaKey {
  readonly spki: Uint8Array;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const keys = new Map<number, Promise<TestRsaKey>>();

/** One key per size per test file, generated off the event loop. */
export function testRsaKey(bits: number): Promise<TestRsaKey> {
  let key = keys.get(bits);
  if (!key) {
    key = generate('rsa', { modulusLength: bits, publicExponent: 0x10001 }).then(({ publicKey, privateKey }) => ({
      spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
      publicKey,
      privateKey,
    }));
    keys.set(bits, key);
  }
  return key;
}

/** Persona's side of RFC 9474: blind_sig = blinded_msg^d mod n (raw RSA with the private key). */
export function signBlinded(privateKey: KeyObject, blindedMessage: Uint8Array): Uint8Array {
  return new Uint8Array(privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, blindedMessage));
}

/** Bytes from hex (optionally `0x`-prefixed). */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/^0x/, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function bigintFromHex(text: string): bigint {
  return BigInt(text.startsWith('0x') ? text : `0x${text}`);
}

export function bigintToFixedBytes(value: bigint, length: number): Uint8Array {
  return hex(value.toString(16).padStart(length * 2, '0'));
}

/** Test-side extended Euclid, independent of the engine's. */
export function invertMod(value: bigint, modulus: bigint): bigint {
  let [a, b, x, y] = [value % modulus, modulus, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b, x, y] = [b, a - q * b, y, x - q * y];
  }
  if (a !== 1n) throw new Error('not invertible');
  return ((x % modulus) + modulus) % modulus;
}

/** A random source that always returns the same salt and blinding factor r. */
export function fixedRandomSource(salt: Uint8Array, r: Uint8Array): BlindingRandomSource {
  return { salt: () => new Uint8Array(salt), blindingFactor: () => new Uint8Array(r) };
}

// --- DER building, for keys node:crypto would not produce -------------------

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

export function derElement(tag: number, contents: Uint8Array): Uint8Array {
  return Uint8Array.from([tag, ...derLength(contents.length), ...contents]);
}

function derInteger(value: bigint): Uint8Array {
  let body = value.toString(16);
  if (body.length % 2) body = `0${body}`;
  if (parseInt(body.slice(0, 2), 16) & 0x80) body = `00${body}`;
  return derElement(0x02, hex(body));
}

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));

export const RSA_ENCRYPTION_ALGORITHM = hex('300d06092a864886f70d0101010500');
/** id-RSASSA-PSS with no parameters. */
export const RSASSA_PSS_ALGORITHM = hex('300b06092a864886f70d01010a');

/** SPKI for (n, e) under the given AlgorithmIdentifier. */
export function encodeRsaSpki(n: bigint, e: bigint, algorithm: Uint8Array = RSA_ENCRYPTION_ALGORITHM): Uint8Array {
  const rsaPublicKey = derElement(0x30, concat(derInteger(n), derInteger(e)));
  return derElement(0x30, concat(algorithm, derElement(0x03, concat(Uint8Array.of(0), rsaPublicKey))));
}

/** Splits an SPKI into its AlgorithmIdentifier and BIT STRING element bytes. */
export function splitSpki(spki: Uint8Array): { algorithm: Uint8Array; bitString: Uint8Array } {
  const headerLength = spki[1]! < 0x80 ? 2 : 2 + (spki[1]! & 0x7f);
  const body = spki.subarray(headerLength);
  const algorithmLength = 2 + body[1]!; // AlgorithmIdentifiers here are shorter than 128 bytes
  return { algorithm: body.subarray(0, algorithmLength), bitString: body.subarray(algorithmLength) };
}

/** The same key with another AlgorithmIdentifier (e.g. id-RSASSA-PSS). */
export function withAlgorithm(spki: Uint8Array, algorithm: Uint8Array): Uint8Array {
  return derElement(0x30, concat(algorithm, splitSpki(spki).bitString));
}
