/**
 * Both engines through the public BlindRsaEngine API, against a test-side
 * signer playing Persona (raw RSA with the private key).
 */
import { constants, randomBytes, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_OPTIONS } from '../../../src/core/config/index.js';
import { RelayErrorCode, isRelayError } from '../../../src/core/errors.js';
import { createBlindRsaEngine, parseRsaPublicKeySpki, type BlindRsaEngine } from '../../../src/core/crypto/index.js';
import {
  RSASSA_PSS_ALGORITHM,
  encodeRsaSpki,
  signBlinded,
  testRsaKey,
  toHex,
  withAlgorithm,
  type TestRsaKey,
} from './helpers/rsa-fixtures.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function pssVerifies(key: TestRsaKey, message: Uint8Array, signature: Uint8Array): boolean {
  return verify('sha384', message, { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, signature);
}

const tokenInput = () => new Uint8Array(randomBytes(98));

describe.each(['blindrsa-ts', 'node-crypto'] as const)('%s engine', (kind) => {
  let engine: BlindRsaEngine;
  let rsa2048: TestRsaKey;
  let rsa4096: TestRsaKey;

  beforeAll(async () => {
    engine = createBlindRsaEngine(kind);
    [rsa2048, rsa4096] = await Promise.all([testRsaKey(2048), testRsaKey(4096)]);
  });
  afterAll(() => engine.close());

  it('has its name', () => {
    expect(engine.name).toBe(kind);
  });

  it.each([2048, 4096])('round-trips at %i bits into a standard RSASSA-PSS signature', async (bits) => {
    const key = bits === 2048 ? rsa2048 : rsa4096;
    const message = tokenInput();
    const { blindedMessage, state } = await engine.blind(key.spki, message);
    expect(blindedMessage.length).toBe(bits / 8);
    const signature = await engine.finalize(state, signBlinded(key.privateKey, blindedMessage));
    expect(signature.length).toBe(bits / 8);
    expect(pssVerifies(key, message, signature)).toBe(true);
    // Outputs own their buffers (never a view into a shared pool).
    expect(signature.byteOffset).toBe(0);
    expect(signature.buffer.byteLength).toBe(bits / 8);
  });

  it('blinds the same message differently each time', async () => {
    const message = tokenInput();
    const first = await engine.blind(rsa2048.spki, message);
    const second = await engine.blind(rsa2048.spki, message);
    expect(toHex(first.blindedMessage)).not.toBe(toHex(second.blindedMessage));
  });

  it('is not affected by the caller reusing its message buffer', async () => {
    const message = tokenInput();
    const original = new Uint8Array(message);
    const { blindedMessage, state } = await engine.blind(rsa2048.spki, message);
    message.fill(0);
    const signature = await engine.finalize(state, signBlinded(rsa2048.privateKey, blindedMessage));
    expect(pssVerifies(rsa2048, original, signature)).toBe(true);
  });

  it('accepts a token key under the id-RSASSA-PSS OID', async () => {
    const pssSpki = withAlgorithm(rsa2048.spki, RSASSA_PSS_ALGORITHM);
    const message = tokenInput();
    const { blindedMessage, state } = await engine.blind(pssSpki, message);
    const signature = await engine.finalize(state, signBlinded(rsa2048.privateKey, blindedMessage));
    expect(pssVerifies(rsa2048, message, signature)).toBe(true);
  });

  it('rejects a tampered blind signature with INVALID_BLIND_SIGNATURE', async () => {
    const { blindedMessage, state } = await engine.blind(rsa2048.spki, tokenInput());
    const blindSignature = signBlinded(rsa2048.privateKey, blindedMessage);
    blindSignature[100]! ^= 0x01;
    const error = await rejection(engine.finalize(state, blindSignature));
    expect(isRelayError(error, RelayErrorCode.INVALID_BLIND_SIGNATURE), String(error)).toBe(true);
  });

  it('rejects a blind signature over another blinded message', async () => {
    const { state } = await engine.blind(rsa2048.spki, tokenInput());
    const other = await engine.blind(rsa2048.spki, tokenInput());
    const error = await rejection(engine.finalize(state, signBlinded(rsa2048.privateKey, other.blindedMessage)));
    expect(isRelayError(error, RelayErrorCode.INVALID_BLIND_SIGNATURE)).toBe(true);
  });

  it('rejects a blind signature of the wrong length', async () => {
    const { blindedMessage, state } = await engine.blind(rsa2048.spki, tokenInput());
    const blindSignature = signBlinded(rsa2048.privateKey, blindedMessage);
    for (const wrong of [blindSignature.subarray(1), Uint8Array.from([0, ...blindSignature]), new Uint8Array(0)]) {
      const error = await rejection(engine.finalize(state, wrong));
      expect(isRelayError(error, RelayErrorCode.INVALID_BLIND_SIGNATURE)).toBe(true);
      expect((error as { context: object }).context).toEqual({ expectedBytes: 256, actualBytes: wrong.length });
    }
    // The state is still usable with the right signature.
    expect((await engine.finalize(state, blindSignature)).length).toBe(256);
  });

  it('rejects unusable token keys with INVALID_KEY', async () => {
    const rsa1024 = await testRsaKey(1024);
    const built8192 = encodeRsaSpki((1n << 8191n) | 0x10001n, 65537n);
    for (const spki of [rsa1024.spki, built8192, new Uint8Array(0), new Uint8Array(randomBytes(294))]) {
      const error = await rejection(engine.blind(spki, tokenInput()));
      expect(isRelayError(error, RelayErrorCode.INVALID_KEY), String(error)).toBe(true);
    }
  });

  it('rejects a modulus that shares a factor with the blinding values', async () => {
    // n = 3·(big odd number): not an RSA modulus. Every encoded message or r
    // divisible by 3 makes blinding fail; try until one does.
    const n = 3n * ((1n << 2046n) + 1n);
    const spki = encodeRsaSpki(n, 65537n);
    expect(parseRsaPublicKeySpki(spki).modulusBits).toBe(2048);
    let failure: unknown;
    for (let attempt = 0; attempt < 40 && failure === undefined; attempt++) {
      failure = await engine.blind(spki, tokenInput()).then(
        () => undefined,
        (error: unknown) => error,
      );
    }
    expect(isRelayError(failure, RelayErrorCode.INVALID_KEY), String(failure)).toBe(true);
  });

  it('keeps the blinding state opaque', async () => {
    const { state } = await engine.blind(rsa2048.spki, tokenInput());
    expect(JSON.stringify(state)).toBe('{}');
    expect(inspect(state, { depth: 5, showHidden: true })).not.toMatch(/[0-9a-f]{32}|Uint8Array|inverse/i);
  });

  it('throws TypeError on misuse', async () => {
    await expect(engine.blind(rsa2048.spki, 'input' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    await expect(engine.blind('spki' as unknown as Uint8Array, tokenInput())).rejects.toThrow(TypeError);
    await expect(engine.finalize({} as never, new Uint8Array(256))).rejects.toThrow(TypeError);
    const { state } = await engine.blind(rsa2048.spki, tokenInput());
    await expect(engine.finalize(state, 'sig' as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});

describe('engine lifecycle', () => {
  it.each(['blindrsa-ts', 'node-crypto'] as const)('%s: calls after close() throw TypeError', async (kind) => {
    const engine = createBlindRsaEngine(kind);
    const rsa2048 = await testRsaKey(2048);
    await engine.blind(rsa2048.spki, tokenInput());
    await engine.close();
    await engine.close(); // idempotent
    await expect(engine.blind(rsa2048.spki, tokenInput())).rejects.toThrow(TypeError);
  });

  it('createBlindRsaEngine defaults to the relay options\' engine and rejects unknown names', async () => {
    const engine = createBlindRsaEngine();
    expect(engine.name).toBe(DEFAULT_RELAY_OPTIONS.blindRsaEngine);
    await engine.close();
    expect(() => createBlindRsaEngine('openssl' as never)).toThrow(TypeError);
  });
});
