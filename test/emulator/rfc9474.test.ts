/** RFC 9474 Appendix A.1 through the privacy-passes endpoint: the emulator's BlindSign is raw `m^d mod n`. */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { SigningKeyRing } from '../../src/emulator/keys.js';
import { verifyTokenSignature } from '../../src/emulator/rsa.js';
import { SANDBOX_KEY, call, fetchChallenge } from './helpers.js';

interface Vector {
  name: string;
  p: string;
  q: string;
  n: string;
  e: string;
  d: string;
  input_msg: string;
  blinded_msg: string;
  blind_sig: string;
  sig: string;
}

const vector = (
  JSON.parse(readFileSync(resolve(process.cwd(), '../shared/vectors/rfc9474.json'), 'utf8')) as Vector[]
)[0]!;

const big = (hex: string): bigint => BigInt(hex.startsWith('0x') ? hex : `0x${hex}`);

function base64UrlOf(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  return ((oldS % m) + m) % m;
}

/** The vector's key as PKCS#8 PEM, via a JWK with the CRT parameters computed here. */
function vectorKeyPem(): string {
  const [p, q, d] = [big(vector.p), big(vector.q), big(vector.d)];
  const jwk = {
    kty: 'RSA',
    n: base64UrlOf(big(vector.n)),
    e: base64UrlOf(big(vector.e)),
    d: base64UrlOf(d),
    p: base64UrlOf(p),
    q: base64UrlOf(q),
    dp: base64UrlOf(d % (p - 1n)),
    dq: base64UrlOf(d % (q - 1n)),
    qi: base64UrlOf(modInverse(q, p)),
  };
  return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }) as string;
}

describe('RFC 9474 A.1 (RSABSSA-SHA384-PSS-Randomized, 4096-bit key)', () => {
  let emulator: RunningEmulator;
  const pem = vectorKeyPem();
  beforeAll(async () => {
    emulator = await startEmulator({ signingKeyPem: pem });
  });
  afterAll(() => emulator.close());

  it('uses vector index 0', () => {
    expect(vector.name).toBe('RSABSSA-SHA384-PSS-Randomized');
  });

  it('answers blind_sig for blinded_msg', async () => {
    const material = await fetchChallenge(emulator);
    expect(Buffer.from(material.tokenKey, 'base64url')).toEqual(
      createPublicKey(pem).export({ type: 'spki', format: 'der' }),
    );
    const result = await call(emulator, '/api/v1/privacy-passes', {
      headers: { authorization: `Bearer ${SANDBOX_KEY}` },
      body: { 'blinded-token': Buffer.from(vector.blinded_msg, 'hex').toString('base64url'), 'key-id': material.tokenKeyId },
    });
    expect(result.status).toBe(200);
    expect(Buffer.from(result.json['blind-sig'], 'base64url').toString('hex')).toBe(vector.blind_sig);
  });

  it("accepts the vector's final signature with the redemption verifier (PSS, SHA-384, salt 48)", async () => {
    const key = await new SigningKeyRing(createPrivateKey(pem)).ensure('sandbox', 'any_claim');
    const message = Buffer.from(vector.input_msg, 'hex');
    const signature = Buffer.from(vector.sig, 'hex');
    expect(verifyTokenSignature(key, message, signature)).toBe(true);
    signature[10] = (signature[10] as number) ^ 1;
    expect(verifyTokenSignature(key, message, signature)).toBe(false);
  });
});
