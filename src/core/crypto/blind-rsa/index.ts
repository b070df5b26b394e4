/**
 * Blind RSA engines for Privacy Pass issuance (protocol §5.3, design §8).
 */
import { BlindRsaTsEngine, type BlindRsaTsEngineOptions } from './blindrsa-ts-engine.js';
import type { BlindRsaEngine } from './engine.js';
import { NodeCryptoBlindRsaEngine, type NodeCryptoBlindRsaEngineOptions } from './node-crypto-engine.js';

export { BlindRsaTsEngine, type BlindRsaTsEngineOptions } from './blindrsa-ts-engine.js';
export { NodeCryptoBlindRsaEngine, type NodeCryptoBlindRsaEngineOptions } from './node-crypto-engine.js';
export { BlindingState } from './blinding-state.js';
export type { BlindingResult, BlindRsaEngine } from './engine.js';
export type { BlindingRandomSource } from './randomness.js';
export { parseRsaPublicKeySpki, MAX_MODULUS_BITS, MIN_MODULUS_BITS, type RsaPublicKeyInfo } from './rsa-public-key.js';
export type { WorkerPoolStats } from './worker-pool.js';

/**
 * Names accepted by {@link createBlindRsaEngine}.
 *
 * @example
 * ```ts
 * const kind: BlindRsaEngineKind = process.env.RELAY_BLIND_RSA_ENGINE === 'node-crypto' ? 'node-crypto' : 'blindrsa-ts';
 * ```
 */
export type BlindRsaEngineKind = 'blindrsa-ts' | 'node-crypto';

/**
 * Creates a blind RSA engine. `'blindrsa-ts'` (the default) is the reference
 * library in worker threads; `'node-crypto'` is the native engine, proven
 * byte-for-byte equal to it.
 *
 * @throws TypeError for an unknown kind
 *
 * @example
 * ```ts
 * const engine = createBlindRsaEngine();                           // blindrsa-ts, 2 workers
 * const native = createBlindRsaEngine('node-crypto');
 * const bigger = createBlindRsaEngine('blindrsa-ts', { workers: 4 });
 * ```
 */
export function createBlindRsaEngine(kind?: 'blindrsa-ts', options?: BlindRsaTsEngineOptions): BlindRsaTsEngine;
export function createBlindRsaEngine(kind: 'node-crypto', options?: NodeCryptoBlindRsaEngineOptions): NodeCryptoBlindRsaEngine;
export function createBlindRsaEngine(
  kind?: BlindRsaEngineKind,
  options?: BlindRsaTsEngineOptions | NodeCryptoBlindRsaEngineOptions,
): BlindRsaEngine;
export function createBlindRsaEngine(
  kind: BlindRsaEngineKind = 'blindrsa-ts',
  options: BlindRsaTsEngineOptions | NodeCryptoBlindRsaEngineOptions = {},
): BlindRsaEngine {
  switch (kind) {
    case 'blindrsa-ts':
      return new BlindRsaTsEngine(options);
    case 'node-crypto':
      return new NodeCryptoBlindRsaEngine(options);
    default:
      throw new TypeError(`unknown blind RSA engine: ${String(kind)}`);
  }
}
