/**
 * The error Persona's HTTP answers turn into, and the classification of failed calls by
 * what they say about the request (may Persona have processed it?).
 */
import { RelayError, RelayErrorCode, brandForEveryCopy, isRelayError } from '../errors.js';

/**
 * The calls the client makes to Persona. Used in messages instead of URLs, because the
 * generate-claim URL contains the relay token.
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
 */
export class PersonaApiError extends RelayError {
  static {
    brandForEveryCopy(this, 'PersonaApiError');
  }

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

/**
 * What a failed call says about its request: the one answer both the retry loop and a
 * redemption's idempotency record act on.
 *
 * - `ambiguous`: Persona may have processed the request (no answer, a timed-out or
 *   cancelled attempt, an undecodable 2xx, 409, 429, or a 5xx other than 501 and 505).
 *   The retry loop sends it again with the same key and body; a redemption keeps its
 *   record PENDING with its key. A cancelled call is not retried: the caller stopped it.
 * - `forbidden`: a 403 on generate-claim. Answered before anything is spent, and often
 *   only because the verification is still finishing, so it is retried while the 403
 *   budget lasts and final after.
 * - `final`: Persona answered and did not process the request (400, 401, 404, 422, any
 *   other 4xx or 3xx, a 403 elsewhere, 501, 505). Not retried.
 * - `unknown`: not an outcome of the request at all (a bug, a storage failure around it).
 *   Not retried, since repeating it would not help; a redemption keeps its key, because
 *   nothing proves the request was not sent.
 *
 * 501 and 505 are final: the server says it does not implement the method or the HTTP
 * version, so it never ran the request, and retrying the same request cannot succeed.
 */
export type PersonaFailureKind = 'ambiguous' | 'forbidden' | 'final' | 'unknown';

/**
 * Classifies a failed call to Persona (see {@link PersonaFailureKind}).
 *
 * @example
 * ```ts
 * try {
 *   return await api.generateClaim(relay, { idempotencyKey });
 * } catch (err) {
 *   const kind = classifyPersonaFailure(err, 'generate-claim');
 *   if (kind === 'ambiguous' || kind === 'unknown') record.keepPending();
 *   else record.markFinal();
 *   throw err;
 * }
 * ```
 */
export function classifyPersonaFailure(error: unknown, operation: PersonaOperation): PersonaFailureKind {
  if (error instanceof PersonaApiError) return classifyStatus(error.status, operation);
  if (
    isRelayError(error, RelayErrorCode.PERSONA_TRANSPORT) ||
    isRelayError(error, RelayErrorCode.PERSONA_PROTOCOL) ||
    isRelayError(error, RelayErrorCode.ABORTED)
  ) {
    return 'ambiguous';
  }
  return 'unknown';
}

function classifyStatus(status: number, operation: PersonaOperation): PersonaFailureKind {
  if (status === 403) return operation === 'generate-claim' ? 'forbidden' : 'final';
  if (status === 409 || status === 429) return 'ambiguous';
  if (status === 501 || status === 505) return 'final';
  return status >= 500 ? 'ambiguous' : 'final';
}
