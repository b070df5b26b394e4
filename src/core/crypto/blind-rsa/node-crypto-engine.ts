/**
 * A native engine: the same RFC 9474 client operations as blindrsa-ts, with
 * node:crypto doing the hashing, the RSA public-key operation and the final
 * verification, and BigInt doing the rest.
 */
import { constants, publicEncrypt } from 'node:crypto';
import { bigIntToBytes, bytesToBigInt, modInverse } from './bigint-bytes.js';
import { createBlindingState, readBlindingState, type BlindingState } from './blinding-state.js';
import { emsaPssEncodeSha384 } from './emsa-pss.js';
import type { BlindingResult, BlindRsaEngine } from './engine.js';
import { blindingFailed, checkBlindSignature, copyMessage, requireVerified } from './engine-checks.js';
import { drawBlindingFactor, drawSalt, secureRandomSource, type BlindingRandomSource } from './randomness.js';
import { PSS_SALT_LENGTH, TokenKeyCache } from './token-key.js';

const ENGINE_NAME = 'node-crypto';

/**
 * Options for {@link NodeCryptoBlindRsaEngine}.
 *
 * @example
 * ```ts
 * const options: NodeCryptoBlindRsaEngineOptions = {}; // production: no options
 * ```
 */
export interface NodeCryptoBlindRsaEngineOptions {
  /**
   * **Tests only.** Replaces the CSPRNG for the salt and r, e.g. to reproduce
   * RFC 9474 vectors or compare with blindrsa-ts. Never set it in production:
   * predictable blinding links tokens to their issuance.
   */
  readonly randomSource?: BlindingRandomSource;
}

/**
 * {@link BlindRsaEngine} on node:crypto and BigInt, running on the calling
 * thread. Byte-for-byte equal to {@link BlindRsaTsEngine} given the same salt
 * and r (tested), and far cheaper: one native RSA public-key operation
 * (r^e mod n), two SHA-384 passes, a few BigInt multiplications and one
 * extended-Euclid inversion per blind (about 0.3 ms at 2048 bits, 1 ms at
 * 4096), and one multiplication plus a native verification per finalize.
 *
 * @example
 * ```ts
 * const engine = new NodeCryptoBlindRsaEngine();
 * const { blindedMessage, state } = await engine.blind(tokenKeySpki, tokenInput);
 * const signature = await engine.finalize(state, blindSignatureFromPersona);
 * ```
 */
export class NodeCryptoBlindRsaEngine implements BlindRsaEngine {
  readonly name = ENGINE_NAME;
  readonly #keys = new TokenKeyCache();
  readonly #random: BlindingRandomSource;
  #closed = false;

  constructor(options: NodeCryptoBlindRsaEngineOptions = {}) {
    this.#random = options.randomSource ?? secureRandomSource;
  }

  async blind(tokenKeySpki: Uint8Array, message: Uint8Array): Promise<BlindingResult> {
    this.#assertOpen();
    const key = this.#keys.get(tokenKeySpki);
    const ownMessage = copyMessage(message);
    const { modulus: n, modulusBits, modulusBytes } = key.info;

    const encoded = emsaPssEncodeSha384(ownMessage, modulusBits - 1, drawSalt(this.#random, PSS_SALT_LENGTH));
    const m = bytesToBigInt(encoded);
    const r = drawBlindingFactor(this.#random, key.info);
    // r^e mod n in one native operation: raw RSA "encryption" is exactly that power.
    const rPowE = bytesToBigInt(publicEncrypt({ key: key.publicKey, padding: constants.RSA_NO_PADDING }, r.bytes));
    const blinded = (m * rPowE) % n;

    // One inversion covers both RFC 9474 checks (m and r coprime to n): m·r is
    // invertible iff both are, and then r⁻¹ = m · (m·r)⁻¹.
    const productInverse = modInverse((m * r.value) % n, n);
    if (productInverse === undefined) throw blindingFailed(ENGINE_NAME, modulusBits);
    const inverse = (m * productInverse) % n;

    return {
      blindedMessage: bigIntToBytes(blinded, modulusBytes),
      state: createBlindingState({ key, message: ownMessage, inverse: bigIntToBytes(inverse, modulusBytes) }),
    };
  }

  async finalize(state: BlindingState, blindSignature: Uint8Array): Promise<Uint8Array> {
    this.#assertOpen();
    const { key, message, inverse } = readBlindingState(state);
    const z = bytesToBigInt(checkBlindSignature(key, blindSignature));
    const signature = bigIntToBytes((z * bytesToBigInt(inverse)) % key.info.modulus, key.info.modulusBytes);
    return requireVerified(key, message, signature, ENGINE_NAME);
  }

  /** Nothing to release; later calls throw `TypeError` like every engine's. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new TypeError(`the ${ENGINE_NAME} blind RSA engine is closed`);
  }
}
