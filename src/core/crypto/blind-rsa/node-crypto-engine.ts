/**
 * A native engine: the same RFC 9474 client operations as blindrsa-ts, with
 * node:crypto doing the hashing, the RSA public-key operation and the final
 * verification, and BigInt doing the rest.
 */
import { constants, publicEncrypt } from 'node:crypto';
import { bigIntToBytes, bytesToBigInt } from './bigint-bytes.js';
import { BlindingFactorSupply } from './blinding-factors.js';
import { createBlindingState, readBlindingState, type BlindingState } from './blinding-state.js';
import { emsaPssEncodeSha384 } from './emsa-pss.js';
import type { BlindingResult, BlindRsaEngine } from './engine.js';
import { blindingFailed, checkBlindSignature, copyMessage, requireVerified } from './engine-checks.js';
import { MacrotaskQueue } from './macrotask-queue.js';
import { drawSalt, secureRandomSource, type BlindingRandomSource } from './randomness.js';
import { PSS_SALT_LENGTH, TokenKeyCache, type TokenKey } from './token-key.js';

const ENGINE_NAME = 'node-crypto';
/** Blinding factors inverted together (see `BlindingFactorSupply`): well under a millisecond of work at 2048 bits per refill. */
const FACTOR_BATCH_SIZE = 32;

/**
 * Options for {@link NodeCryptoBlindRsaEngine}.
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
 * and r (tested), and far cheaper: per blind one native RSA public-key
 * operation (r^e mod n), the PSS encoding and one BigInt multiplication; per
 * finalize one multiplication and a native verification. The inversions of r
 * are batched (one inversion per 32 factors).
 *
 * Operations run on later event-loop turns in slices of about a millisecond
 * ({@link MacrotaskQueue}), so many concurrent issuances never hold the loop
 * for much longer than that.
 *
 * RFC 9474 also rejects a message sharing a factor with n. Such a message
 * would factor the issuer's modulus, so it occurs with negligible
 * probability, and here it would only yield a signature that fails the
 * final verification; the per-message inversion that checked it was the
 * single most expensive step, so it is not repeated.
 */
export class NodeCryptoBlindRsaEngine implements BlindRsaEngine {
  readonly name = ENGINE_NAME;
  readonly #keys = new TokenKeyCache();
  readonly #factors = new WeakMap<TokenKey, BlindingFactorSupply>();
  readonly #queue = new MacrotaskQueue();
  readonly #random: BlindingRandomSource;
  readonly #batchSize: number;
  #closed = false;

  constructor(options: NodeCryptoBlindRsaEngineOptions = {}) {
    this.#random = options.randomSource ?? secureRandomSource;
    // Injected randomness (tests) is consumed one factor per blind, in call order.
    this.#batchSize = options.randomSource ? 1 : FACTOR_BATCH_SIZE;
  }

  async blind(tokenKeySpki: Uint8Array, message: Uint8Array): Promise<BlindingResult> {
    this.#assertOpen();
    const key = this.#keys.get(tokenKeySpki);
    const ownMessage = copyMessage(message);
    return this.#queue.run(() => this.#blindNow(key, ownMessage));
  }

  async finalize(state: BlindingState, blindSignature: Uint8Array): Promise<Uint8Array> {
    this.#assertOpen();
    const { key, message, inverse } = readBlindingState(state);
    const z = bytesToBigInt(checkBlindSignature(key, blindSignature));
    return this.#queue.run(() => {
      const signature = bigIntToBytes((z * bytesToBigInt(inverse)) % key.info.modulus, key.info.modulusBytes);
      return requireVerified(key, message, signature, ENGINE_NAME);
    });
  }

  #blindNow(key: TokenKey, message: Uint8Array): BlindingResult {
    const { modulus: n, modulusBits, modulusBytes } = key.info;
    const encoded = emsaPssEncodeSha384(message, modulusBits - 1, drawSalt(this.#random, PSS_SALT_LENGTH));
    const r = this.#factorsFor(key).take();
    if (r === undefined) throw blindingFailed(ENGINE_NAME, modulusBits);
    // r^e mod n in one native operation: raw RSA "encryption" is exactly that power.
    const rPowE = bytesToBigInt(publicEncrypt({ key: key.publicKey, padding: constants.RSA_NO_PADDING }, r.bytes));
    const blinded = (bytesToBigInt(encoded) * rPowE) % n;
    return {
      blindedMessage: bigIntToBytes(blinded, modulusBytes),
      state: createBlindingState({ key, message, inverse: bigIntToBytes(r.inverse, modulusBytes) }),
    };
  }

  #factorsFor(key: TokenKey): BlindingFactorSupply {
    let supply = this.#factors.get(key);
    if (supply === undefined) {
      supply = new BlindingFactorSupply(key.info, this.#random, this.#batchSize);
      this.#factors.set(key, supply);
    }
    return supply;
  }

  /** Nothing to release; later calls throw `TypeError` like every engine's. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new TypeError(`the ${ENGINE_NAME} blind RSA engine is closed`);
  }
}
