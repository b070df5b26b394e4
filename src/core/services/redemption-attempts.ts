import type { ResolvedRelayOptions } from '../config/index.js';
import type { GenerateClaimInput, GeneratedClaim, PersonaApi } from '../persona/index.js';
import { abortableSleep, runWithRetries } from '../persona/index.js';
import { mayHaveBeenProcessed } from './redemption-failures.js';

/**
 * Thrown by the per-attempt hook when this caller no longer holds the
 * redemption's lease (another caller or instance took it after ours ran out,
 * or finished the record). Not retried: the caller waits for the holder.
 */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';

  constructor() {
    super('another caller holds the lease of this redemption');
  }
}

/** What {@link sendRedemption} needs. */
export interface SendRedemptionInput {
  /** A client that makes exactly one request per call (`maxRetries: 0`). */
  readonly api: PersonaApi;
  readonly options: ResolvedRelayOptions;
  readonly input: GenerateClaimInput;
  readonly idempotencyKey: string;
  /**
   * Runs before every request (first attempt and each retry): records the
   * attempt and renews the lease, or throws to stop without sending.
   */
  readonly beforeEachAttempt: () => Promise<void>;
  /** Called when an attempt ended in a way that leaves open whether Persona processed it. */
  readonly onAmbiguousAttempt?: () => void;
  readonly signal?: AbortSignal;
}

/**
 * generate-claim with the retry policy of protocol §7.4 (the same loop the
 * Persona client uses), but with a hook before each request, so that every
 * request is counted on the idempotency record and sent only while this
 * caller holds the record's lease. Every attempt sends the same key, pass,
 * relay token and secret.
 */
export function sendRedemption(request: SendRedemptionInput): Promise<GeneratedClaim> {
  const { api, options, input, idempotencyKey, beforeEachAttempt, onAmbiguousAttempt, signal } = request;
  return runWithRetries(
    'generate-claim',
    async (attemptSignal) => {
      await beforeEachAttempt();
      try {
        const value = await api.generateClaim(input, { idempotencyKey, signal: attemptSignal });
        return { status: 200, value };
      } catch (error) {
        if (mayHaveBeenProcessed(error)) onAmbiguousAttempt?.();
        throw error;
      }
    },
    options.retry,
    { sleep: abortableSleep, random: Math.random, now: Date.now },
    signal,
  );
}
