/**
 * The blind RSA engine contract (RFC 9474 client side, RSABSSA-SHA384-PSS
 * without `Prepare`). Engines differ only in where and how the
 * arithmetic runs; their outputs are byte-for-byte the same.
 */
import type { BlindingState } from './blinding-state.js';

export type { BlindingState } from './blinding-state.js';

/**
 * The output of {@link BlindRsaEngine.blind}.
 */
export interface BlindingResult {
  /** Sent to Persona as `blinded-token`: k bytes. */
  readonly blindedMessage: Uint8Array;
  /** Opaque state needed by finalize (key, message, blinding inverse); keep in memory only. */
  readonly state: BlindingState;
}

/**
 * Blinds token inputs and finalizes Persona's blind signatures.
 *
 * @example
 * ```ts
 * const engine = createBlindRsaEngine();
 * const key = parseRsaPublicKeySpki(tokenKeyDer);
 * const { blindedMessage, state } = await engine.blind(key.spki, tokenInput);
 * const blindSignature = await askPersonaToSign(blindedMessage);
 * const signature = await engine.finalize(state, blindSignature); // verified RSASSA-PSS signature
 * await engine.close();
 * ```
 */
export interface BlindRsaEngine {
  /** A stable name for logs and metrics, e.g. `'blindrsa-ts'`. */
  readonly name: string;
  /**
   * RFC 9474 `Blind` of `message` exactly as given (never `Prepare`d): EMSA-PSS
   * encoding with SHA-384, MGF1-SHA-384 and a fresh 48-byte salt, times r^e for
   * a fresh random r.
   *
   * @param tokenKeySpki - DER SubjectPublicKeyInfo, rsaEncryption or RSASSA-PSS OID
   * @throws RelayError `INVALID_KEY` when the key is unusable
   */
  blind(tokenKeySpki: Uint8Array, message: Uint8Array): Promise<BlindingResult>;
  /**
   * Unblinds AND verifies (RSASSA-PSS SHA-384, MGF1-SHA-384, salt 48).
   *
   * @returns the k-byte signature over the blinded message
   * @throws RelayError `INVALID_BLIND_SIGNATURE` when the signature does not verify or has the wrong length
   */
  finalize(state: BlindingState, blindSignature: Uint8Array): Promise<Uint8Array>;
  /** Releases resources (worker threads). Further calls throw `TypeError`. */
  close(): Promise<void>;
}
