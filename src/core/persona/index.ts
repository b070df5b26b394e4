/**
 * Persona API client: two transports behind one small interface (identified for issuance,
 * anonymous for everything about a user's relay), one retry loop and secret-free errors.
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
  type RelayReference,
  type RequestChallengeInput,
} from './persona-api.js';
export {
  PersonaApiError,
  classifyPersonaFailure,
  type PersonaApiErrorInit,
  type PersonaFailureKind,
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
  type BeforeAttempt,
  type RetryCallOptions,
  type RetryEnvironment,
  type RetryPolicy,
  type Sleep,
} from './retry.js';
export {
  NEUTRAL_USER_AGENT,
  PersonaTransportError,
  RESPONSE_TOO_LARGE,
  sendRequest,
  type PersonaHttpClient,
  type PersonaHttpRequest,
  type PersonaHttpResponse,
  type PersonaTransports,
} from './http-client.js';
export { MAX_RESPONSE_BYTES, createPersonaTransports, type PersonaTransportOptions } from './axios-transports.js';
export { logAttemptsTo } from './attempt-log.js';
