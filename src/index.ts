/**
 * persona-relay: verify a user's claim through Persona's Relay without Persona
 * learning which platform asked.
 *
 * This entry point is the framework-free core. Framework integrations live in
 * the subpaths `persona-relay/nestjs`, `persona-relay/express`,
 * `persona-relay/fastify`, the TypeORM storage in `persona-relay/typeorm`, and
 * the local Persona emulator in `persona-relay/emulator`.
 *
 * @example
 * ```ts
 * import { createMemoryStorage, createRelayServices, loadOptionsFromEnv, resolveRelayOptions } from 'persona-relay';
 *
 * const options = resolveRelayOptions(loadOptionsFromEnv()); // PERSONA_API_KEY, RELAY_STORAGE_KEY, …
 * const services = createRelayServices({ options, storage: createMemoryStorage() });
 * await services.start();
 * ```
 */

// Errors
export { RelayError, RelayErrorCode, isRelayError } from './core/errors.js';
export type { RelayErrorCodeValue, RelayErrorContext } from './core/errors.js';

// Configuration
export {
  DEFAULT_RELAY_OPTIONS,
  RELAY_ENV_VARIABLES,
  loadOptionsFromEnv,
  resolveRelayOptions,
} from './core/config/index.js';
export type {
  BlindRsaEngineName,
  ChallengeSource,
  DryPoolPolicy,
  EncryptionMode,
  IssuanceMode,
  PerRelayKeyBits,
  RelayEnvironment,
  RelayOptionName,
  RelayOptions,
  ResolvedRelayOptions,
} from './core/config/index.js';

// Logging
export { createConsoleLogger, silentLogger } from './core/logger.js';
export type { RelayLogger } from './core/logger.js';

// Services
export { RelayMetrics, RELAY_METER_NAME } from './core/observability/metrics.js';
export type { LevelReader, PassKind, RedemptionOutcome } from './core/observability/metrics.js';
export { createRelayServices } from './core/services/relay-services.js';
export type { RelayServices, RelayServicesInit } from './core/services/relay-services.js';
export { SessionService, RELAY_SESSION_TTL_MS } from './core/services/session.service.js';
export type { CreatedSession, SessionServiceDeps, SessionView } from './core/services/session.service.js';
export { PrivacyPassService } from './core/services/privacy-pass.service.js';
export type {
  BackgroundIssueRequest,
  IssueRequest,
  IssuanceRelay,
  PrivacyPassServiceDeps,
} from './core/services/privacy-pass.service.js';
export { ClaimService } from './core/services/claim.service.js';
export type { ClaimServiceDeps, RedeemedClaim, SubjectClaim } from './core/services/claim.service.js';
export { TokenPool } from './core/services/token-pool.js';
export type { RefillReport, TokenPoolDeps } from './core/services/token-pool.js';
export type { BackgroundTasks } from './core/services/background-tasks.js';
export { KeyReserve } from './core/services/key-reserve.js';
export type { KeyReserveDeps } from './core/services/key-reserve.js';

// Storage
export { createMemoryStorage } from './core/storage/index.js';
export type {
  BeginRedemptionInput,
  BeginRedemptionResult,
  ClaimStore,
  KeyReserveStore,
  PassOutcome,
  PassRecord,
  PassState,
  PassStore,
  RedemptionRecord,
  RedemptionState,
  RedemptionStore,
  RelaySessionRecord,
  RelayStorage,
  ReservedKeyPairRecord,
  SessionLimitScope,
  SessionSlotDecision,
  SessionSlotLimits,
  SessionSlotRequest,
  SessionSlotStore,
  SessionState,
  SessionStore,
  VerifiedClaimRecord,
} from './core/storage/index.js';

// Crypto
export {
  BlindRsaTsEngine,
  NodeCryptoBlindRsaEngine,
  SecretBox,
  WorkerKeyPairGenerator,
  createBlindRsaEngine,
  parseRsaPublicKeySpki,
} from './core/crypto/index.js';
export type {
  BlindRsaEngine,
  BlindRsaTsEngineOptions,
  BlindingRandomSource,
  BlindingResult,
  BlindingState,
  EncryptionKeyPair,
  GeneratedKeyPair,
  KeyPairGenerator,
  NodeCryptoBlindRsaEngineOptions,
  RsaPublicKeyInfo,
  SecretBoxOptions,
  WorkerPoolStats,
} from './core/crypto/index.js';

// Protocol (pure functions)
export {
  TOKEN_INPUT_LENGTH,
  buildTokenInput,
  decodeBase64url,
  decodeChallenge,
  decodePrivacyPassToken,
  decryptClaimPayload,
  encodeBase64url,
  encodePrivacyPassToken,
  findPrivateTokenChallenge,
  formatPrivateTokenAuthorization,
  generateNonce,
  parseAuthenticateHeader,
  parseClaimPayload,
  readClaimPayload,
} from './core/protocol/index.js';
export type {
  AuthChallenge,
  ChallengeMaterial,
  ClaimPayload,
  ClaimResult,
  DecodedChallenge,
  PrivacyPassToken,
  ReadClaimPayloadOptions,
  TokenInputParts,
} from './core/protocol/index.js';

// Persona API client
export { PersonaApi, PersonaApiError, PersonaTransportError, classifyPersonaFailure } from './core/persona/index.js';
export type {
  AttemptEvent,
  AttemptOutcome,
  BeforeAttempt,
  BlindSignature,
  CreatePrivacyPassInput,
  CreateRelayInput,
  CreatedRelay,
  GenerateClaimInput,
  GeneratedClaim,
  IdempotentCallOptions,
  PersonaApiErrorInit,
  PersonaApiOptions,
  PersonaCallOptions,
  PersonaFailureKind,
  PersonaHttpClient,
  PersonaHttpRequest,
  PersonaHttpResponse,
  PersonaOperation,
  PersonaTransports,
  ProbeChallengeResult,
  RelayReference,
  RequestChallengeInput,
  RetryCallOptions,
  RetryPolicy,
  Sleep,
} from './core/persona/index.js';

// Wiring for the adapters: configuration checked first, then storage opened and the core started
export { openRelay } from './http/open-relay.js';
export type { OpenedRelay, OpenRelayOptions } from './http/open-relay.js';

// Plain node:http adapter and the framework-neutral HTTP contract
export { createClaimCheck, createRelayHandler } from './http/node.js';
export type { RelayAdapterOptions, RelayNodeRequest, RelayRequestHandler } from './http/node.js';
export { RelayHttp } from './http/relay-http.js';
export type { RelayRoutes, RouteResult } from './http/relay-routes.js';
export type { RelayHttpAnswer, RelayHttpOptions, RelayHttpRequest } from './http/relay-http.js';
export { RELAY_ERROR_STATUS, toErrorResponse } from './http/error-response.js';
export type { RelayErrorBody } from './http/error-response.js';
export { SECURE_SUBJECT_COOKIE_NAME, SUBJECT_COOKIE_NAME, SubjectCookie } from './http/subject-cookie.js';
export type { SubjectCookieOptions } from './http/subject-cookie.js';
export { boundedSubject, MAX_SUBJECT_LENGTH, userIdSubject } from './http/subject.js';
export type { ResolvedSubject, ResolveSubject, SubjectSource } from './http/subject.js';
export { CreateSessionDto, RedeemClaimDto, SessionIdParams, validateDto } from './http/dto.js';
