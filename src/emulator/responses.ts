/**
 * Responses as values: handlers return them and the server decides whether to send or drop them (fault
 * `drop-after-commit`), and the idempotency layer stores them. Also the error catalog.
 */
import { STATUS_CODES } from 'node:http';

/** A complete HTTP response; `body` is the exact JSON text sent (replays resend it byte for byte). */
export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Error codes of the catalog (`errors[0].code`). */
export type ErrorCode = keyof typeof ERROR_CATALOG;

const ERROR_CATALOG = {
  missing_parameter: { status: 400, title: 'Missing parameter' },
  invalid_json: { status: 400, title: 'Invalid JSON' },
  idempotency_error: { status: 400, title: 'Idempotency error' },
  invalid_api_key: { status: 401, title: 'Invalid API key' },
  missing_private_token: { status: 401, title: 'Private token required' },
  invalid_token: { status: 401, title: 'Invalid token' },
  invalid_challenge_mac: { status: 401, title: 'Invalid challenge' },
  challenge_expired: { status: 401, title: 'Challenge expired' },
  invalid_origin: { status: 401, title: 'Invalid origin' },
  unknown_key_id: { status: 401, title: 'Unknown key' },
  token_already_redeemed: { status: 401, title: 'Token already redeemed' },
  relay_not_completed: { status: 403, title: 'Relay not completed' },
  // forbidden_origin, request_too_large and unsupported_media_type guard the emulator itself; Persona has no such codes.
  forbidden_origin: { status: 403, title: 'Forbidden origin' },
  relay_expired: { status: 403, title: 'Relay expired' },
  relay_not_found: { status: 404, title: 'Not found' },
  route_not_found: { status: 404, title: 'Not found' },
  idempotency_key_in_use: { status: 409, title: 'Conflict' },
  request_too_large: { status: 413, title: 'Request too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  invalid_parameter: { status: 422, title: 'Invalid parameter' },
  environment_mismatch: { status: 422, title: 'Environment mismatch' },
  claim_type_mismatch: { status: 422, title: 'Claim type mismatch' },
  rate_limited: { status: 429, title: 'Rate limited' },
  internal_error: { status: 500, title: 'Internal error' },
} as const;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A JSON response. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, headers: { 'Content-Type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(body) };
}

/** The error envelope `{"errors":[{title, details, code, meta?}]}` with the catalogued status and title. */
export function errorResponse(code: ErrorCode, details: string, meta?: Record<string, unknown>): EmulatorResponse {
  const { status, title } = ERROR_CATALOG[code];
  return jsonResponse(status, { errors: [{ title, details, code, ...(meta ? { meta } : {}) }] });
}

/** A parameter error: `meta.parameter` names the field in kebab-case. */
export function parameterError(
  code: 'missing_parameter' | 'invalid_parameter',
  parameter: string,
  details: string,
): EmulatorResponse {
  return errorResponse(code, details, { parameter });
}

/**
 * An injected `status` fault: reason phrase as title, `rate_limited` for 429 (with the headers of an
 * exhausted window), else `injected_fault`.
 */
export function injectedFaultResponse(status: number, rateLimit: number): EmulatorResponse {
  const title = STATUS_CODES[status] ?? `HTTP ${status}`;
  const code = status === 429 ? 'rate_limited' : 'injected_fault';
  const headers: Record<string, string> =
    status === 429 ? { 'RateLimit-Limit': String(rateLimit), 'RateLimit-Remaining': '0', 'RateLimit-Reset': '1' } : {};
  const details = 'This response was injected through the emulator control API.';
  return jsonResponse(status, { errors: [{ title, details, code, meta: { injected: true } }] }, headers);
}

/** A copy of `response` with more headers. */
export function withHeaders(response: EmulatorResponse, headers: Record<string, string>): EmulatorResponse {
  return { ...response, headers: { ...response.headers, ...headers } };
}
