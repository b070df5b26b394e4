/**
 * Persona API client: two transports (identified for issuance, anonymous for everything
 * else), the §7.4 retry loop and secret-free errors.
 *
 * @example
 * ```ts
 * import { PersonaApi, PersonaApiError, isAmbiguousFailure } from './core/persona/index.js';
 * ```
 */
export {
  PersonaApi,
  type BlindSignature,
  type CreatePrivacyPassInput,
  type CreateRelayInput,
  type CreatedRelay,
  type GenerateClaimInput,
  type GeneratedClaim,
  type IdempotentCallOptions,
  type PersonaApiOptions,
  type PersonaCallOptions,
  type ProbeChallengeResult,
  type RelayChallenge,
  type RelayReference,
  type RequestChallengeInput,
} from './persona-api.js';
export {
  PersonaApiError,
  isAmbiguousFailure,
  type PersonaApiErrorInit,
  type PersonaOperation,
} from './persona-error.js';
export {
  DEFAULT_RETRY_POLICY,
  abortableSleep,
  backoffDelayMs,
  runWithRetries,
  type AttemptEvent,
  type AttemptOutcome,
  type AttemptResult,
  type RetryEnvironment,
  type RetryPolicy,
  type Sleep,
} from './retry.js';
export {
  MAX_RESPONSE_BYTES,
  NEUTRAL_USER_AGENT,
  createPersonaTransports,
  postJson,
  type PersonaHttpRequest,
  type PersonaHttpResponse,
  type PersonaTransportOptions,
  type PersonaTransports,
} from './transports.js';
