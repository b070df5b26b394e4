/**
 * The seam between the Persona client and HTTP: a transport takes one request and hands
 * back Persona's answer, whatever its status. Everything Persona-specific (headers,
 * retries, error bodies) stays in the client, so a test can put a fake transport behind a
 * real {@link PersonaApi} and the default one can be swapped without touching the client.
 */
import { RelayError, RelayErrorCode, brandForEveryCopy } from '../errors.js';
import type { PersonaOperation } from './persona-error.js';
import { protocolError } from './response-body.js';

/**
 * The `User-Agent` of every call unless the anonymous ones are given another: the value
 * Node's built-in `fetch` sends, shared by countless clients, so it says nothing about the
 * platform (axios would otherwise announce itself and its version).
 */
export const NEUTRAL_USER_AGENT = 'node';

/** One request to Persona. */
export interface PersonaHttpRequest {
  /** Every call of Persona's Relay protocol is a POST. */
  readonly method: 'POST';
  /** Path below Persona's base URL, already percent-encoded. */
  readonly path: string;
  /** Every header to send; the transport adds only what HTTP itself needs (`Host`, `Content-Length`, …). */
  readonly headers: Readonly<Record<string, string>>;
  /** Serialized JSON, sent byte for byte (a retry sends exactly the bytes of the first attempt). */
  readonly body: string;
  /** Cancels the request: the transport must then stop and reject. */
  readonly signal?: AbortSignal;
}

/** Persona's answer, whatever its status. */
export interface PersonaHttpResponse {
  readonly status: number;
  /** Lower-case names; repeated fields joined with `", "`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyText: string;
}

/**
 * Sends requests to Persona. Resolves for every HTTP answer, 3xx to 5xx included (no
 * redirect is followed: it could carry credentials elsewhere). Rejects when there is no
 * answer: preferably with a {@link PersonaTransportError}; any other rejection counts as
 * an unexplained transport failure, and whatever it carries is dropped, so it cannot leak
 * a header into a log.
 */
export interface PersonaHttpClient {
  send(request: PersonaHttpRequest): Promise<PersonaHttpResponse>;
}

/**
 * The two transports of a {@link PersonaApi}. They must never share a connection:
 * Persona could otherwise link an identified issuance to an anonymous redemption.
 */
export interface PersonaTransports {
  /** Carries issuance: the challenge request and `createPrivacyPass`, the only call with the API key. */
  readonly identified: PersonaHttpClient;
  /** Carries everything about a user's relay: its creation, the 401 probe and redemption. */
  readonly anonymous: PersonaHttpClient;
}

/**
 * The reason of a {@link PersonaTransportError} for an answer larger than the transport
 * accepts: Persona did answer, but not with anything the client can read.
 */
export const RESPONSE_TOO_LARGE = 'RESPONSE_TOO_LARGE';

/** Short codes only: a system error code never quotes a host, a proxy or a header. */
const REASON_PATTERN = /^[A-Z][A-Z0-9_]{0,40}$/;

/**
 * A request that got no usable answer. `reason` is a short upper-case code (a system
 * error code such as `ECONNRESET`, or {@link RESPONSE_TOO_LARGE}), never a message.
 */
export class PersonaTransportError extends Error {
  static {
    brandForEveryCopy(this, 'PersonaTransportError');
  }

  override readonly name = 'PersonaTransportError';
  readonly reason: string;

  constructor(reason: string) {
    const safeReason = REASON_PATTERN.test(reason) ? reason : 'UNKNOWN';
    super(`Persona request failed: ${safeReason}`);
    this.reason = safeReason;
  }
}

/**
 * Sends `request` over `transport` and turns every way it can fail into a secret-free
 * `RelayError` naming `operation`:
 * - the request's signal aborted → `ABORTED` (the retry loop tells a caller's abort from
 *   a per-attempt timeout);
 * - {@link RESPONSE_TOO_LARGE} → `PERSONA_PROTOCOL`;
 * - anything else → `PERSONA_TRANSPORT` with the reason (or `UNKNOWN`) as `context.reason`.
 */
export async function sendRequest(
  transport: PersonaHttpClient,
  operation: PersonaOperation,
  request: PersonaHttpRequest,
): Promise<PersonaHttpResponse> {
  try {
    return await transport.send(request);
  } catch (error) {
    throw failureOf(operation, error, request.signal);
  }
}

function failureOf(operation: PersonaOperation, error: unknown, signal: AbortSignal | undefined): RelayError {
  if (signal?.aborted) {
    return new RelayError(RelayErrorCode.ABORTED, `Persona ${operation} request was cancelled`, {
      context: { operation },
    });
  }
  const reason = error instanceof PersonaTransportError ? error.reason : 'UNKNOWN';
  if (reason === RESPONSE_TOO_LARGE) {
    return protocolError(operation, undefined, 'the body is larger than the transport accepts');
  }
  return new RelayError(RelayErrorCode.PERSONA_TRANSPORT, `Persona ${operation} request failed: ${reason}`, {
    context: { operation, reason },
  });
}
