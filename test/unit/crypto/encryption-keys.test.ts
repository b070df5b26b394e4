import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayErrorCode, isRelayError } from '../../../src/core/errors.js';
import { EncryptionKeySupply, type EncryptionKeyPair } from '../../../src/core/crypto/index.js';

const supplies: EncryptionKeySupply[] = [];
afterEach(() => supplies.splice(0).forEach((supply) => supply.close()));

function newSupply(options: ConstructorParameters<typeof EncryptionKeySupply>[0]): EncryptionKeySupply {
  const supply = new EncryptionKeySupply(options);
  supplies.push(supply);
  return supply;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await sleep(5);
  expect(condition()).toBe(true);
}

/** A fake generator: numbered key pairs, released one at a time on demand. */
function controlledGenerator() {
  let made = 0;
  const pending: Array<{ resolve: (pair: EncryptionKeyPair) => void; reject: (error: Error) => void }> = [];
  return {
    generate: () =>
      new Promise<EncryptionKeyPair>((resolve, reject) => {
        pending.push({ resolve, reject });
      }),
    get waiting() {
      return pending.length;
    },
    release() {
      made++;
      pending.shift()!.resolve({ publicKeyPem: `public ${made}`, privateKeyPem: `private ${made}` });
    },
    fail(error = new Error('entropy exhausted')) {
      pending.shift()!.reject(error);
    },
  };
}

describe('EncryptionKeySupply with real keys', () => {
  it('hands out distinct, matching SPKI/PKCS#8 PEM key pairs of the configured size', async () => {
    const supply = newSupply({ size: 2, modulusBits: 2048 });
    const pairs = await Promise.all([supply.take(), supply.take(), supply.take()]);
    expect(new Set(pairs.map((pair) => pair.publicKeyPem)).size).toBe(3);
    for (const { publicKeyPem, privateKeyPem } of pairs) {
      expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
      expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
      const publicKey = createPublicKey(publicKeyPem);
      expect(publicKey.asymmetricKeyType).toBe('rsa');
      expect(publicKey.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
      // The pair works for the claim payload scheme (RSA-OAEP SHA-256).
      const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
      const ciphertext = publicEncrypt({ key: publicKey, ...oaep }, Buffer.from('{"claim_result":"passed"}'));
      expect(privateDecrypt({ key: createPrivateKey(privateKeyPem), ...oaep }, ciphertext).toString()).toBe('{"claim_result":"passed"}');
    }
  });

  it('defaults to 3072-bit keys', async () => {
    const supply = newSupply({ size: 1 });
    const { publicKeyPem } = await supply.take();
    expect(createPublicKey(publicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(3072);
  });
});

describe('EncryptionKeySupply behaviour', () => {
  it('fills up to its size in the background, one generation at a time, and refills after take', async () => {
    const generator = controlledGenerator();
    const supply = newSupply({ size: 3, generate: generator.generate });
    expect(supply.available).toBe(0);
    expect(generator.waiting).toBe(1);
    for (let i = 0; i < 3; i++) {
      generator.release();
      await until(() => supply.available === i + 1);
    }
    expect(generator.waiting).toBe(0); // full: no more generation

    expect(await supply.take()).toEqual({ publicKeyPem: 'public 1', privateKeyPem: 'private 1' });
    expect(supply.available).toBe(2);
    expect(generator.waiting).toBe(1); // refilling
    generator.release();
    await until(() => supply.available === 3);
  });

  it('take() waits for the next key when the supply is empty, first come first served', async () => {
    const generator = controlledGenerator();
    const supply = newSupply({ size: 1, generate: generator.generate });
    const first = supply.take();
    const second = supply.take();
    generator.release();
    await until(() => generator.waiting === 1);
    generator.release();
    expect((await first).publicKeyPem).toBe('public 1');
    expect((await second).publicKeyPem).toBe('public 2');
  });

  it('a generation error fails current waiters, never escapes, and the next take restarts refilling', async () => {
    const generator = controlledGenerator();
    const supply = newSupply({ size: 2, generate: generator.generate });
    const waiting = supply.take();
    generator.fail();
    const error = await waiting.catch((caught: unknown) => caught);
    expect(isRelayError(error, RelayErrorCode.INVALID_KEY)).toBe(true);
    expect(((error as Error).cause as Error).message).toBe('entropy exhausted');
    expect(generator.waiting).toBe(0); // paused after the failure

    const next = supply.take();
    expect(generator.waiting).toBe(1);
    generator.release();
    expect((await next).publicKeyPem).toBe('public 1');
  });

  it('a background error with nobody waiting surfaces on the next take, once', async () => {
    const generator = controlledGenerator();
    const supply = newSupply({ size: 2, generate: generator.generate });
    generator.release();
    await until(() => supply.available === 1);
    generator.fail();
    await sleep(5);
    await expect(supply.take()).rejects.toMatchObject({ code: RelayErrorCode.INVALID_KEY });
    // The key generated before the failure is still there, and refilling resumed.
    expect((await supply.take()).publicKeyPem).toBe('public 1');
    expect(generator.waiting).toBe(1);
  });

  it('close() fails waiters with ABORTED, drops ready keys and stops refilling', async () => {
    const generator = controlledGenerator();
    const supply = newSupply({ size: 2, generate: generator.generate });
    const waiting = supply.take();
    supply.close();
    await expect(waiting).rejects.toMatchObject({ code: RelayErrorCode.ABORTED });
    generator.release(); // the generation in flight finishes after close: discarded
    await sleep(5);
    expect(supply.available).toBe(0);
    expect(generator.waiting).toBe(0);
    await expect(supply.take()).rejects.toThrow(TypeError);
    supply.close();
  });

  it('validates its options', () => {
    expect(() => new EncryptionKeySupply({ size: 0 })).toThrow(TypeError);
    expect(() => new EncryptionKeySupply({ size: 65 })).toThrow(TypeError);
    expect(() => new EncryptionKeySupply({ modulusBits: 1024 as never })).toThrow(TypeError);
  });
});
