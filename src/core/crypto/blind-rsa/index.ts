/**
 * Blind RSA engines for Privacy Pass issuance (RSABSSA-SHA384-PSS, RFC 9474).
 */
import type { BlindRsaEngineName } from '../../config/relay-options.js';
import { BlindRsaTsEngine, type BlindRsaTsEngineOptions } from './blindrsa-ts-engine.js';
import type { BlindRsaEngine } from './engine.js';
import { NodeCryptoBlindRsaEngine, type NodeCryptoBlindRsaEngineOptions } from './node-crypto-engine.js';

export { BlindRsaTsEngine, type BlindRsaTsEngineOptions } from './blindrsa-ts-engine.js';
export { NodeCryptoBlindRsaEngine, type NodeCryptoBlindRsaEngineOptions } from './node-crypto-engine.js';
export { BlindingState } from './blinding-state.js';
export type { BlindingResult, BlindRsaEngine } from './engine.js';
export type { BlindingRandomSource } from './randomness.js';
export { parseRsaPublicKeySpki, MAX_MODULUS_BITS, MIN_MODULUS_BITS, type RsaPublicKeyInfo } from './rsa-public-key.js';
export type { WorkerPoolStats } from '../worker-pool.js';

/**
 * Creates a blind RSA engine. `'node-crypto'` (the default, as in the relay
 * options) is the native engine; `'blindrsa-ts'` is the reference library in
 * worker threads, proven byte-for-byte equal to it.
 *
 * @throws TypeError for an unknown name
 */
export function createBlindRsaEngine(name?: 'node-crypto', options?: NodeCryptoBlindRsaEngineOptions): NodeCryptoBlindRsaEngine;
export function createBlindRsaEngine(name: 'blindrsa-ts', options?: BlindRsaTsEngineOptions): BlindRsaTsEngine;
export function createBlindRsaEngine(
  name?: BlindRsaEngineName,
  options?: BlindRsaTsEngineOptions | NodeCryptoBlindRsaEngineOptions,
): BlindRsaEngine;
export function createBlindRsaEngine(
  name: BlindRsaEngineName = 'node-crypto',
  options: BlindRsaTsEngineOptions | NodeCryptoBlindRsaEngineOptions = {},
): BlindRsaEngine {
  switch (name) {
    case 'blindrsa-ts':
      return new BlindRsaTsEngine(options);
    case 'node-crypto':
      return new NodeCryptoBlindRsaEngine(options);
    default:
      throw new TypeError(`unknown blind RSA engine: ${String(name)}`);
  }
}
