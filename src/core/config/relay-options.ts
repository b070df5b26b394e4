/**
 * The library's options: what a user passes ({@link RelayOptions}) and what the library runs with
 * ({@link ResolvedRelayOptions}, produced by `resolveRelayOptions`). Each option names its environment
 * variable (read by `loadOptionsFromEnv`) and its default.
 */

/**
 * Persona environment: passes and relays of one environment only work together (§9).
 *
 * @example
 * ```ts
 * const environment: RelayEnvironment = options.sandbox ? 'sandbox' : 'production';
 * ```
 */
export type RelayEnvironment = 'production' | 'sandbox';

/**
 * How claim payloads are protected on the way back from Persona (§8.2, design §4 rule 3):
 * `per-relay` a fresh RSA key pair per relay (no key links two relays), `static` one configured key
 * pair, `none` plaintext.
 *
 * @example
 * ```ts
 * resolveRelayOptions({ encryption: 'none' satisfies EncryptionMode });
 * ```
 */
export type EncryptionMode = 'per-relay' | 'static' | 'none';

/**
 * When Privacy Passes are bought: right after each relay is created, or ahead of time into a pool.
 *
 * @example
 * ```ts
 * resolveRelayOptions({ issuance: 'pool' satisfies IssuanceMode, poolSize: 20 });
 * ```
 */
export type IssuanceMode = 'at-creation' | 'pool';

/**
 * Where the challenge for issuance comes from (§3.3).
 *
 * @example
 * ```ts
 * resolveRelayOptions({ challengeSource: 'endpoint' satisfies ChallengeSource });
 * ```
 */
export type ChallengeSource = 'auto' | 'relay' | 'endpoint';

/**
 * Sizes allowed for per-relay encryption keys (Persona accepts 2048–4096 bits).
 *
 * @example
 * ```ts
 * resolveRelayOptions({ perRelayKeyBits: 4096 satisfies PerRelayKeyBits });
 * ```
 */
export type PerRelayKeyBits = 2048 | 3072 | 4096;

/**
 * Blind RSA engine for issuance: `node-crypto` (default: native `node:crypto`
 * primitives and BigInt, proven byte-for-byte against the reference and the
 * RFC 9474 vectors on every test run, about 200× faster) or `blindrsa-ts` (the
 * reference, `@cloudflare/blindrsa-ts` in worker threads).
 *
 * @example
 * ```ts
 * resolveRelayOptions({ blindRsaEngine: 'node-crypto' satisfies BlindRsaEngineName });
 * ```
 */
export type BlindRsaEngineName = 'blindrsa-ts' | 'node-crypto';

/**
 * Marks, on an object returned by `loadOptionsFromEnv`, the environment variables that were set but
 * could not be parsed: option name → problem (naming the variable, never its value).
 * `resolveRelayOptions` reports each one unless the option was given another value. A symbol, so it
 * survives object spread but is never mistaken for an option.
 *
 * @example
 * ```ts
 * loadOptionsFromEnv({ RELAY_POOL_SIZE: 'ten' })[ENV_PARSE_PROBLEMS];
 * // { poolSize: 'RELAY_POOL_SIZE is not an integer' }
 * ```
 */
export const ENV_PARSE_PROBLEMS: unique symbol = Symbol('persona-relay.envParseProblems');

/**
 * Options of the library. Everything is optional; unset options take the documented default.
 * Secrets (`apiKey`, `storageKey`, `storageKeys`, `cookieSecret`, `staticPrivateKeyPem`,
 * `databaseUrl`) never appear in error messages.
 *
 * @example
 * ```ts
 * const options: RelayOptions = {
 *   apiKey: process.env.PERSONA_API_KEY,
 *   storageKey: process.env.RELAY_STORAGE_KEY,
 *   claimType: 'age_over18_germany',
 *   issuance: 'pool',
 * };
 * ```
 */
export interface RelayOptions {
  /**
   * Persona API key, used only for the identified, billed issuance call. `PERSONA_API_KEY`.
   * Needed unless the caller embeds an emulator; when given, it must be visible ASCII without spaces.
   */
  apiKey?: string;
  /** Persona's base URL, http(s); a trailing slash is dropped. `PERSONA_API_URL`. Default `https://api.withpersona.com`. */
  apiUrl?: string;
  /** Default claim type of new sessions, `^[a-z0-9_]{1,100}$`. `RELAY_CLAIM_TYPE`. Default `age_over18_verified`. */
  claimType?: string;
  /**
   * Claim types a browser may request; must include `claimType`. `RELAY_ALLOWED_CLAIM_TYPES`
   * (comma-separated). Default `[claimType]`.
   */
  allowedClaimTypes?: string[];
  /**
   * Use Persona's sandbox (§9). `RELAY_SANDBOX` (`true/false/1/0`). Default: inferred from the API key
   * prefix `persona_sandbox_`; production otherwise. Contradicting a prefixed key is an error.
   */
  sandbox?: boolean;
  /**
   * Key for secrets at rest (AES-256-GCM): base64 of exactly 32 bytes, key id `k1` (or `storageKeyId`).
   * `RELAY_STORAGE_KEY`. No default: the caller decides (the demo makes an ephemeral key and warns).
   * Mutually exclusive with `storageKeys`.
   */
  storageKey?: string;
  /**
   * Several storage keys for rotation: key id (`^[A-Za-z0-9_-]{1,32}$`) → base64 of 32 bytes. Old keys
   * keep decrypting; `storageKeyId` encrypts. `RELAY_STORAGE_KEYS` as `id:base64,id:base64`.
   */
  storageKeys?: Record<string, string>;
  /**
   * Id of the key that encrypts new data: one of `storageKeys` (required when it holds several), or the id
   * given to `storageKey`. `RELAY_STORAGE_KEY_ID`.
   */
  storageKeyId?: string;
  /** Claim payload encryption. `RELAY_ENCRYPTION`. Default `per-relay`. */
  encryption?: EncryptionMode;
  /**
   * PEM RSA public key (SPKI or PKCS#1, 2048–4096 bits) sent with every relay when `encryption` is
   * `static`; required then, rejected otherwise. `RELAY_STATIC_PUBLIC_KEY` (`\n` escapes allowed).
   */
  staticPublicKeyPem?: string;
  /**
   * Unencrypted PEM RSA private key matching `staticPublicKeyPem`; required iff `encryption` is `static`.
   * `RELAY_STATIC_PRIVATE_KEY` (`\n` escapes allowed).
   */
  staticPrivateKeyPem?: string;
  /** Modulus size of per-relay keys. `RELAY_PER_RELAY_KEY_BITS`. Default 3072 (fits three methodology entries, §8.2). */
  perRelayKeyBits?: PerRelayKeyBits;
  /** Blind RSA engine used for issuance. `RELAY_BLIND_RSA_ENGINE`. Default `node-crypto`. */
  blindRsaEngine?: BlindRsaEngineName;
  /** Issuance mode. `RELAY_ISSUANCE`. Default `at-creation`. */
  issuance?: IssuanceMode;
  /** Passes kept per (environment, claim type) in `pool` mode, 1–1000. `RELAY_POOL_SIZE`. Default 10. */
  poolSize?: number;
  /** Challenge source (§3.3); `relay` cannot be combined with `pool`. `RELAY_CHALLENGE_SOURCE`. Default `auto`. */
  challengeSource?: ChallengeSource;
  /**
   * Signs the anonymous-visitor cookie; at least 32 characters; instances sharing a database share it.
   * `RELAY_COOKIE_SECRET`. No default here: the module layer decides.
   */
  cookieSecret?: string;
  /** PostgreSQL URL (`postgres://` or `postgresql://`). `DATABASE_URL`. Unset: embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  /** PGlite data directory; `memory://` keeps everything in memory. `RELAY_DATA_DIR`. Default `.relay-data`. */
  dataDir?: string;
  /** Timeout of one HTTP attempt to Persona, 1–600000 ms. `RELAY_REQUEST_TIMEOUT_MS`. Default 10000. */
  requestTimeoutMs?: number;
  /** Retries after the first attempt, 0–10. `RELAY_MAX_RETRIES`. Default 3. */
  maxRetries?: number;
  /** Backoff before the first retry (doubling after), 0–60000 ms. `RELAY_RETRY_BASE_DELAY_MS`. Default 200. */
  retryBaseDelayMs?: number;
  /** Backoff cap, ≥ `retryBaseDelayMs`, at most 600000 ms. `RELAY_RETRY_MAX_DELAY_MS`. Default 5000. */
  retryMaxDelayMs?: number;
  /** Longest wait honoured after a 429's `RateLimit-Reset`, 0–3600000 ms. `RELAY_RATE_LIMIT_MAX_WAIT_MS`. Default 60000. */
  rateLimitMaxWaitMs?: number;
  /** How long a 403 on generate-claim is retried, 0–600000 ms. `RELAY_FORBIDDEN_RETRY_BUDGET_MS`. Default 10000. */
  forbiddenRetryBudgetMs?: number;
  /**
   * A pass is not presented within this margin of its challenge's `expires_at`, 0–86399999 ms.
   * `RELAY_TOKEN_EXPIRY_MARGIN_MS`. Default 300000 (5 minutes).
   */
  tokenExpiryMarginMs?: number;
  /**
   * A redemption unresolved this long becomes UNKNOWN and is never retried automatically; below
   * Persona's 24 h idempotency retention, 1–86399999 ms. `RELAY_REPLAY_WINDOW_MS`. Default 3600000 (1 hour).
   */
  replayWindowMs?: number;
  /** Lease of one instance on a redemption, below `replayWindowMs`, 1–3600000 ms. `RELAY_REDEMPTION_LEASE_MS`. Default 30000. */
  redemptionLeaseMs?: number;
  /**
   * How long a concurrent redemption of the same session waits for the first one before answering
   * REDEMPTION_IN_PROGRESS, 0–600000 ms. `RELAY_REDEMPTION_WAIT_MS`. Default 30000.
   */
  redemptionWaitMs?: number;
  /** Sessions one subject may create per hour, 1–1000000. `RELAY_SESSIONS_PER_SUBJECT_PER_HOUR`. Default 10. */
  sessionsPerSubjectPerHour?: number;
  /**
   * Sessions created per hour in total (each one costs a billed pass), 1–1000000.
   * `RELAY_SESSIONS_PER_HOUR`. Default 1000.
   */
  sessionsPerHour?: number;
  /**
   * `User-Agent` of anonymous calls: visible ASCII, at most 200 characters. `RELAY_ANONYMOUS_USER_AGENT`.
   * Default `persona-relay`, the same for every platform using this library, so it identifies none.
   */
  anonymousUserAgent?: string;
  /** `Persona-Version` header (`YYYY-MM-DD`), sent only if set. `PERSONA_VERSION`. */
  personaVersion?: string;
  /**
   * Upper bound of the random delay before an `at-creation` issuance, so the identified call's timing is
   * not the session creation's, 0–600000 ms. `RELAY_ISSUANCE_JITTER_MS`. Default 5000.
   */
  issuanceJitterMs?: number;
  /**
   * Mean interval between pool refill rounds (each round is scheduled at 0.5–1.5 × this), 1000–86400000 ms.
   * `RELAY_POOL_REFILL_INTERVAL_MS`. Default 300000 (5 minutes).
   */
  poolRefillIntervalMs?: number;
  /**
   * Upper bound of the random pause between two issuances of a scheduled pool refill, 0–3600000 ms.
   * `RELAY_POOL_ISSUE_SPREAD_MS`. Default 30000.
   */
  poolIssueSpreadMs?: number;
  /**
   * Interval of the maintenance sweep (expire stale passes, resume abandoned redemptions), 1000–86400000 ms.
   * `RELAY_MAINTENANCE_INTERVAL_MS`. Default 60000.
   */
  maintenanceIntervalMs?: number;
  /** Set by `loadOptionsFromEnv` only: see {@link ENV_PARSE_PROBLEMS}. */
  readonly [ENV_PARSE_PROBLEMS]?: Readonly<Record<string, string>>;
}

/**
 * Name of an option of {@link RelayOptions}.
 *
 * @example
 * ```ts
 * const name: RelayOptionName = 'poolSize';
 * ```
 */
export type RelayOptionName = Exclude<keyof RelayOptions, typeof ENV_PARSE_PROBLEMS>;

/**
 * Options after defaults, inference and validation. Optional only where absence means something:
 * no `apiKey` (an embedded emulator), no `databaseUrl` (embedded PGlite), no storage key or cookie
 * secret (the caller decides), static keys only with `encryption: 'static'`, no `personaVersion` (header
 * not sent). Frozen; its JSON and `util.inspect` forms redact the secrets.
 *
 * @example
 * ```ts
 * const options: ResolvedRelayOptions = resolveRelayOptions(loadOptionsFromEnv());
 * options.environment; // 'production' | 'sandbox'
 * JSON.stringify(options); // secrets appear as "[redacted]"
 * ```
 */
export interface ResolvedRelayOptions {
  readonly environment: RelayEnvironment;
  /** Same fact as `environment`, kept for callers that want a flag. */
  readonly sandbox: boolean;
  readonly apiKey?: string;
  readonly apiUrl: string;
  readonly claimType: string;
  /** Deduplicated, always contains `claimType`. */
  readonly allowedClaimTypes: readonly string[];
  /**
   * Storage keys by id as canonical base64 of 32 bytes; `storageKey` alone appears here as `k1` (or under
   * `storageKeyId`). Present together with `storageKeyId`.
   */
  readonly storageKeys?: Readonly<Record<string, string>>;
  /** The key that encrypts new data; always a key of `storageKeys`. */
  readonly storageKeyId?: string;
  readonly encryption: EncryptionMode;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`), converted from PKCS#1 when needed; only with `static`. */
  readonly staticPublicKeyPem?: string;
  /** As given; only with `static`. */
  readonly staticPrivateKeyPem?: string;
  readonly perRelayKeyBits: PerRelayKeyBits;
  readonly blindRsaEngine: BlindRsaEngineName;
  readonly issuance: IssuanceMode;
  readonly poolSize: number;
  readonly challengeSource: ChallengeSource;
  readonly cookieSecret?: string;
  readonly databaseUrl?: string;
  readonly dataDir: string;
  readonly requestTimeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly rateLimitMaxWaitMs: number;
  readonly forbiddenRetryBudgetMs: number;
  readonly tokenExpiryMarginMs: number;
  readonly replayWindowMs: number;
  readonly redemptionLeaseMs: number;
  readonly redemptionWaitMs: number;
  readonly sessionsPerSubjectPerHour: number;
  readonly sessionsPerHour: number;
  readonly anonymousUserAgent: string;
  readonly personaVersion?: string;
  readonly issuanceJitterMs: number;
  readonly poolRefillIntervalMs: number;
  readonly poolIssueSpreadMs: number;
  readonly maintenanceIntervalMs: number;
}
