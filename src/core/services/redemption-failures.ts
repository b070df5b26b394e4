import { RelayError, RelayErrorCode, isRelayError } from '../errors.js';
import { PersonaApiError, classifyPersonaFailure } from '../persona/index.js';
import type { PassOutcome, SessionState } from '../storage/index.js';

/** What a failed redemption means for its record, its pass and the caller. */
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
  // The classification that decided the retries decides the record too. 'ambiguous': Persona may have
  // processed the request; 'unknown' (a bug, a storage failure): nothing proves it was not sent. Both keep
  // the key. ('forbidden' and 'final' are always HTTP answers; the instanceof test only narrows the type.)
  const kind = classifyPersonaFailure(error, 'generate-claim');
  if (kind === 'ambiguous' || kind === 'unknown' || !(error instanceof PersonaApiError)) return { kind: 'ambiguous' };

  const failure = `${error.status}${error.personaCode ? ` ${error.personaCode}` : ''}`;
  switch (error.status) {
    case 401:
      // Spent, expired or invalid.
      return { kind: 'pass-rejected', failure, passOutcome: 'unusable' };
    case 403:
      // Checked after the pass, and a 403 never spends it.
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
      // 400 (idempotency misuse), 501, 505 and anything unexpected: Persona did not process the request,
      // but why it refused is unclear, so the pass is never reused.
      return { kind: 'final', failure, passOutcome: 'unusable', error };
  }
}
