/**
 * Blinding factors for the native engine, prepared in batches.
 *
 * Unblinding needs r⁻¹ mod n, and even with Lehmer's speed-up one inversion
 * costs about as much as twenty modular multiplications, more than the native
 * RSA operations of a blind signature. Montgomery's batch inversion turns N
 * inversions into one inversion plus 3(N−1) multiplications. Every factor is still drawn independently and uniformly
 * from [1, n), and each is handed out exactly once, so blindness is untouched.
 */
import { modInverse } from './bigint-bytes.js';
import { drawBlindingFactor, type BlindingRandomSource } from './randomness.js';
import type { RsaPublicKeyInfo } from './rsa-public-key.js';

/** A blinding factor r (as bytes for the native power operation) and its inverse. */
export interface BlindingFactor {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly value: bigint;
  readonly inverse: bigint;
}

/**
 * Inverts every value modulo `modulus` with a single modular inversion.
 * Returns `undefined` when some value is not invertible (it shares a factor
 * with the modulus), which for an RSA modulus and random values never happens
 * in practice.
 */
export function batchModInverse(values: readonly bigint[], modulus: bigint): bigint[] | undefined {
  if (values.length === 0) return [];
  // prefix[i] = values[0] · … · values[i]
  const prefix: bigint[] = new Array<bigint>(values.length);
  let running = 1n;
  for (let i = 0; i < values.length; i += 1) {
    running = (running * values[i]!) % modulus;
    prefix[i] = running;
  }
  let inverseOfRest = modInverse(running, modulus);
  if (inverseOfRest === undefined) return undefined;
  const inverses: bigint[] = new Array<bigint>(values.length);
  for (let i = values.length - 1; i > 0; i -= 1) {
    inverses[i] = (inverseOfRest * prefix[i - 1]!) % modulus;
    inverseOfRest = (inverseOfRest * values[i]!) % modulus;
  }
  inverses[0] = inverseOfRest;
  return inverses;
}

/**
 * Hands out blinding factors for one key, refilling a batch at a time. A
 * batch size of 1 draws and inverts one factor per call, in call order (what
 * tests with injected randomness rely on).
 */
export class BlindingFactorSupply {
  readonly #ready: BlindingFactor[] = [];

  constructor(
    private readonly key: Pick<RsaPublicKeyInfo, 'modulus' | 'modulusBits' | 'modulusBytes'>,
    private readonly random: BlindingRandomSource,
    private readonly batchSize: number,
  ) {}

  /** The next unused factor, or `undefined` if the batch held a value not invertible modulo n. */
  take(): BlindingFactor | undefined {
    if (this.#ready.length === 0) this.#refill();
    return this.#ready.pop();
  }

  #refill(): void {
    const drawn = Array.from({ length: this.batchSize }, () => drawBlindingFactor(this.random, this.key));
    const inverses = batchModInverse(
      drawn.map((r) => r.value),
      this.key.modulus,
    );
    if (inverses === undefined) return; // caller reports a blinding failure; the next call draws afresh
    drawn.forEach((r, i) => this.#ready.push({ bytes: r.bytes, value: r.value, inverse: inverses[i]! }));
  }
}
