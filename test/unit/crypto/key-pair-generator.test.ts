/**
 * The default key pair generator: real RSA key generation, in a worker thread
 * (never on the event loop), loaded from the sources under vitest; the
 * crash-recovery e2e test runs it from the built package.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerKeyPairGenerator } from '../../../src/core/crypto/index.js';
import { RelayErrorCode } from '../../../src/core/errors.js';

const generators: WorkerKeyPairGenerator[] = [];

function newGenerator(): WorkerKeyPairGenerator {
  const generator = new WorkerKeyPairGenerator(1);
  generators.push(generator);
  return generator;
}

afterEach(async () => {
  await Promise.all(generators.splice(0).map((generator) => generator.close()));
});

describe('WorkerKeyPairGenerator', () => {
  it('generates a matching RSA-3072 key pair (e = 65537) in a worker thread', async () => {
    const pair = await newGenerator().generate(3072);
    expect(pair.threadId).not.toBe(threadId);
    expect(pair.threadId).toBeGreaterThan(0);
    const publicKey = createPublicKey(pair.publicKeyPem);
    expect(publicKey.asymmetricKeyDetails).toEqual({ modulusLength: 3072, publicExponent: 65537n });
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const sealed = publicEncrypt({ key: publicKey, oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from('payload'));
    const opened = privateDecrypt(
      { key: createPrivateKey(pair.privateKeyPem), oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING },
      sealed,
    );
    expect(opened.toString()).toBe('payload');
  });

  it('reports a size the worker cannot generate as INVALID_KEY', async () => {
    await expect(newGenerator().generate(-1)).rejects.toMatchObject({ code: RelayErrorCode.INVALID_KEY });
  });

  it('fails a generation in flight with ABORTED when closed, and refuses new ones', async () => {
    const generator = newGenerator();
    const generating = generator.generate(4096);
    await generator.close();
    await expect(generating).rejects.toMatchObject({ code: RelayErrorCode.ABORTED });
    await expect(generator.generate(3072)).rejects.toThrow(TypeError);
  });

  it('runs one worker per core but one, at least one', () => {
    expect(new WorkerKeyPairGenerator().concurrency).toBeGreaterThanOrEqual(1);
    expect(newGenerator().concurrency).toBe(1);
  });
});
