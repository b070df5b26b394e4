/**
 * Configuration: one table declares every option; typed options, defaults, environment loading and
 * validation that reports every problem at once derive from it.
 */
export { checkRsaPrivateKeyPem, checkRsaPublicKeyPem, checkStorageKey, isMatchingKeyPair } from './key-material.js';
export type { KeyCheck } from './key-material.js';
export { loadOptionsFromEnv } from './load-env.js';
export { CLAIM_TYPE_PATTERN, STORAGE_KEY_ID_PATTERN } from './option-kinds.js';
export { DEFAULT_RELAY_OPTIONS, ENV_PARSE_PROBLEMS, RELAY_ENV_VARIABLES } from './relay-options.js';
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
} from './relay-options.js';
export { invalidConfigError } from './problem-list.js';
export { resolveRelayOptions } from './resolve-options.js';
