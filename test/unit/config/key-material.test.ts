import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkRsaPrivateKeyPem,
  checkRsaPublicKeyPem,
  checkStorageKey,
  isMatchingKeyPair,
} from '../../../src/core/config/key-material.js';

describe('checkStorageKey', () => {
  it('accepts 32 bytes in standard or url-safe base64, padded or not, and canonicalises', () => {
    const bytes = randomBytes(32);
    const canonical = bytes.toString('base64');
    for (const text of [canonical, canonical.replace(/=+$/, ''), bytes.toString('base64url')]) {
      expect(checkStorageKey(text)).toEqual({ value: canonical });
    }
  });

  it.each([
    ['empty', ''],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['64 bytes', randomBytes(64).toString('base64')],
    ['not base64', '%%%%'],
  ])('rejects %s', (_label, text) => {
    expect(checkStorageKey(text)).toEqual({ problem: 'must be base64 of exactly 32 bytes' });
  });
});

describe('RSA PEM checks', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('reads a public key and exports it as SPKI PEM', () => {
    const checked = checkRsaPublicKeyPem(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    expect('value' in checked && checked.value.spkiPem).toBe(publicPem);
  });

  it('reads a private key, PKCS#8 or PKCS#1', () => {
    expect('value' in checkRsaPrivateKeyPem(privatePem)).toBe(true);
    expect('value' in checkRsaPrivateKeyPem(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())).toBe(true);
  });

  it('rejects an RSA-PSS key', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    expect(checkRsaPublicKeyPem(pss.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toEqual({ problem: 'must be an RSA key' });
    expect(checkRsaPrivateKeyPem(pss.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toEqual({ problem: 'must be an RSA key' });
  });

  it('matches the halves of one pair only', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(isMatchingKeyPair(rsa.publicKey, rsa.privateKey)).toBe(true);
    expect(isMatchingKeyPair(rsa.publicKey, other.privateKey)).toBe(false);
  });
});
