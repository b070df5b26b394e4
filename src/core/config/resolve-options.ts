/**
 * Turns user options into {@link ResolvedRelayOptions}: defaults, environment inference, validation of
 * every option, and one error listing **all** problems so a deployment can be fixed in one pass.
 */
import { inspect } from 'node:util';
import { RelayError, RelayErrorCode } from '../errors.js';
import { checkRsaPrivateKeyPem, checkRsaPublicKeyPem, checkStorageKey, isMatchingKeyPair } from './key-material.js';
import { RELAY_ENV_VARIABLES } from './load-env.js';
import { checkOptionRules, STORAGE_KEY_ID_PATTERN } from './option-rules.js';
import {
  ENV_PARSE_PROBLEMS,
  type RelayEnvironment,
  type RelayOptionName,
  type RelayOptions,
  type ResolvedRelayOptions,
} from './relay-options.js';

/** Options that have a default, and nothing else. */
type DefaultedOptionName = Exclude<
  RelayOptionName,
  | 'apiKey'
  | 'allowedClaimTypes'
  | 'sandbox'
  | 'storageKey'
  | 'storageKeys'
  | 'storageKeyId'
  | 'staticPublicKeyPem'
  | 'staticPrivateKeyPem'
  | 'cookieSecret'
  | 'databaseUrl'
  | 'personaVersion'
>;

/**
 * The defaults applied by {@link resolveRelayOptions}. Options missing here have no default: they are
 * derived (`allowedClaimTypes` = `[claimType]`, `sandbox` from the API key) or their absence means
 * something.
 *
 * @example
 * ```ts
 * DEFAULT_RELAY_OPTIONS.perRelayKeyBits; // 3072
 * ```
 */
export const DEFAULT_RELAY_OPTIONS: Readonly<Required<Pick<RelayOptions, DefaultedOptionName>>> = Object.freeze({
  apiUrl: 'https://api.withpersona.com',
  claimType: 'age_over18_verified',
  encryption: 'per-relay',
  perRelayKeyBits: 3072,
  blindRsaEngine: 'node-crypto',
  issuance: 'at-creation',
  poolSize: 10,
  challengeSource: 'auto',
  dataDir: '.relay-data',
  requestTimeoutMs: 10_000,
  maxRetries: 3,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 5_000,
  rateLimitMaxWaitMs: 60_000,
  forbiddenRetryBudgetMs: 10_000,
  tokenExpiryMarginMs: 5 * 60_000,
  replayWindowMs: 60 * 60_000,
  redemptionLeaseMs: 30_000,
  redemptionWaitMs: 30_000,
  sessionsPerSubjectPerHour: 10,
  sessionsPerHour: 1_000,
  anonymousUserAgent: 'persona-relay',
  issuanceJitterMs: 5_000,
  poolRefillIntervalMs: 5 * 60_000,
  poolIssueSpreadMs: 30_000,
  maintenanceIntervalMs: 60_000,
});

const SANDBOX_KEY_PREFIX = 'persona_sandbox_';
const PRODUCTION_KEY_PREFIX = 'persona_production_';
/** The id `storageKey` gets when no `storageKeyId` names it. */
const DEFAULT_STORAGE_KEY_ID = 'k1';
/** Shown as `[redacted]` in the JSON and `util.inspect` forms of resolved options. */
const SECRET_OPTIONS: ReadonlySet<string> = new Set(['apiKey', 'storageKeys', 'cookieSecret', 'staticPrivateKeyPem', 'databaseUrl']);
/** Unknown keys are echoed (they are names, not values) but bounded. */
const MAX_UNKNOWN_KEY_LENGTH = 64;

/**
 * Applies defaults, infers the environment and validates every option.
 *
 * Problems are collected, not thrown one by one: unknown keys, values of the wrong type or range,
 * unparsable environment variables (from {@link loadOptionsFromEnv}), bad key material and
 * contradicting options are all reported together. Secret values never appear in the error, only
 * option names. No secret is generated here: without `storageKey(s)` or `cookieSecret` the result
 * simply lacks them and the caller decides.
 *
 * @throws RelayError `INVALID_CONFIG` whose message has one `option: what is wrong` line per problem and
 *   whose `context.problems` holds the same lines
 * @throws TypeError when `input` is not an object
 *
 * @example
 * ```ts
 * const options = resolveRelayOptions({ ...loadOptionsFromEnv(), issuance: 'pool' });
 * options.environment; // 'sandbox' for a persona_sandbox_… API key
 * ```
 */
export function resolveRelayOptions(input: RelayOptions = {}): ResolvedRelayOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError('resolveRelayOptions expects an options object');
  }
  const problems = new ProblemList();
  const given = collectKnownOptions(input, problems);
  reportEnvProblems(input, given, problems);
  for (const { option, message } of checkOptionRules(given)) problems.add(option, message);

  // From here on, an option without a problem has its declared type.
  const checked = given as RelayOptions;
  const effective = { ...DEFAULT_RELAY_OPTIONS, ...checked };
  const environment = resolveEnvironment(checked, problems);
  const allowedClaimTypes = resolveAllowedClaimTypes(effective.claimType, checked.allowedClaimTypes, problems);
  const apiUrl = normalizeApiUrl(effective.apiUrl, problems);
  checkDatabaseUrl(checked.databaseUrl, problems);
  const storage = resolveStorageKeys(checked, problems);
  const staticKeys = resolveStaticKeys(effective.encryption, checked, problems);
  checkCombinations(effective, problems);
  problems.throwIfAny();

  return sealResolved({
    ...effective,
    environment,
    sandbox: environment === 'sandbox',
    apiUrl,
    allowedClaimTypes: Object.freeze(allowedClaimTypes),
    // `storageKey` lives on inside `storageKeys`; the resolved options have no such field.
    storageKey: undefined,
    ...storage,
    ...staticKeys,
  });
}

/** Problems keyed by option, reported in option declaration order (unknown keys last). */
class ProblemList {
  private readonly problems: { readonly rank: number; readonly line: string }[] = [];
  private readonly options = new Set<string>();

  add(option: string, message: string): void {
    this.options.add(option);
    this.problems.push({ rank: optionRank(option), line: `${option}: ${message}` });
  }

  has(...options: string[]): boolean {
    return options.some((option) => this.options.has(option));
  }

  throwIfAny(): void {
    if (this.problems.length === 0) return;
    // Array.prototype.sort is stable: problems of one option keep the order they were found in.
    const lines = [...this.problems].sort((a, b) => a.rank - b.rank).map(({ line }) => line);
    const count = lines.length === 1 ? '1 problem' : `${lines.length} problems`;
    throw new RelayError(RelayErrorCode.INVALID_CONFIG, `Invalid persona-relay configuration (${count}):\n${lines.join('\n')}`, {
      context: { problems: lines },
    });
  }
}

const OPTION_ORDER: readonly string[] = Object.keys(RELAY_ENV_VARIABLES);

/** Position of an option (or of `storageKeys.<id>`, under `storageKeys`); unknown keys sort last. */
function optionRank(option: string): number {
  const rank = OPTION_ORDER.indexOf(option.split('.')[0]!);
  return rank === -1 ? OPTION_ORDER.length : rank;
}

function isOptionName(key: string): key is RelayOptionName {
  return Object.hasOwn(RELAY_ENV_VARIABLES, key);
}

/** Known options with a value; every unknown key is a problem (usually a typo). */
function collectKnownOptions(input: RelayOptions, problems: ProblemList): Partial<Record<RelayOptionName, unknown>> {
  const given: Partial<Record<RelayOptionName, unknown>> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!isOptionName(key)) {
      const shown = key.length > MAX_UNKNOWN_KEY_LENGTH ? `${key.slice(0, MAX_UNKNOWN_KEY_LENGTH)}…` : key;
      problems.add(shown, 'unknown option');
    } else if (value !== undefined) {
      given[key] = value;
    }
  }
  return given;
}

/** An unparsable variable counts unless the option was given a value some other way. */
function reportEnvProblems(input: RelayOptions, given: Partial<Record<RelayOptionName, unknown>>, problems: ProblemList): void {
  const envProblems = input[ENV_PARSE_PROBLEMS];
  if (envProblems === undefined) return;
  for (const [option, problem] of Object.entries(envProblems)) {
    if (isOptionName(option) && given[option] === undefined) problems.add(option, problem);
  }
}

/** `sandbox` when set, else the API key's prefix; a prefix that contradicts `sandbox` is a problem. */
function resolveEnvironment(checked: RelayOptions, problems: ProblemList): RelayEnvironment {
  const apiKey = problems.has('apiKey') ? undefined : checked.apiKey;
  const keyEnvironment: RelayEnvironment | undefined = apiKey?.startsWith(SANDBOX_KEY_PREFIX)
    ? 'sandbox'
    : apiKey?.startsWith(PRODUCTION_KEY_PREFIX)
      ? 'production'
      : undefined;
  if (checked.sandbox === undefined || problems.has('sandbox')) return keyEnvironment === 'sandbox' ? 'sandbox' : 'production';
  const configured: RelayEnvironment = checked.sandbox ? 'sandbox' : 'production';
  if (keyEnvironment !== undefined && keyEnvironment !== configured) {
    const prefix = keyEnvironment === 'sandbox' ? SANDBOX_KEY_PREFIX : PRODUCTION_KEY_PREFIX;
    problems.add('sandbox', `is ${checked.sandbox} but apiKey is a ${keyEnvironment} key (prefix ${prefix})`);
  }
  return configured;
}

function resolveAllowedClaimTypes(claimType: string, allowed: string[] | undefined, problems: ProblemList): string[] {
  if (allowed === undefined || problems.has('allowedClaimTypes')) return [claimType];
  const unique = [...new Set(allowed)];
  if (!problems.has('claimType') && !unique.includes(claimType)) {
    problems.add('allowedClaimTypes', 'must include claimType (the claim type of sessions that name none)');
  }
  return unique;
}

/** An absolute http(s) URL without credentials, query or fragment; trailing slashes dropped. */
function normalizeApiUrl(apiUrl: string, problems: ProblemList): string {
  if (problems.has('apiUrl')) return apiUrl;
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    problems.add('apiUrl', 'must be an absolute http(s) URL');
    return apiUrl;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.add('apiUrl', 'must use http or https');
  else if (url.username !== '' || url.password !== '') problems.add('apiUrl', 'must not contain credentials');
  else if (url.search !== '' || url.hash !== '') problems.add('apiUrl', 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

function checkDatabaseUrl(databaseUrl: string | undefined, problems: ProblemList): void {
  if (databaseUrl === undefined || problems.has('databaseUrl')) return;
  if (!/^postgres(ql)?:\/\//i.test(databaseUrl) || !URL.canParse(databaseUrl)) {
    problems.add('databaseUrl', 'must be a postgres:// or postgresql:// URL');
  }
}

type StorageKeyOptions = Pick<ResolvedRelayOptions, 'storageKeys' | 'storageKeyId'>;

/** `storageKey` (id `k1` or `storageKeyId`) or `storageKeys` + `storageKeyId` → one key ring. */
function resolveStorageKeys(checked: RelayOptions, problems: ProblemList): StorageKeyOptions {
  if (problems.has('storageKey', 'storageKeys', 'storageKeyId')) return {};
  const { storageKey, storageKeys, storageKeyId } = checked;
  if (storageKey !== undefined && storageKeys !== undefined) {
    problems.add('storageKeys', 'give either storageKey or storageKeys, not both');
    return {};
  }
  if (storageKey === undefined && storageKeys === undefined) {
    if (storageKeyId !== undefined) problems.add('storageKeyId', 'is set but neither storageKey nor storageKeys is');
    return {};
  }
  const entries: [id: string, key: unknown, option: string][] =
    storageKey !== undefined
      ? [[storageKeyId ?? DEFAULT_STORAGE_KEY_ID, storageKey, 'storageKey']]
      : Object.entries(storageKeys as Record<string, unknown>).map(([id, key]) => [id, key, `storageKeys.${id}`]);
  if (entries.length === 0) {
    problems.add('storageKeys', 'must hold at least one key');
    return {};
  }
  const keys = Object.create(null) as Record<string, string>;
  for (const [id, key, option] of entries) {
    if (!STORAGE_KEY_ID_PATTERN.test(id)) {
      // The id failed its pattern, so it is not echoed.
      if (!problems.has('storageKeys')) problems.add('storageKeys', 'key ids must match ^[A-Za-z0-9_-]{1,32}$');
      continue;
    }
    const checkedKey = typeof key === 'string' ? checkStorageKey(key) : { problem: 'must be a string' };
    if ('problem' in checkedKey) problems.add(option, checkedKey.problem);
    else keys[id] = checkedKey.value;
  }
  const currentId = storageKeyId ?? (entries.length === 1 ? entries[0][0] : undefined);
  if (currentId === undefined) problems.add('storageKeyId', 'is required when storageKeys holds several keys');
  else if (!entries.some(([id]) => id === currentId)) problems.add('storageKeyId', 'must name a key of storageKeys');
  return { storageKeys: Object.freeze(keys), storageKeyId: currentId };
}

type StaticKeyOptions = Pick<ResolvedRelayOptions, 'staticPublicKeyPem' | 'staticPrivateKeyPem'>;

/** The static pair is required with `encryption: 'static'` and refused otherwise. */
function resolveStaticKeys(encryption: string, checked: RelayOptions, problems: ProblemList): StaticKeyOptions {
  const { staticPublicKeyPem, staticPrivateKeyPem } = checked;
  if (problems.has('encryption', 'staticPublicKeyPem', 'staticPrivateKeyPem')) return {};
  if (encryption !== 'static') {
    if (staticPublicKeyPem !== undefined) problems.add('staticPublicKeyPem', 'is only used when encryption is "static"');
    if (staticPrivateKeyPem !== undefined) problems.add('staticPrivateKeyPem', 'is only used when encryption is "static"');
    return {};
  }
  if (staticPublicKeyPem === undefined) problems.add('staticPublicKeyPem', 'is required when encryption is "static"');
  if (staticPrivateKeyPem === undefined) problems.add('staticPrivateKeyPem', 'is required when encryption is "static"');
  if (staticPublicKeyPem === undefined || staticPrivateKeyPem === undefined) return {};

  const publicKey = checkRsaPublicKeyPem(staticPublicKeyPem);
  const privateKey = checkRsaPrivateKeyPem(staticPrivateKeyPem);
  if ('problem' in publicKey) problems.add('staticPublicKeyPem', publicKey.problem);
  if ('problem' in privateKey) problems.add('staticPrivateKeyPem', privateKey.problem);
  if ('problem' in publicKey || 'problem' in privateKey) return {};
  if (!isMatchingKeyPair(publicKey.value.key, privateKey.value)) {
    problems.add('staticPrivateKeyPem', 'does not match staticPublicKeyPem');
  }
  return { staticPublicKeyPem: publicKey.value.spkiPem, staticPrivateKeyPem };
}

/** Rules between options; each runs only when the options involved are individually valid. */
function checkCombinations(effective: typeof DEFAULT_RELAY_OPTIONS, problems: ProblemList): void {
  if (!problems.has('challengeSource', 'issuance') && effective.challengeSource === 'relay' && effective.issuance === 'pool') {
    problems.add('challengeSource', '"relay" cannot be combined with issuance "pool": a pool has no relay to ask (§3.3)');
  }
  if (!problems.has('retryBaseDelayMs', 'retryMaxDelayMs') && effective.retryMaxDelayMs < effective.retryBaseDelayMs) {
    problems.add('retryMaxDelayMs', 'must be at least retryBaseDelayMs');
  }
  if (!problems.has('redemptionLeaseMs', 'replayWindowMs') && effective.redemptionLeaseMs >= effective.replayWindowMs) {
    problems.add('redemptionLeaseMs', 'must be shorter than replayWindowMs');
  }
}

/** Drops absent optional options, freezes, and redacts secrets from the JSON and `util.inspect` forms. */
function sealResolved(values: Record<string, unknown>): ResolvedRelayOptions {
  const resolved = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  const redacted = () =>
    Object.fromEntries(Object.entries(resolved).map(([key, value]) => [key, SECRET_OPTIONS.has(key) ? '[redacted]' : value]));
  Object.defineProperties(resolved, {
    toJSON: { value: redacted },
    [inspect.custom]: { value: redacted },
  });
  return Object.freeze(resolved) as unknown as ResolvedRelayOptions;
}
