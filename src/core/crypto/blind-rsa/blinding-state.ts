/**
 * The secret a blinding leaves behind until its blind signature arrives.
 */
import type { TokenKey } from './token-key.js';

/**
 * What `finalize` needs. Internal: engines read it through {@link readBlindingState}.
 */
export interface BlindingStateContents {
  readonly key: TokenKey;
  /** The message that was blinded (the 98-byte token input). */
  readonly message: Uint8Array;
  /** r⁻¹ mod n, k bytes big-endian. Links the blinded message to the final token: never persist or log it. */
  readonly inverse: Uint8Array;
}

let construct: (contents: BlindingStateContents) => BlindingState;
let read: (state: BlindingState) => BlindingStateContents;

/**
 * Opaque state returned by `blind` and consumed by `finalize`. It holds the
 * token key, the message and the blinding inverse, in memory only: the
 * contents live in a private field, so neither `JSON.stringify` nor
 * `util.inspect` shows them. States are interchangeable between engines.
 */
export class BlindingState {
  readonly #contents: BlindingStateContents;

  private constructor(contents: BlindingStateContents) {
    this.#contents = contents;
  }

  static {
    construct = (contents) => new BlindingState(contents);
    read = (state) => state.#contents;
  }
}

/**
 * Wraps finalize's inputs into an opaque {@link BlindingState}.
 */
export function createBlindingState(contents: BlindingStateContents): BlindingState {
  return construct(contents);
}

/**
 * Unwraps a {@link BlindingState}.
 *
 * @throws TypeError when `state` did not come from an engine's `blind`
 */
export function readBlindingState(state: unknown): BlindingStateContents {
  if (!(state instanceof BlindingState)) throw new TypeError('finalize expects the state returned by blind()');
  return read(state);
}
