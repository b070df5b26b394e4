/**
 * The crypto layer: blind RSA engines for Privacy Pass issuance, the secret
 * box for values at rest, and per-relay payload key generation in worker threads.
 */
export {
  BlindingState,
  BlindRsaTsEngine,
  createBlindRsaEngine,
  MAX_MODULUS_BITS,
  MIN_MODULUS_BITS,
  NodeCryptoBlindRsaEngine,
  parseRsaPublicKeySpki,
} from './blind-rsa/index.js';
export type {
  BlindingRandomSource,
  BlindingResult,
  BlindRsaEngine,
  BlindRsaTsEngineOptions,
  NodeCryptoBlindRsaEngineOptions,
  RsaPublicKeyInfo,
  WorkerPoolStats,
} from './blind-rsa/index.js';
export { SecretBox } from './secret-box.js';
export type { SecretBoxOptions } from './secret-box.js';
export { WorkerKeyPairGenerator } from './key-pair-generator.js';
export type { EncryptionKeyPair, GeneratedKeyPair, KeyPairGenerator } from './key-pair-generator.js';
