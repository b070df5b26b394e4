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
  EncryptionMode,
  IssuanceMode,
  PerRelayKeyBits,
  RelayEnvironment,
  RelayOptions,
  ResolvedRelayOptions,
} from './core/config/index.js';

// Logging
export { createConsoleLogger, silentLogger } from './core/logger.js';
export type { RelayLogger } from './core/logger.js';

// Services
export { createRelayServices } from './core/services/relay-services.js';
export type { RelayServices, RelayServicesInit } from './core/services/relay-services.js';
export { SessionService, RELAY_SESSION_TTL_MS } from './core/services/session.service.js';
export type { CreatedSession, SessionView } from './core/services/session.service.js';
export { PrivacyPassService } from './core/services/privacy-pass.service.js';
export type { IssueRequest, IssuanceRelay } from './core/services/privacy-pass.service.js';
export { ClaimService } from './core/services/claim.service.js';
export type { RedeemedClaim, SubjectClaim } from './core/services/claim.service.js';
export { TokenPool } from './core/services/token-pool.js';
export type { RefillReport } from './core/services/token-pool.js';

// Storage
export { createMemoryStorage } from './core/storage/index.js';
export type {
  BeginRedemptionInput,
  BeginRedemptionResult,
  ClaimStore,
  PassOutcome,
  PassRecord,
  PassState,
  PassStore,
  RedemptionRecord,
  RedemptionState,
  RedemptionStore,
  RelaySessionRecord,
  RelayStorage,
  SessionState,
  SessionStore,
  VerifiedClaimRecord,
} from './core/storage/index.js';

// Crypto
export {
  BlindRsaTsEngine,
  EncryptionKeySupply,
  NodeCryptoBlindRsaEngine,
  SecretBox,
  createBlindRsaEngine,
  parseRsaPublicKeySpki,
} from './core/crypto/index.js';
export type { BlindRsaEngine, BlindingResult, EncryptionKeyPair, RsaPublicKeyInfo } from './core/crypto/index.js';

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
export type { AuthChallenge, ChallengeMaterial, ClaimPayload, DecodedChallenge, PrivacyPassToken } from './core/protocol/index.js';

// Persona API client
export { PersonaApi, PersonaApiError, PersonaTransportError, classifyPersonaFailure } from './core/persona/index.js';
export type {
  PersonaApiOptions,
  PersonaFailureKind,
  PersonaHttpClient,
  PersonaHttpRequest,
  PersonaHttpResponse,
  PersonaOperation,
  PersonaTransports,
} from './core/persona/index.js';

// Plain node:http adapter and the framework-neutral HTTP contract
export { createClaimCheck, createRelayHandler } from './http/node.js';
export type { RelayAdapterOptions, RelayRequestHandler } from './http/node.js';
export { RelayHttp } from './http/relay-http.js';
export type { RelayHttpAnswer, RelayHttpOptions, RelayHttpRequest } from './http/relay-http.js';
export { RELAY_ERROR_STATUS, toErrorResponse } from './http/error-response.js';
export type { RelayErrorBody } from './http/error-response.js';
export { SUBJECT_COOKIE_NAME, SubjectCookie } from './http/subject-cookie.js';
export type { SubjectCookieOptions } from './http/subject-cookie.js';
export { userIdSubject } from './http/subject.js';
export type { ResolveSubject } from './http/subject.js';
export { CreateSessionDto, RedeemClaimDto, SessionIdParams, validateDto } from './http/dto.js';
