/**
 * The error Persona's HTTP answers turn into, and the §7.3/§7.4 classification of
 * failures into "final" and "ambiguous" (the request may or may not have taken effect).
 */
import { RelayError, RelayErrorCode, isRelayError } from '../errors.js';

/**
 * The calls the client makes to Persona. Used in messages instead of URLs, because the
 * generate-claim URL contains the relay token.
 *
 * @example
 * ```ts
 * const operation: PersonaOperation = 'generate-claim';
 * ```
 */
export type PersonaOperation =
  | 'create-relay'
  | 'request-challenge'
  | 'probe-challenge'
  | 'create-privacy-pass'
  | 'generate-claim';

/**
 * Fields of a {@link PersonaApiError}. Every string must already be secret-free:
 * {@link personaApiErrorFromResponse} redacts what Persona sends before building one.
 *
 * @example
 * ```ts
 * const init: PersonaApiErrorInit = { operation: 'create-relay', status: 422, title: 'Invalid parameter' };
 * ```
 */
export interface PersonaApiErrorInit {
  readonly operation: PersonaOperation;
  readonly status: number;
  readonly title: string;
  readonly details?: string;
  readonly personaCode?: string;
  readonly meta?: Record<string, unknown>;
  readonly requestId?: string;
  readonly rateLimitResetSeconds?: number;
}

/** Longest title quoted in the message; the full (bounded) title stays in `title`. */
const MESSAGE_TITLE_MAX_CHARS = 120;

/**
 * Persona answered a call with a non-2xx status.
 *
 * `code` is always `ERR_RELAY_PERSONA_API`. The message names the operation, never the
 * URL: `Persona create-privacy-pass failed: 401 Unauthorized (invalid_api_key) [req_…]`.
 *
 * @example
 * ```ts
 * try {
 *   await api.generateClaim(relay, { idempotencyKey });
 * } catch (err) {
 *   if (err instanceof PersonaApiError && err.status === 401) {
 *     // the pass is spent, expired or invalid: use another pass with a new key
 *   }
 * }
 * ```
 */
export class PersonaApiError extends RelayError {
  override readonly name: string = 'PersonaApiError';
  /** HTTP status Persona answered with. */
  readonly status: number;
  /** `errors[0].title`, or the HTTP reason phrase when Persona sent none. */
  readonly title: string;
  /** `errors[0].details`, or the start of a non-envelope body. */
  readonly details?: string;
  /** `errors[0].code`, e.g. `invalid_api_key`. */
  readonly personaCode?: string;
  /** `errors[0].meta`, e.g. `{ parameter: 'key-id' }`. */
  readonly meta?: Record<string, unknown>;
  /** Persona's `Request-Id` response header (`req_…`), for support requests and logs. */
  readonly requestId?: string;
  /** The call that failed. */
  readonly operation: PersonaOperation;
  /** `RateLimit-Reset`: seconds until Persona's rate-limit window resets. */
  readonly rateLimitResetSeconds?: number;

  constructor(init: PersonaApiErrorInit) {
    super(RelayErrorCode.PERSONA_API, formatMessage(init), { context: contextOf(init) });
    this.operation = init.operation;
    this.status = init.status;
    this.title = init.title;
    // Optional fields are only set when present so they do not show up as `undefined`
    // in logs or JSON.
    if (init.details !== undefined) this.details = init.details;
    if (init.personaCode !== undefined) this.personaCode = init.personaCode;
    if (init.meta !== undefined) this.meta = init.meta;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.rateLimitResetSeconds !== undefined) {
      this.rateLimitResetSeconds = init.rateLimitResetSeconds;
    }
  }
}

function formatMessage(init: PersonaApiErrorInit): string {
  const title =
    init.title.length > MESSAGE_TITLE_MAX_CHARS
      ? `${init.title.slice(0, MESSAGE_TITLE_MAX_CHARS)}…`
      : init.title;
  const code = init.personaCode === undefined ? '' : ` (${init.personaCode})`;
  const requestId = init.requestId === undefined ? '' : ` [${init.requestId}]`;
  return `Persona ${init.operation} failed: ${init.status} ${title}${code}${requestId}`;
}

function contextOf(init: PersonaApiErrorInit): Record<string, unknown> {
  const context: Record<string, unknown> = { operation: init.operation, status: init.status };
  if (init.personaCode !== undefined) context.personaCode = init.personaCode;
  if (init.requestId !== undefined) context.requestId = init.requestId;
  return context;
}

/** Statuses after which Persona may or may not have acted (§7.4), on every operation. */
const AMBIGUOUS_STATUSES: ReadonlySet<number> = new Set([409, 429, 500, 502, 503, 504]);

/**
 * Whether `error` leaves the outcome of `operation` open (protocol §7.3, §7.4), so the
 * same request (same `Idempotency-Key`, same body) may be sent again.
 *
 * | error | answer |
 * |---|---|
 * | `PERSONA_TRANSPORT` (connection failure, per-attempt timeout) | `true` |
 * | `PERSONA_PROTOCOL` (2xx that does not decode, body too large) | `true` |
 * | `PERSONA_API` 409, 429, 500, 502, 503, 504 | `true` |
 * | `PERSONA_API` 403 | `true` on `generate-claim` only (the retry loop bounds it by time) |
 * | `PERSONA_API` anything else (400, 401, 404, 422, …) | `false` |
 * | `ABORTED` | `true`: a cancelled request may still have reached Persona |
 * | anything else | `false` |
 *
 * The retry loop never retries `ABORTED`; the answer is for the caller, e.g. a redemption
 * that must keep its idempotency key when it cannot prove the call had no effect.
 *
 * @example
 * ```ts
 * try {
 *   return await api.generateClaim(relay, { idempotencyKey });
 * } catch (err) {
 *   if (isAmbiguousFailure(err, 'generate-claim')) record.keepPending();
 *   else record.markFinal();
 *   throw err;
 * }
 * ```
 */
export function isAmbiguousFailure(error: unknown, operation: PersonaOperation): boolean {
  if (error instanceof PersonaApiError) {
    return (
      AMBIGUOUS_STATUSES.has(error.status) ||
      (error.status === 403 && operation === 'generate-claim')
    );
  }
  return (
    isRelayError(error, RelayErrorCode.PERSONA_TRANSPORT) ||
    isRelayError(error, RelayErrorCode.PERSONA_PROTOCOL) ||
    isRelayError(error, RelayErrorCode.ABORTED)
  );
}
