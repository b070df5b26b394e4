/**
 * Configuration: typed options, defaults, environment loading and validation that reports every
 * problem at once.
 *
 * @example
 * ```ts
 * import { loadOptionsFromEnv, resolveRelayOptions } from './core/config/index.js';
 *
 * const options = resolveRelayOptions({ ...loadOptionsFromEnv(), issuance: 'pool' });
 * ```
 */
export { checkRsaPrivateKeyPem, checkRsaPublicKeyPem, checkStorageKey, isMatchingKeyPair } from './key-material.js';
export type { KeyCheck } from './key-material.js';
export { RELAY_ENV_VARIABLES, loadOptionsFromEnv } from './load-env.js';
export { CLAIM_TYPE_PATTERN, STORAGE_KEY_ID_PATTERN, checkOptionRules } from './option-rules.js';
export type { OptionProblem } from './option-rules.js';
export { ENV_PARSE_PROBLEMS } from './relay-options.js';
export type {
  BlindRsaEngineName,
  ChallengeSource,
  EncryptionMode,
  IssuanceMode,
  PerRelayKeyBits,
  RelayEnvironment,
  RelayOptionName,
  RelayOptions,
  ResolvedRelayOptions,
} from './relay-options.js';
export { DEFAULT_RELAY_OPTIONS, resolveRelayOptions } from './resolve-options.js';
