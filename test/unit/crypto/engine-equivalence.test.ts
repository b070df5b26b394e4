/**
 * The native engine is byte-for-byte blindrsa-ts: with the same salt and r,
 * both give identical blinded messages, inverses (states are interchangeable)
 * and signatures.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { BlindRsaTsEngine, NodeCryptoBlindRsaEngine, parseRsaPublicKeySpki, type BlindingRandomSource } from '../../../src/core/crypto/index.js';
import { bigintToFixedBytes, signBlinded, testRsaKey, toHex } from './helpers/rsa-fixtures.js';

/** The current case's salt and r, handed to both engines. */
let current: { salt: Uint8Array; r: Uint8Array } = { salt: new Uint8Array(48), r: new Uint8Array(256) };
const sharedSource: BlindingRandomSource = {
  salt: () => new Uint8Array(current.salt),
  blindingFactor: () => new Uint8Array(current.r),
};

const reference = new BlindRsaTsEngine({ workers: 2, randomSource: sharedSource });
const native = new NodeCryptoBlindRsaEngine({ randomSource: sharedSource });
afterAll(() => reference.close());

const cases = [
  ...Array.from({ length: 6 }, (_, i) => ({ bits: 2048, messageLength: [98, 98, 98, 1, 0, 300][i]! })),
  { bits: 3072, messageLength: 98 },
  { bits: 4096, messageLength: 98 },
];

describe('NodeCryptoBlindRsaEngine ≡ BlindRsaTsEngine', () => {
  it.each(cases)('%o: same blinded message, same signature, interchangeable states', async ({ bits, messageLength }) => {
    const key = await testRsaKey(bits);
    const { modulus, modulusBytes } = parseRsaPublicKeySpki(key.spki);
    const r = BigInt(`0x${randomBytes(modulusBytes).toString('hex')}`) % modulus;
    current = { salt: new Uint8Array(randomBytes(48)), r: bigintToFixedBytes(r, modulusBytes) };
    const message = new Uint8Array(randomBytes(messageLength));

    const fromReference = await reference.blind(key.spki, message);
    const fromNative = await native.blind(key.spki, message);
    expect(toHex(fromNative.blindedMessage)).toBe(toHex(fromReference.blindedMessage));

    const blindSignature = signBlinded(key.privateKey, fromReference.blindedMessage);
    const signatures = await Promise.all([
      reference.finalize(fromReference.state, blindSignature),
      native.finalize(fromNative.state, blindSignature),
      // Crossed over: each engine finalizes the other's state.
      reference.finalize(fromNative.state, blindSignature),
      native.finalize(fromReference.state, blindSignature),
    ]);
    expect(new Set(signatures.map(toHex)).size).toBe(1);
  });

  it('both skip out-of-range candidates for r the same way', async () => {
    const key = await testRsaKey(2048);
    const { modulus, modulusBytes } = parseRsaPublicKeySpki(key.spki);
    const good = bigintToFixedBytes(modulus - 12345n, modulusBytes);
    const candidates = () => [new Uint8Array(modulusBytes), bigintToFixedBytes(modulus, modulusBytes), good];
    const salt = new Uint8Array(randomBytes(48));
    const sourceFor = () => {
      const queue = candidates();
      return { salt: () => salt, blindingFactor: () => queue.shift()! };
    };
    const ts = new BlindRsaTsEngine({ workers: 1, randomSource: sourceFor() });
    try {
      const message = new Uint8Array(randomBytes(98));
      const a = await ts.blind(key.spki, message);
      const b = await new NodeCryptoBlindRsaEngine({ randomSource: sourceFor() }).blind(key.spki, message);
      expect(toHex(a.blindedMessage)).toBe(toHex(b.blindedMessage));
    } finally {
      await ts.close();
    }
  });
});
