/**
 * Runs an endpoint's core under the idempotency layer. The `delay` fault waits right after
 * the key is marked in flight, which is how tests observe 409 `idempotency_key_in_use`.
 */
import type { ApiRequest, EmulatorContext } from '../context.js';
import { errorResponse, type EmulatorResponse } from '../responses.js';

/** The request's idempotency identity; `undefined` when it sent no (or an empty) `Idempotency-Key`. */
export interface IdempotencyScope {
  /** Unique per endpoint (and API key, for privacy-passes) and key. */
  scope: string;
  key: string;
  fingerprint: string;
}

/**
 * Answers a replay, a conflict or a mismatch from the store; otherwise waits at the delay point, runs `core`
 * (synchronous, so its checks and commit cannot interleave with another request) and stores its response when
 * `keep` says so.
 */
export async function runIdempotently(
  context: EmulatorContext,
  request: ApiRequest,
  identity: IdempotencyScope | undefined,
  keep: (response: EmulatorResponse) => boolean,
  core: () => EmulatorResponse,
): Promise<EmulatorResponse> {
  if (!identity) {
    await request.delayPoint();
    return core();
  }
  const store = context.state.idempotency;
  const decision = store.begin(identity.scope, identity.fingerprint, context.clock.now());
  switch (decision.kind) {
    case 'in-flight':
      return errorResponse(
        'idempotency_key_in_use',
        `A request with Idempotency-Key ${identity.key} is still in progress.`,
      );
    case 'fingerprint-mismatch':
      return errorResponse(
        'idempotency_error',
        `Idempotency-Key ${identity.key} was already used with different parameters.`,
      );
    case 'replay':
      return {
        status: decision.status,
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'Idempotent-Replayed': 'true' },
        body: decision.body,
      };
    case 'proceed':
      break;
  }
  let response: EmulatorResponse;
  try {
    await request.delayPoint();
    response = core();
  } catch (error) {
    store.release(identity.scope, decision.entry);
    throw error;
  }
  if (keep(response)) store.store(identity.scope, decision.entry, response);
  else store.release(identity.scope, decision.entry);
  return response;
}

/** The non-empty `Idempotency-Key` of a request, if any. */
export function idempotencyKeyOf(request: ApiRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  return key ? key : undefined;
}
