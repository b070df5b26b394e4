/**
 * Errors raised by persona-relay.
 *
 * Every failure the library can explain is a {@link RelayError} with a stable
 * `code` (`ERR_RELAY_…`). Programmer misuse (wrong argument types, calling a
 * method in the wrong state) throws a plain `TypeError` instead.
 *
 * Messages and fields never contain a secret: no API key, relay secret, relay
 * token, Privacy Pass, private key or decrypted payload. Code that builds a
 * RelayError must only put public, bounded values into `message` and `context`.
 */

/** Stable error codes. The string values are part of the public API. */
export const RelayErrorCode = {
  /** A `WWW-Authenticate` header or challenge object is malformed or unusable. */
  INVALID_CHALLENGE: 'ERR_RELAY_INVALID_CHALLENGE',
  /** A value that must be base64url is not. */
  INVALID_BASE64URL: 'ERR_RELAY_INVALID_BASE64URL',
  /** A Privacy Pass token cannot be encoded or decoded. */
  INVALID_TOKEN: 'ERR_RELAY_INVALID_TOKEN',
  /** A public or private key cannot be imported or has an unsupported size. */
  INVALID_KEY: 'ERR_RELAY_INVALID_KEY',
  /** The blind signature returned by Persona does not verify (finalize failed). */
  INVALID_BLIND_SIGNATURE: 'ERR_RELAY_INVALID_BLIND_SIGNATURE',
  /** A claim payload is not the JSON Persona documents, or fails validation. */
  INVALID_CLAIM_PAYLOAD: 'ERR_RELAY_INVALID_CLAIM_PAYLOAD',
  /** An encrypted claim payload could not be decrypted with the relay's private key. */
  DECRYPTION_FAILED: 'ERR_RELAY_DECRYPTION_FAILED',
  /** Configuration is invalid; `context.problems` lists every problem found. */
  INVALID_CONFIG: 'ERR_RELAY_INVALID_CONFIG',
  /** Persona answered with an HTTP error (see {@link PersonaApiError}). */
  PERSONA_API: 'ERR_RELAY_PERSONA_API',
  /** Persona could not be reached, or the connection broke, or an attempt timed out. */
  PERSONA_TRANSPORT: 'ERR_RELAY_PERSONA_TRANSPORT',
  /** Persona answered 2xx with a body that does not decode as documented. */
  PERSONA_PROTOCOL: 'ERR_RELAY_PERSONA_PROTOCOL',
  /** The operation was cancelled through its AbortSignal. */
  ABORTED: 'ERR_RELAY_ABORTED',
  /** The request body or parameters sent to one of our routes are invalid. */
  INVALID_REQUEST: 'ERR_RELAY_INVALID_REQUEST',
  /** A request to one of our routes carried a body that is not `application/json`. */
  UNSUPPORTED_MEDIA_TYPE: 'ERR_RELAY_UNSUPPORTED_MEDIA_TYPE',
  /** A request to one of our routes carried a body larger than the routes accept. */
  PAYLOAD_TOO_LARGE: 'ERR_RELAY_PAYLOAD_TOO_LARGE',
  /** No session with that id exists for this subject. */
  SESSION_NOT_FOUND: 'ERR_RELAY_SESSION_NOT_FOUND',
  /** The relay session expired before a claim could be read. */
  SESSION_EXPIRED: 'ERR_RELAY_SESSION_EXPIRED',
  /** Persona has no result for the relay yet (the user has not finished). */
  CLAIM_NOT_READY: 'ERR_RELAY_CLAIM_NOT_READY',
  /** The subject does not hold a passed claim of the required type. */
  CLAIM_REQUIRED: 'ERR_RELAY_CLAIM_REQUIRED',
  /** Another redemption of the same session is in progress. */
  REDEMPTION_IN_PROGRESS: 'ERR_RELAY_REDEMPTION_IN_PROGRESS',
  /** A redemption's outcome could not be established within the replay window. */
  REDEMPTION_UNKNOWN: 'ERR_RELAY_REDEMPTION_UNKNOWN',
  /** No usable Privacy Pass could be obtained for a redemption. */
  NO_PASS_AVAILABLE: 'ERR_RELAY_NO_PASS_AVAILABLE',
  /** Too many requests from one subject, or in total. */
  RATE_LIMITED: 'ERR_RELAY_RATE_LIMITED',
  /**
   * The relay cannot take the request now (no per-relay key pair became ready in time); retry after
   * `context.retryAfterSeconds`.
   */
  RELAY_BUSY: 'ERR_RELAY_BUSY',
  /** A storage operation failed. */
  STORAGE: 'ERR_RELAY_STORAGE',
  /**
   * Wire code only, never thrown: what the relay routes answer for an error
   * that is not a {@link RelayError} (its message is withheld, since it may
   * carry anything).
   */
  INTERNAL: 'ERR_RELAY_INTERNAL',
  /** Wire code only, never thrown: the plain node:http handler's answer for a path it does not serve. */
  ROUTE_NOT_FOUND: 'ERR_RELAY_ROUTE_NOT_FOUND',
} as const;

/** Union of every {@link RelayErrorCode} value. */
export type RelayErrorCodeValue = (typeof RelayErrorCode)[keyof typeof RelayErrorCode];

/** Public, secret-free context attached to an error. */
export type RelayErrorContext = Readonly<Record<string, unknown>>;

/**
 * The library's error type.
 *
 * @example
 * ```ts
 * try {
 *   await claims.redeem(subject, sessionId);
 * } catch (err) {
 *   if (err instanceof RelayError && err.code === RelayErrorCode.CLAIM_NOT_READY) {
 *     // ask the user to finish the verification first
 *   }
 * }
 * ```
 */
export class RelayError extends Error {
  static {
    brandForEveryCopy(this, 'RelayError');
  }

  override readonly name: string = 'RelayError';

  constructor(
    /** Stable machine-readable code. */
    readonly code: RelayErrorCodeValue,
    message: string,
    options: { cause?: unknown; context?: RelayErrorContext } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.context = options.context ?? {};
  }

  /** Secret-free context (for example the HTTP status, a field name, a count). */
  readonly context: RelayErrorContext;
}

/**
 * Makes `instanceof errorClass` recognise instances made by any copy of this
 * package. An app can hold two copies, the ES module build and the CommonJS
 * one (its own code imports one, a dependency requires the other), and each
 * defines its own classes; a brand under a `Symbol.for` key, which every copy
 * shares, names the class instead. Subclasses without a brand of their own
 * (an app's) keep the ordinary prototype test.
 */
export function brandForEveryCopy(errorClass: abstract new (...args: never[]) => Error, name: string): void {
  const brand = Symbol.for(`persona-relay.${name}`);
  Object.defineProperty(errorClass.prototype, brand, { value: true });
  Object.defineProperty(errorClass, Symbol.hasInstance, {
    value(this: object, value: unknown): boolean {
      if (this !== errorClass) return Function.prototype[Symbol.hasInstance].call(this, value);
      return typeof value === 'object' && value !== null && brand in value;
    },
  });
}

/** True when `value` is a {@link RelayError}, optionally with the given code. */
export function isRelayError(value: unknown, code?: RelayErrorCodeValue): value is RelayError {
  return value instanceof RelayError && (code === undefined || value.code === code);
}
