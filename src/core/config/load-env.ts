/**
 * Reads {@link RelayOptions} from environment variables.
 *
 * Parsing never throws: a value that cannot be parsed is left out of the options and recorded under
 * {@link ENV_PARSE_PROBLEMS}, so `resolveRelayOptions` reports it together with every other problem.
 */
import { ENV_PARSE_PROBLEMS, type RelayOptionName, type RelayOptions } from './relay-options.js';

/** How the text of a variable becomes an option value. */
type EnvKind = 'string' | 'pem' | 'boolean' | 'integer' | 'list' | 'keyMap';

/**
 * The environment variable of every option that has one.
 *
 * @example
 * ```ts
 * RELAY_ENV_VARIABLES.poolSize; // 'RELAY_POOL_SIZE'
 * ```
 */
export const RELAY_ENV_VARIABLES = Object.freeze({
  apiKey: 'PERSONA_API_KEY',
  apiUrl: 'PERSONA_API_URL',
  claimType: 'RELAY_CLAIM_TYPE',
  allowedClaimTypes: 'RELAY_ALLOWED_CLAIM_TYPES',
  sandbox: 'RELAY_SANDBOX',
  storageKey: 'RELAY_STORAGE_KEY',
  storageKeys: 'RELAY_STORAGE_KEYS',
  storageKeyId: 'RELAY_STORAGE_KEY_ID',
  encryption: 'RELAY_ENCRYPTION',
  staticPublicKeyPem: 'RELAY_STATIC_PUBLIC_KEY',
  staticPrivateKeyPem: 'RELAY_STATIC_PRIVATE_KEY',
  perRelayKeyBits: 'RELAY_PER_RELAY_KEY_BITS',
  blindRsaEngine: 'RELAY_BLIND_RSA_ENGINE',
  issuance: 'RELAY_ISSUANCE',
  poolSize: 'RELAY_POOL_SIZE',
  challengeSource: 'RELAY_CHALLENGE_SOURCE',
  cookieSecret: 'RELAY_COOKIE_SECRET',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'RELAY_DATA_DIR',
  requestTimeoutMs: 'RELAY_REQUEST_TIMEOUT_MS',
  maxRetries: 'RELAY_MAX_RETRIES',
  retryBaseDelayMs: 'RELAY_RETRY_BASE_DELAY_MS',
  retryMaxDelayMs: 'RELAY_RETRY_MAX_DELAY_MS',
  rateLimitMaxWaitMs: 'RELAY_RATE_LIMIT_MAX_WAIT_MS',
  forbiddenRetryBudgetMs: 'RELAY_FORBIDDEN_RETRY_BUDGET_MS',
  tokenExpiryMarginMs: 'RELAY_TOKEN_EXPIRY_MARGIN_MS',
  replayWindowMs: 'RELAY_REPLAY_WINDOW_MS',
  redemptionLeaseMs: 'RELAY_REDEMPTION_LEASE_MS',
  redemptionWaitMs: 'RELAY_REDEMPTION_WAIT_MS',
  sessionsPerSubjectPerHour: 'RELAY_SESSIONS_PER_SUBJECT_PER_HOUR',
  sessionsPerHour: 'RELAY_SESSIONS_PER_HOUR',
  anonymousUserAgent: 'RELAY_ANONYMOUS_USER_AGENT',
  personaVersion: 'PERSONA_VERSION',
  issuanceJitterMs: 'RELAY_ISSUANCE_JITTER_MS',
  poolRefillIntervalMs: 'RELAY_POOL_REFILL_INTERVAL_MS',
  poolIssueSpreadMs: 'RELAY_POOL_ISSUE_SPREAD_MS',
  maintenanceIntervalMs: 'RELAY_MAINTENANCE_INTERVAL_MS',
} as const satisfies Record<RelayOptionName, string>);

/** Options whose variable is not plain text; every other option is read as a string. */
const NON_STRING_KINDS: Partial<Record<RelayOptionName, EnvKind>> = {
  allowedClaimTypes: 'list',
  sandbox: 'boolean',
  storageKeys: 'keyMap',
  staticPublicKeyPem: 'pem',
  staticPrivateKeyPem: 'pem',
  perRelayKeyBits: 'integer',
  poolSize: 'integer',
  requestTimeoutMs: 'integer',
  maxRetries: 'integer',
  retryBaseDelayMs: 'integer',
  retryMaxDelayMs: 'integer',
  rateLimitMaxWaitMs: 'integer',
  forbiddenRetryBudgetMs: 'integer',
  tokenExpiryMarginMs: 'integer',
  replayWindowMs: 'integer',
  redemptionLeaseMs: 'integer',
  redemptionWaitMs: 'integer',
  sessionsPerSubjectPerHour: 'integer',
  sessionsPerHour: 'integer',
  issuanceJitterMs: 'integer',
  poolRefillIntervalMs: 'integer',
  poolIssueSpreadMs: 'integer',
  maintenanceIntervalMs: 'integer',
};

type Parsed = { readonly value: unknown } | { readonly problem: string };

/**
 * Builds {@link RelayOptions} from environment variables (see {@link RELAY_ENV_VARIABLES}).
 *
 * - Values are trimmed; unset or blank variables are left out (so defaults apply).
 * - Booleans: `true`/`false`/`1`/`0`, any case. Integers: optional sign and digits.
 * - `RELAY_ALLOWED_CLAIM_TYPES`: comma-separated. `RELAY_STORAGE_KEYS`: `id:base64,id:base64`.
 * - PEM variables may use literal `\n` for line breaks (single-line `.env` files).
 * - An unparsable value never throws here: it is recorded under {@link ENV_PARSE_PROBLEMS} for
 *   `resolveRelayOptions` to report by the variable's name (never its value).
 *
 * @example
 * ```ts
 * const options = resolveRelayOptions({ ...loadOptionsFromEnv(), claimType: 'age_over21_verified' });
 * loadOptionsFromEnv({ RELAY_SANDBOX: 'TRUE', RELAY_POOL_SIZE: '25' }); // { sandbox: true, poolSize: 25 }
 * ```
 */
export function loadOptionsFromEnv(env: Record<string, string | undefined> = process.env): RelayOptions {
  if (typeof env !== 'object' || env === null) throw new TypeError('loadOptionsFromEnv expects an object of variables');
  const options: Record<PropertyKey, unknown> = {};
  const problems: Record<string, string> = {};
  for (const [option, variable] of Object.entries(RELAY_ENV_VARIABLES) as [RelayOptionName, string][]) {
    const raw = env[variable];
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    const parsed = parseEnvValue(raw.trim(), NON_STRING_KINDS[option] ?? 'string', variable);
    if ('problem' in parsed) problems[option] = parsed.problem;
    else options[option] = parsed.value;
  }
  if (Object.keys(problems).length > 0) options[ENV_PARSE_PROBLEMS] = Object.freeze(problems);
  return options as RelayOptions;
}

function parseEnvValue(text: string, kind: EnvKind, variable: string): Parsed {
  switch (kind) {
    case 'string':
      return { value: text };
    case 'pem':
      // Single-line .env files write PEM line breaks as "\n"; a value with real line breaks is left alone.
      return { value: text.includes('\n') ? text : text.replaceAll('\\n', '\n') };
    case 'boolean':
      return parseBoolean(text, variable);
    case 'integer':
      return parseInteger(text, variable);
    case 'list':
      return { value: splitList(text) };
    case 'keyMap':
      return parseKeyMap(text, variable);
  }
}

function parseBoolean(text: string, variable: string): Parsed {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === '1') return { value: true };
  if (lower === 'false' || lower === '0') return { value: false };
  return { problem: `${variable} must be true, false, 1 or 0` };
}

function parseInteger(text: string, variable: string): Parsed {
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(value) ? { value } : { problem: `${variable} must be an integer` };
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `id:base64,id:base64`. Base64 has no `:` or `,`, so both separators are unambiguous. */
function parseKeyMap(text: string, variable: string): Parsed {
  // Null prototype: an id such as `__proto__` must become a key, not a prototype.
  const keys = Object.create(null) as Record<string, string>;
  for (const entry of splitList(text)) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const key = entry.slice(separator + 1).trim();
    if (separator <= 0 || id === '' || key === '') {
      return { problem: `${variable} must be a comma-separated list of id:base64 entries` };
    }
    if (Object.hasOwn(keys, id)) return { problem: `${variable} names a key id more than once` };
    keys[id] = key;
  }
  return { value: keys };
}
