/**
 * Input and output checks every engine applies, so engines agree on errors
 * as well as on bytes.
 */
import { RelayError, RelayErrorCode } from '../../errors.js';
import { verifyTokenSignature, type TokenKey } from './token-key.js';

/**
 * Checks the message to blind and returns a copy that owns its buffer.
 *
 * @throws TypeError when `message` is not a Uint8Array
 */
export function copyMessage(message: unknown): Uint8Array {
  if (!(message instanceof Uint8Array)) throw new TypeError('blind expects the message as a Uint8Array');
  return new Uint8Array(message);
}

/**
 * Checks a blind signature's type and length (k bytes) and returns a copy that owns its buffer.
 *
 * @throws RelayError `INVALID_BLIND_SIGNATURE` when the length is not k
 * @throws TypeError when `blindSignature` is not a Uint8Array
 */
export function checkBlindSignature(key: TokenKey, blindSignature: unknown): Uint8Array<ArrayBuffer> {
  if (!(blindSignature instanceof Uint8Array)) throw new TypeError('finalize expects the blind signature as a Uint8Array');
  const expectedBytes = key.info.modulusBytes;
  if (blindSignature.length !== expectedBytes) {
    throw new RelayError(RelayErrorCode.INVALID_BLIND_SIGNATURE, 'the blind signature does not have the length of the token key modulus', {
      context: { expectedBytes, actualBytes: blindSignature.length },
    });
  }
  return new Uint8Array(blindSignature);
}

/**
 * Returns `signature` when it verifies over `message`, else throws.
 *
 * @throws RelayError `INVALID_BLIND_SIGNATURE`
 */
export function requireVerified(key: TokenKey, message: Uint8Array, signature: Uint8Array, engine: string): Uint8Array {
  if (!verifyTokenSignature(key, message, signature)) throw invalidBlindSignature(engine);
  return signature;
}

/** The error for a blind signature that does not unblind to a valid signature. */
export function invalidBlindSignature(engine: string, cause?: unknown): RelayError {
  return new RelayError(RelayErrorCode.INVALID_BLIND_SIGNATURE, 'the blind signature does not verify under the token key', {
    cause,
    context: { engine },
  });
}

/**
 * The error for a blinding that fails because the modulus shares a factor with
 * the encoded message or with r: impossible for a genuine RSA modulus, so the
 * key is bogus.
 */
export function blindingFailed(engine: string, modulusBits: number, cause?: unknown): RelayError {
  return new RelayError(RelayErrorCode.INVALID_KEY, 'blinding failed: the token key modulus is not a valid RSA modulus', {
    cause,
    context: { reason: 'blinding', engine, modulusBits },
  });
}
