import { RelayError, RelayErrorCode, isRelayError } from '../errors.js';
import { PersonaApiError } from '../persona/index.js';
import type { PassOutcome, SessionState } from '../storage/index.js';

/** What a failed redemption means for its record, its pass and the caller (design.md §5 rules 4–6). */
export type RedemptionFailureVerdict =
  /** Not about this record (its outcome is already settled, e.g. UNKNOWN): pass the error on. */
  | { readonly kind: 'rethrow' }
  /** Persona may have processed the request: the record stays PENDING with its key and pass. */
  | { readonly kind: 'ambiguous' }
  /** Persona rejected the pass (401): it is never presented again; start over with another pass and key. */
  | { readonly kind: 'pass-rejected'; readonly failure: string; readonly passOutcome: PassOutcome; readonly sessionState?: undefined }
  /** A final answer: record it FAILED_FINAL and throw `error`. */
  | {
      readonly kind: 'final';
      readonly failure: string;
      readonly passOutcome: PassOutcome;
      readonly sessionState?: SessionState;
      readonly error: unknown;
    };

/**
 * Classifies the error that ended a redemption's retries. The failure text
 * stored on the record is secret-free: status and Persona error code only.
 */
export function classifyRedemptionFailure(error: unknown): RedemptionFailureVerdict {
  if (isRelayError(error, RelayErrorCode.REDEMPTION_UNKNOWN)) return { kind: 'rethrow' };
  // Transport failure, timeout, undecodable 2xx, 409, 429 or 5xx after the retries, our own abort,
  // or anything unexpected: the request may have been processed.
  if (!(error instanceof PersonaApiError) || mayHaveBeenProcessed(error)) return { kind: 'ambiguous' };

  const failure = `${error.status}${error.personaCode ? ` ${error.personaCode}` : ''}`;
  switch (error.status) {
    case 401:
      // Spent, expired or invalid.
      return { kind: 'pass-rejected', failure, passOutcome: 'unusable' };
    case 403:
      // Checked after the pass (protocol §10.5 step 13), and a 403 never spends it.
      if (error.personaCode === 'relay_expired') {
        return {
          kind: 'final',
          failure,
          passOutcome: 'released',
          sessionState: 'expired',
          error: new RelayError(RelayErrorCode.SESSION_EXPIRED, 'The verification session expired', { cause: error }),
        };
      }
      return {
        kind: 'final',
        failure,
        passOutcome: 'released',
        error: new RelayError(RelayErrorCode.CLAIM_NOT_READY, 'The verification has not finished yet', { cause: error }),
      };
    case 404:
      // Checked before anything else: the pass was not looked at.
      return {
        kind: 'final',
        failure,
        passOutcome: 'released',
        sessionState: 'expired',
        error: new RelayError(RelayErrorCode.SESSION_EXPIRED, 'Persona no longer knows this verification session', {
          cause: error,
        }),
      };
    case 422:
      // Claim type or environment mismatch, checked before the pass is spent: the pass stays good.
      return { kind: 'final', failure, passOutcome: 'released', error };
    default:
      // 400 (idempotency misuse) and anything unexpected: the pass's fate is unclear, so it is never reused.
      return { kind: 'final', failure, passOutcome: 'unusable', error };
  }
}

/** Statuses that stay ambiguous after the retries ran out (403 is final once its budget is spent). */
/**
 * Whether a failed generate-claim request may still have been processed by
 * Persona: no answer at all (transport failure, timeout, undecodable 2xx, our
 * own abort) or 409, 429, 5xx. A 403 is answered before anything is spent.
 */
export function mayHaveBeenProcessed(error: unknown): boolean {
  if (!(error instanceof PersonaApiError)) return true;
  return error.status === 409 || error.status === 429 || error.status >= 500;
}
