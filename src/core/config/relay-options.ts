/**
 * The option table: every option of the library declared once, with its environment variable, how its
 * text parses and the rule its value follows, its default and whether it is a secret. The option types,
 * `RELAY_ENV_VARIABLES`, `DEFAULT_RELAY_OPTIONS`, environment loading, validation and redaction all
 * derive from it.
 */
import { NEUTRAL_USER_AGENT } from '../persona/http-client.js';
import {
  anyText,
  claimTypeList,
  CLAIM_TYPE_PATTERN,
  flag,
  integerBetween,
  keyMap,
  oneOf,
  pemText,
  STORAGE_KEY_ID_PATTERN,
  textMatching,
  trustedProxies,
  type OptionKind,
} from './option-kinds.js';

const ENCRYPTION_MODES = ['per-relay', 'static', 'none'] as const;
const ISSUANCE_MODES = ['at-creation', 'pool'] as const;
const CHALLENGE_SOURCES = ['auto', 'relay', 'endpoint'] as const;
const DRY_POOL_POLICIES = ['refuse', 'issue'] as const;
const PER_RELAY_KEY_BITS = [3072, 4096] as const;
const BLIND_RSA_ENGINES = ['blindrsa-ts', 'node-crypto'] as const;

/** Persona environment: passes and relays of one environment only work together. */
export type RelayEnvironment = 'production' | 'sandbox';
/**
 * How claim payloads are protected on the way back from Persona: `per-relay` a fresh RSA key pair per
 * relay (no key links two relays), `static` one configured key pair, `none` plaintext.
 */
export type EncryptionMode = (typeof ENCRYPTION_MODES)[number];
/** When Privacy Passes are bought: right after each relay is created, or ahead of time into a pool. */
export type IssuanceMode = (typeof ISSUANCE_MODES)[number];
/** Where the challenge for issuance comes from. */
export type ChallengeSource = (typeof CHALLENGE_SOURCES)[number];
/**
 * What a redemption does when the pool has no usable pass (issuance `pool` only): `refuse` answers
 * `NO_PASS_AVAILABLE` (503) until a refill round restocks it; `issue` buys one on the request path, an identified
 * call right before the user's anonymous redemption, which is the timing link pool mode exists to avoid.
 */
export type DryPoolPolicy = (typeof DRY_POOL_POLICIES)[number];
/**
 * Sizes allowed for per-relay encryption keys. Persona accepts 2048 bits too, but RSA-OAEP-SHA-256 under a
 * 2048-bit key holds at most 190 bytes, and a claim payload with three methodology entries is about 225.
 */
export type PerRelayKeyBits = (typeof PER_RELAY_KEY_BITS)[number];

const ANY_PER_RELAY_KEY_BITS = oneOf(PER_RELAY_KEY_BITS);
/** {@link PerRelayKeyBits}, with a problem for 2048 that says why it is refused. */
const perRelayKeyBits: OptionKind<PerRelayKeyBits> = {
  parse: ANY_PER_RELAY_KEY_BITS.parse,
  check: (value) =>
    value === 2048
      ? 'must be 3072 or 4096: RSA-OAEP-SHA-256 with a 2048-bit key holds at most 190 bytes, too few for a claim payload with three methodology entries (about 225 bytes)'
      : ANY_PER_RELAY_KEY_BITS.check(value),
};
/**
 * Blind RSA engine for issuance: `node-crypto` (native `node:crypto` primitives and BigInt, proven
 * byte-for-byte against the reference and the RFC 9474 vectors on every test run, about 200× faster) or
 * `blindrsa-ts` (the reference, `@cloudflare/blindrsa-ts` in worker threads).
 */
export type BlindRsaEngineName = (typeof BLIND_RSA_ENGINES)[number];

/** One option: its variable, its kind of value, and what applies when it is not given. */
export interface OptionDescriptor<T = unknown> {
  readonly env: string;
  readonly kind: OptionKind<T>;
  readonly default?: T;
  /** Resolution fails without it. */
  readonly required?: true;
  /** Never shown: `[redacted]` in the JSON and `util.inspect` forms of resolved options. */
  readonly secret?: true;
}

/**
 * Related options given as one nested object; their variables stay flat. Every grouped option has a
 * default, so a group given in part is completed from its defaults.
 */
type OptionGroup = Readonly<Record<string, OptionDescriptor & { readonly default: unknown }>>;

const DAY_MS = 24 * 60 * 60_000;

/** Every option, in the order problems are reported. */
export const RELAY_OPTION_TABLE = {
  /** Persona API key, used only for the identified, billed issuance call; visible ASCII without spaces. */
  apiKey: {
    env: 'PERSONA_API_KEY',
    kind: textMatching(/^[\x21-\x7e]+$/, 'must be a non-empty string of visible ASCII characters without spaces'),
    required: true,
    secret: true,
  },
  /** Persona's base URL (or an emulator's), http(s); a trailing slash is dropped. */
  apiUrl: { env: 'PERSONA_API_URL', kind: anyText, default: 'https://api.withpersona.com' },
  /** Claim type of sessions that name none. */
  claimType: {
    env: 'RELAY_CLAIM_TYPE',
    kind: textMatching(CLAIM_TYPE_PATTERN, `must match ${CLAIM_TYPE_PATTERN.source}`),
    default: 'age_over18_verified',
  },
  /** Claim types a browser may request; must include `claimType`. Default `[claimType]`. */
  allowedClaimTypes: { env: 'RELAY_ALLOWED_CLAIM_TYPES', kind: claimTypeList },
  /** Use Persona's sandbox. Default: from the API key prefix `persona_sandbox_`; contradicting it is an error. */
  sandbox: { env: 'RELAY_SANDBOX', kind: flag },
  /**
   * Key for secrets at rest (AES-256-GCM): base64 of exactly 32 bytes, key id `k1` (or `storageKeyId`).
   * This or `storageKeys` is required.
   */
  storageKey: { env: 'RELAY_STORAGE_KEY', kind: anyText, secret: true },
  /** Several storage keys for rotation: key id → base64 of 32 bytes; old keys keep decrypting. */
  storageKeys: { env: 'RELAY_STORAGE_KEYS', kind: keyMap, secret: true },
  /** Id of the key that encrypts new data; required when `storageKeys` holds several. */
  storageKeyId: {
    env: 'RELAY_STORAGE_KEY_ID',
    kind: textMatching(STORAGE_KEY_ID_PATTERN, `must match ${STORAGE_KEY_ID_PATTERN.source}`),
  },
  /** Claim payload encryption. */
  encryption: { env: 'RELAY_ENCRYPTION', kind: oneOf(ENCRYPTION_MODES), default: 'per-relay' },
  /** PEM RSA public key (SPKI or PKCS#1, 2048–4096 bits) for `static` encryption; required then, refused otherwise. */
  staticPublicKeyPem: { env: 'RELAY_STATIC_PUBLIC_KEY', kind: pemText },
  /** Unencrypted PEM RSA private key matching `staticPublicKeyPem`; required iff `encryption` is `static`. */
  staticPrivateKeyPem: { env: 'RELAY_STATIC_PRIVATE_KEY', kind: pemText, secret: true },
  /** Modulus size of per-relay keys (3072 fits three methodology entries; 2048 does not). */
  keyBits: { env: 'RELAY_KEY_BITS', kind: perRelayKeyBits, default: 3072 },
  /**
   * Per-relay key pairs kept ready in the database (generated in the background, shared by instances). 100
   * covers a burst of 100 session creations; refilling it costs about 0.5 s of CPU per key at 3072 bits.
   * 0 keeps none: every session creation waits for a key to be generated.
   */
  keyReserve: { env: 'RELAY_KEY_RESERVE', kind: integerBetween(0, 100_000), default: 100 },
  /** How long a session creation waits for a key pair when the reserve is empty, before answering `RELAY_BUSY` (503). */
  keyWaitMs: { env: 'RELAY_KEY_WAIT_MS', kind: integerBetween(0, 600_000), default: 2_000 },
  /** Blind RSA engine used for issuance. */
  blindRsaEngine: { env: 'RELAY_BLIND_RSA_ENGINE', kind: oneOf(BLIND_RSA_ENGINES), default: 'node-crypto' },
  /** Issuance mode. */
  issuance: { env: 'RELAY_ISSUANCE', kind: oneOf(ISSUANCE_MODES), default: 'at-creation' },
  /** Challenge source; `relay` cannot be combined with issuance `pool`. */
  challengeSource: { env: 'RELAY_CHALLENGE_SOURCE', kind: oneOf(CHALLENGE_SOURCES), default: 'auto' },
  /**
   * Whose `X-Forwarded-For` to believe when finding a client's address (the per-client limit): a hop count
   * or proxy addresses and CIDR ranges, as Express's `trust proxy`. 0 believes none: the connection's
   * remote address is the client.
   */
  trustProxy: { env: 'RELAY_TRUST_PROXY', kind: trustedProxies, default: 0 },
  /** Signs the anonymous-visitor cookie; instances sharing a database share it. No default here: the HTTP layer decides. */
  cookieSecret: {
    env: 'RELAY_COOKIE_SECRET',
    kind: textMatching(/^[^]{32,}$/, 'must be a string of at least 32 characters'),
    secret: true,
  },
  /** PostgreSQL URL (`postgres://` or `postgresql://`). Unset: embedded PGlite in `dataDir`. */
  databaseUrl: { env: 'DATABASE_URL', kind: anyText, secret: true },
  /** PGlite data directory; `memory://` keeps everything in memory. */
  dataDir: { env: 'RELAY_DATA_DIR', kind: textMatching(/\S/, 'must be a non-empty string'), default: '.relay-data' },
  /** A pass is not presented within this margin of its challenge's expiry. */
  tokenExpiryMarginMs: { env: 'RELAY_TOKEN_EXPIRY_MARGIN_MS', kind: integerBetween(0, DAY_MS - 1), default: 5 * 60_000 },
  /** `User-Agent` of anonymous calls; by default the one Node's own `fetch` sends, shared by countless clients, so it identifies no platform. */
  anonymousUserAgent: {
    env: 'RELAY_ANONYMOUS_USER_AGENT',
    kind: textMatching(/^(?! )[\x20-\x7e]{1,200}(?<! )$/, 'must be 1–200 visible ASCII characters (inner spaces allowed)'),
    default: NEUTRAL_USER_AGENT,
  },
  /** `Persona-Version` header (`YYYY-MM-DD`), sent only if set. */
  personaVersion: { env: 'PERSONA_VERSION', kind: textMatching(/^\d{4}-\d{2}-\d{2}$/, 'must be a date in the form YYYY-MM-DD') },
  /** Upper bound of the random delay before an `at-creation` issuance, so its timing is not the session creation's. */
  issuanceJitterMs: { env: 'RELAY_ISSUANCE_JITTER_MS', kind: integerBetween(0, 600_000), default: 5_000 },
  /** Interval of the maintenance sweep (expire stale passes, resume abandoned redemptions). */
  maintenanceIntervalMs: { env: 'RELAY_MAINTENANCE_INTERVAL_MS', kind: integerBetween(1_000, DAY_MS), default: 60_000 },
  /** Calls to Persona: the retry policy of the Persona client. */
  retry: {
    /** Timeout of one HTTP attempt. */
    requestTimeoutMs: { env: 'RELAY_REQUEST_TIMEOUT_MS', kind: integerBetween(1, 600_000), default: 10_000 },
    /** Retries after the first attempt. */
    maxRetries: { env: 'RELAY_MAX_RETRIES', kind: integerBetween(0, 10), default: 3 },
    /** Backoff before the first retry, doubling after. */
    baseDelayMs: { env: 'RELAY_RETRY_BASE_DELAY_MS', kind: integerBetween(0, 60_000), default: 200 },
    /** Backoff cap; at least `baseDelayMs`. */
    maxDelayMs: { env: 'RELAY_RETRY_MAX_DELAY_MS', kind: integerBetween(0, 600_000), default: 5_000 },
    /** Longest total wait one call spends on 429s' `RateLimit-Reset`; a reset that does not fit ends the call with its 429. */
    rateLimitMaxWaitMs: { env: 'RELAY_RATE_LIMIT_MAX_WAIT_MS', kind: integerBetween(0, 3_600_000), default: 60_000 },
    /** How long a 403 on generate-claim is retried. */
    forbiddenRetryBudgetMs: { env: 'RELAY_FORBIDDEN_RETRY_BUDGET_MS', kind: integerBetween(0, 600_000), default: 10_000 },
  },
  /** Passes bought ahead of time (issuance `pool`). */
  pool: {
    /** Passes kept per (environment, claim type). */
    size: { env: 'RELAY_POOL_SIZE', kind: integerBetween(1, 1000), default: 10 },
    /** Mean interval between refill rounds (each is scheduled at 0.5–1.5 × this). */
    refillIntervalMs: { env: 'RELAY_POOL_REFILL_INTERVAL_MS', kind: integerBetween(1_000, DAY_MS), default: 5 * 60_000 },
    /** Upper bound of the random pause between two issuances of a scheduled refill. */
    issueSpreadMs: { env: 'RELAY_POOL_ISSUE_SPREAD_MS', kind: integerBetween(0, 3_600_000), default: 30_000 },
    /**
     * What a redemption does on a dry pool. `refuse` by default: whoever chose pool mode chose unlinkable issuance,
     * and a silent fallback would give it up exactly under load, when it is least visible; a 503 is visible, is
     * retried by the user, and is fixed by a larger `size`.
     */
    whenDry: { env: 'RELAY_POOL_WHEN_DRY', kind: oneOf(DRY_POOL_POLICIES), default: 'refuse' },
  },
  /** Redeeming passes for claims, crash-safely across instances. */
  redemption: {
    /** Lease of one instance on a redemption; shorter than `replayWindowMs`. */
    leaseMs: { env: 'RELAY_REDEMPTION_LEASE_MS', kind: integerBetween(1, 3_600_000), default: 30_000 },
    /** How long a concurrent redemption of the same session waits for the first before answering REDEMPTION_IN_PROGRESS. */
    waitMs: { env: 'RELAY_REDEMPTION_WAIT_MS', kind: integerBetween(0, 600_000), default: 30_000 },
    /**
     * A redemption unresolved this long becomes UNKNOWN and is never retried automatically. Below Persona's
     * 24 h idempotency retention: a key replayed later would run as new.
     */
    replayWindowMs: { env: 'RELAY_REPLAY_WINDOW_MS', kind: integerBetween(1, DAY_MS - 1), default: 60 * 60_000 },
  },
  /** Session creation limits: each session costs a billed pass. */
  limits: {
    /** Sessions one subject may create per hour. */
    sessionsPerSubjectPerHour: { env: 'RELAY_SESSIONS_PER_SUBJECT_PER_HOUR', kind: integerBetween(1, 1_000_000), default: 10 },
    /**
     * Sessions one client address (an IPv6 /64) may create per hour, whatever subjects it claims; visitors
     * behind one NAT share it.
     */
    sessionsPerClientPerHour: { env: 'RELAY_SESSIONS_PER_CLIENT_PER_HOUR', kind: integerBetween(1, 1_000_000), default: 30 },
    /** Sessions created per hour in total. */
    sessionsPerHour: { env: 'RELAY_SESSIONS_PER_HOUR', kind: integerBetween(1, 1_000_000), default: 1_000 },
  },
} satisfies Record<string, OptionDescriptor | OptionGroup>;

// The public option types below are mapped over the table in place rather than through generic helpers,
// so that what users see of them is their options, never a helper type they cannot import. The helpers
// kept here resolve to plain values or keys.
type Table = typeof RELAY_OPTION_TABLE;
/** The value type of one option. */
type ValueOf<D> = D extends { kind: OptionKind<infer T> } ? T : never;
/** Top-level options with a default, and the groups (all of whose options have one). */
type DefaultedKey<K extends keyof Table> = Table[K] extends OptionDescriptor ? (Table[K] extends { default: unknown } ? K : never) : K;
/** Top-level options present after resolution whether given or not: defaulted or required. */
type AlwaysPresentKey<K extends keyof Table> = Table[K] extends { required: true } ? K : DefaultedKey<K>;

/**
 * Marks, on an object returned by `loadOptionsFromEnv`, the variables that were set but could not be
 * parsed: option name → problem (never the value). `resolveRelayOptions` reports each one, naming the
 * variable, unless the option was given a value. A symbol, so it survives object spread but is never
 * mistaken for an option.
 */
export const ENV_PARSE_PROBLEMS: unique symbol = Symbol('persona-relay.envParseProblems');

/**
 * Options of the library, as users give them. Everything is optional (except that resolution needs
 * `apiKey` and `storageKey` or `storageKeys`); nested groups merge with their defaults. Secrets never
 * appear in error messages.
 *
 * @example
 * ```ts
 * const options: RelayOptions = {
 *   apiKey: process.env.PERSONA_API_KEY,
 *   storageKey: process.env.RELAY_STORAGE_KEY,
 *   issuance: 'pool',
 *   retry: { maxRetries: 5 }, // the other retry options keep their defaults
 * };
 * ```
 */
export type RelayOptions = {
  [K in keyof Table]?: Table[K] extends OptionDescriptor ? ValueOf<Table[K]> : { [M in keyof Table[K]]?: ValueOf<Table[K][M]> };
} & {
  /** Set by `loadOptionsFromEnv` only: see {@link ENV_PARSE_PROBLEMS}. */
  readonly [ENV_PARSE_PROBLEMS]?: Readonly<Record<string, string>>;
};

/** Options that resolution turns into something other than the value given. */
type ResolvedApart = 'sandbox' | 'allowedClaimTypes' | 'storageKey' | 'storageKeys' | 'storageKeyId';

/**
 * Options after defaults, inference and validation. Optional only where absence means something: no
 * `databaseUrl` (embedded PGlite), no cookie secret (the HTTP layer decides), static keys only with
 * `encryption: 'static'`, no `personaVersion` (header not sent). Frozen; its JSON and `util.inspect`
 * forms redact the secrets.
 */
export type ResolvedRelayOptions = {
  readonly [K in keyof Table as K extends ResolvedApart ? never : AlwaysPresentKey<K>]-?: Table[K] extends OptionDescriptor
    ? ValueOf<Table[K]>
    : { readonly [M in keyof Table[K]]: ValueOf<Table[K][M]> };
} & {
  readonly [K in keyof Table as K extends ResolvedApart | AlwaysPresentKey<K> ? never : K]?: ValueOf<Table[K]>;
} & {
  readonly environment: RelayEnvironment;
  /** Same fact as `environment`, kept for callers that want a flag. */
  readonly sandbox: boolean;
  /** Deduplicated, always contains `claimType`. */
  readonly allowedClaimTypes: readonly string[];
  /** Storage keys by id as canonical base64 of 32 bytes; `storageKey` alone appears here as `k1` (or under `storageKeyId`). */
  readonly storageKeys: Readonly<Record<string, string>>;
  /** The key that encrypts new data; always a key of `storageKeys`. */
  readonly storageKeyId: string;
};

/** Dotted name of an option: `apiKey`, `retry.maxRetries`, … The name used in problem messages. */
export type RelayOptionName = {
  [K in keyof Table & string]: Table[K] extends OptionDescriptor ? K : `${K}.${keyof Table[K] & string}`;
}[keyof Table & string];

/** One row of the table, flattened. */
export interface OptionEntry {
  readonly name: RelayOptionName;
  readonly descriptor: OptionDescriptor;
}

const isDescriptor = (entry: OptionDescriptor | OptionGroup): entry is OptionDescriptor => 'kind' in entry;
const TOP_LEVEL: [string, OptionDescriptor | OptionGroup][] = Object.entries(RELAY_OPTION_TABLE);

/** The table as rows, in declaration order. */
export const OPTION_ENTRIES: readonly OptionEntry[] = TOP_LEVEL.flatMap(([key, entry]) =>
  isDescriptor(entry)
    ? [{ name: key as RelayOptionName, descriptor: entry }]
    : Object.entries(entry).map(([member, descriptor]) => ({ name: `${key}.${member}` as RelayOptionName, descriptor })),
);

/** Names of the nested groups (`retry`, `pool`, …). */
export const OPTION_GROUPS: ReadonlySet<string> = new Set(TOP_LEVEL.filter(([, entry]) => !isDescriptor(entry)).map(([key]) => key));

/** Name and default of every option that has one. */
export const DEFAULT_ENTRIES: readonly (readonly [RelayOptionName, unknown])[] = OPTION_ENTRIES.filter(
  ({ descriptor }) => 'default' in descriptor,
).map(({ name, descriptor }) => [name, descriptor.default]);

/** Flat name → value pairs as a nested options object (`retry.maxRetries` → `{ retry: { maxRetries } }`). */
export function nestOptions(values: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [name, value] of values) {
    const [head, member] = name.split('.') as [string, string?];
    if (member === undefined) nested[head] = value;
    else ((nested[head] ??= {}) as Record<string, unknown>)[member] = value;
  }
  return nested;
}

function deepFreeze<T extends Record<string, unknown>>(values: T): T {
  for (const value of Object.values(values)) if (typeof value === 'object' && value !== null) Object.freeze(value);
  return Object.freeze(values);
}

/** The environment variable of every option, by dotted option name. */
export const RELAY_ENV_VARIABLES: Readonly<Record<RelayOptionName, string>> = Object.freeze(
  Object.fromEntries(OPTION_ENTRIES.map(({ name, descriptor }) => [name, descriptor.env])) as Record<RelayOptionName, string>,
);

/**
 * The defaults applied by `resolveRelayOptions`, nested like the options. Options missing here have no
 * default: they are derived (`allowedClaimTypes` = `[claimType]`, `sandbox` from the API key), required,
 * or their absence means something.
 */
export const DEFAULT_RELAY_OPTIONS = deepFreeze(nestOptions(DEFAULT_ENTRIES)) as {
  readonly [K in keyof Table as DefaultedKey<K>]: Table[K] extends OptionDescriptor
    ? ValueOf<Table[K]>
    : { readonly [M in keyof Table[K]]: ValueOf<Table[K][M]> };
};
