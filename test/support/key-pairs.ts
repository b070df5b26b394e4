/**
 * Per-relay key pairs for test apps, fast: suites create dozens of relays, and
 * an RSA-3072 key pair (the smallest size the options accept) costs about half
 * a second of CPU on this machine.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { EncryptionKeyPair, KeyPairGenerator } from '../../src/core/crypto/index.js';

const generateRsaKeyPair = promisify(generateKeyPair);

/**
 * A {@link KeyPairGenerator} that ignores the requested size and makes fresh 2048-bit key pairs on libuv's
 * thread pool, about ten times faster than 3072 bits. Every relay still gets a key of its own, through the
 * key reserve in storage as in production. A claim payload with three methodology entries does not fit a
 * 2048-bit key: a test completing a relay with that many needs the default generator.
 */
export function fastTestKeyPairs(): KeyPairGenerator {
  return {
    concurrency: 2,
    async generate(): Promise<EncryptionKeyPair> {
      const { publicKey, privateKey } = await generateRsaKeyPair('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      return { publicKeyPem: publicKey, privateKeyPem: privateKey };
    },
    async close() {},
  };
}
