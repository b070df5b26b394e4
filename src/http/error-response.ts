import { RelayError, RelayErrorCode } from '../core/errors.js';
import type { RelayErrorCodeValue } from '../core/errors.js';

/** The JSON body of every error our routes answer. */
export interface RelayErrorBody {
  readonly code: string;
  readonly message: string;
  readonly claimType?: string;
}

/**
 * HTTP status for each error code: 4xx for what the caller can fix, 502 for
 * Persona answering wrongly, 503 for "try again later".
 */
export const RELAY_ERROR_STATUS: Readonly<Record<RelayErrorCodeValue, number>> = {
  [RelayErrorCode.INVALID_REQUEST]: 400,
  [RelayErrorCode.ROUTE_NOT_FOUND]: 404,
  [RelayErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [RelayErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [RelayErrorCode.CLAIM_REQUIRED]: 403,
  [RelayErrorCode.SESSION_NOT_FOUND]: 404,
  [RelayErrorCode.CLAIM_NOT_READY]: 409,
  [RelayErrorCode.REDEMPTION_IN_PROGRESS]: 409,
  [RelayErrorCode.SESSION_EXPIRED]: 410,
  [RelayErrorCode.RATE_LIMITED]: 429,
  [RelayErrorCode.INVALID_CONFIG]: 500,
  [RelayErrorCode.INTERNAL]: 500,
  [RelayErrorCode.PERSONA_API]: 502,
  [RelayErrorCode.PERSONA_PROTOCOL]: 502,
  [RelayErrorCode.INVALID_CHALLENGE]: 502,
  [RelayErrorCode.INVALID_BASE64URL]: 502,
  [RelayErrorCode.INVALID_TOKEN]: 502,
  [RelayErrorCode.INVALID_KEY]: 502,
  [RelayErrorCode.INVALID_BLIND_SIGNATURE]: 502,
  [RelayErrorCode.INVALID_CLAIM_PAYLOAD]: 502,
  [RelayErrorCode.DECRYPTION_FAILED]: 502,
  [RelayErrorCode.REDEMPTION_UNKNOWN]: 502,
  [RelayErrorCode.PERSONA_TRANSPORT]: 503,
  [RelayErrorCode.NO_PASS_AVAILABLE]: 503,
  [RelayErrorCode.STORAGE]: 503,
  [RelayErrorCode.ABORTED]: 503,
  [RelayErrorCode.RELAY_BUSY]: 503,
};

/**
 * What the browser reads behind a 5xx, by status. The error's own message
 * stays in the logs: for Persona's failures it carries Persona's title, code
 * and request id, and that id belongs to the API-key call made for this
 * visitor's relay, so echoing it would link the relay to the platform.
 */
const SERVER_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  500: 'Internal error',
  502: 'The verification service gave an unusable answer; try again later',
  503: 'The verification service is unavailable; try again later',
};

/**
 * Status and body for any error thrown while serving a relay route: the
 * error's code and, for what the caller can fix (4xx), its message; every
 * 5xx gets a generic message. Unknown errors become a bare 500.
 */
export function toErrorResponse(error: unknown): { status: number; body: RelayErrorBody } {
  if (!(error instanceof RelayError)) return { status: 500, body: { code: RelayErrorCode.INTERNAL, message: SERVER_ERROR_MESSAGES[500]! } };
  const status = RELAY_ERROR_STATUS[error.code] ?? 500;
  const message = status >= 500 ? (SERVER_ERROR_MESSAGES[status] ?? SERVER_ERROR_MESSAGES[500]!) : error.message;
  const claimType = error.code === RelayErrorCode.CLAIM_REQUIRED ? error.context.claimType : undefined;
  return { status, body: { code: error.code, message, ...(typeof claimType === 'string' ? { claimType } : {}) } };
}

/** The error a guard raises when the subject lacks a passed claim. */
export function claimRequiredError(claimType: string): RelayError {
  return new RelayError(RelayErrorCode.CLAIM_REQUIRED, 'A verified claim is required', { context: { claimType } });
}

/**
 * Seconds until the request may succeed when retried (the `Retry-After` of a
 * 429 or 503), from the error's `context.retryAfterSeconds`; `undefined` when
 * the error does not say (or is no RelayError).
 */
export function retryAfterSeconds(error: unknown): number | undefined {
  if (!(error instanceof RelayError)) return undefined;
  const seconds = error.context.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
}
