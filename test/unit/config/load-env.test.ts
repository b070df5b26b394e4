import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadOptionsFromEnv, RELAY_ENV_VARIABLES } from '../../../src/core/config/load-env.js';
import { ENV_PARSE_PROBLEMS } from '../../../src/core/config/relay-options.js';

describe('loadOptionsFromEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('returns an empty object for an empty environment', () => {
    expect(loadOptionsFromEnv({})).toEqual({});
    expect(Object.getOwnPropertySymbols(loadOptionsFromEnv({}))).toEqual([]);
  });

  it('reads process.env by default', () => {
    vi.stubEnv('RELAY_CLAIM_TYPE', 'age_over21_verified');
    vi.stubEnv('RELAY_POOL_SIZE', '7');
    const options = loadOptionsFromEnv();
    expect(options.claimType).toBe('age_over21_verified');
    expect(options.poolSize).toBe(7);
  });

  it('maps every documented variable', () => {
    const env = {
      PERSONA_API_KEY: 'persona_sandbox_abc',
      PERSONA_API_URL: 'http://127.0.0.1:8787',
      RELAY_CLAIM_TYPE: 'age_over18_germany',
      RELAY_ALLOWED_CLAIM_TYPES: 'age_over18_germany, live_human_presence',
      RELAY_SANDBOX: 'true',
      RELAY_STORAGE_KEY: 'a2V5',
      RELAY_STORAGE_KEYS: 'k1:a2V5,k2:b3Rozg==',
      RELAY_STORAGE_KEY_ID: 'k2',
      RELAY_ENCRYPTION: 'static',
      RELAY_STATIC_PUBLIC_KEY: 'pub',
      RELAY_STATIC_PRIVATE_KEY: 'priv',
      RELAY_PER_RELAY_KEY_BITS: '4096',
      RELAY_BLIND_RSA_ENGINE: 'node-crypto',
      RELAY_ISSUANCE: 'pool',
      RELAY_POOL_SIZE: '25',
      RELAY_CHALLENGE_SOURCE: 'endpoint',
      RELAY_COOKIE_SECRET: 'cookie-secret',
      DATABASE_URL: 'postgres://u:p@db/relay',
      RELAY_DATA_DIR: 'memory://',
      RELAY_REQUEST_TIMEOUT_MS: '1000',
      RELAY_MAX_RETRIES: '0',
      RELAY_RETRY_BASE_DELAY_MS: '10',
      RELAY_RETRY_MAX_DELAY_MS: '20',
      RELAY_RATE_LIMIT_MAX_WAIT_MS: '30',
      RELAY_FORBIDDEN_RETRY_BUDGET_MS: '40',
      RELAY_TOKEN_EXPIRY_MARGIN_MS: '50',
      RELAY_REPLAY_WINDOW_MS: '60',
      RELAY_REDEMPTION_LEASE_MS: '70',
      RELAY_REDEMPTION_WAIT_MS: '75',
      RELAY_SESSIONS_PER_SUBJECT_PER_HOUR: '80',
      RELAY_SESSIONS_PER_HOUR: '90',
      RELAY_ANONYMOUS_USER_AGENT: 'agent',
      PERSONA_VERSION: '2025-12-08',
      RELAY_ISSUANCE_JITTER_MS: '100',
      RELAY_POOL_REFILL_INTERVAL_MS: '2000',
      RELAY_POOL_ISSUE_SPREAD_MS: '300',
      RELAY_MAINTENANCE_INTERVAL_MS: '4000',
    };
    expect(Object.keys(env).sort()).toEqual(Object.values(RELAY_ENV_VARIABLES).sort());
    expect(loadOptionsFromEnv(env)).toEqual({
      apiKey: 'persona_sandbox_abc',
      apiUrl: 'http://127.0.0.1:8787',
      claimType: 'age_over18_germany',
      allowedClaimTypes: ['age_over18_germany', 'live_human_presence'],
      sandbox: true,
      storageKey: 'a2V5',
      storageKeys: { k1: 'a2V5', k2: 'b3Rozg==' },
      storageKeyId: 'k2',
      encryption: 'static',
      staticPublicKeyPem: 'pub',
      staticPrivateKeyPem: 'priv',
      perRelayKeyBits: 4096,
      blindRsaEngine: 'node-crypto',
      issuance: 'pool',
      poolSize: 25,
      challengeSource: 'endpoint',
      cookieSecret: 'cookie-secret',
      databaseUrl: 'postgres://u:p@db/relay',
      dataDir: 'memory://',
      requestTimeoutMs: 1000,
      maxRetries: 0,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 20,
      rateLimitMaxWaitMs: 30,
      forbiddenRetryBudgetMs: 40,
      tokenExpiryMarginMs: 50,
      replayWindowMs: 60,
      redemptionLeaseMs: 70,
      redemptionWaitMs: 75,
      sessionsPerSubjectPerHour: 80,
      sessionsPerHour: 90,
      anonymousUserAgent: 'agent',
      personaVersion: '2025-12-08',
      issuanceJitterMs: 100,
      poolRefillIntervalMs: 2000,
      poolIssueSpreadMs: 300,
      maintenanceIntervalMs: 4000,
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', true],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    [' true ', true],
  ])('parses the boolean %j', (text, expected) => {
    expect(loadOptionsFromEnv({ RELAY_SANDBOX: text }).sandbox).toBe(expected);
  });

  it.each(['yes', 'no', 'on', '2', 't', 'truee'])('records the unparsable boolean %j as a problem', (text) => {
    const options = loadOptionsFromEnv({ RELAY_SANDBOX: text });
    expect(options.sandbox).toBeUndefined();
    expect(options[ENV_PARSE_PROBLEMS]).toEqual({ sandbox: 'RELAY_SANDBOX must be true, false, 1 or 0' });
  });

  it.each([
    ['42', 42],
    ['+42', 42],
    ['-1', -1],
    ['0', 0],
    ['007', 7],
    [' 12 ', 12],
  ])('parses the integer %j', (text, expected) => {
    expect(loadOptionsFromEnv({ RELAY_POOL_SIZE: text }).poolSize).toBe(expected);
  });

  it.each(['ten', '1.5', '1e3', '0x10', '10ms', '1_000', '99999999999999999999', '-', 'Infinity', 'NaN'])(
    'records the unparsable integer %j as a problem, without its value',
    (text) => {
      const options = loadOptionsFromEnv({ RELAY_POOL_SIZE: text, RELAY_MAX_RETRIES: text });
      expect(options.poolSize).toBeUndefined();
      expect(options[ENV_PARSE_PROBLEMS]).toEqual({
        poolSize: 'RELAY_POOL_SIZE must be an integer',
        maxRetries: 'RELAY_MAX_RETRIES must be an integer',
      });
    },
  );

  it('leaves unset and blank variables out', () => {
    expect(loadOptionsFromEnv({ PERSONA_API_KEY: '', RELAY_POOL_SIZE: '   ', RELAY_SANDBOX: undefined })).toEqual({});
  });

  it('trims values', () => {
    expect(loadOptionsFromEnv({ PERSONA_API_KEY: '  persona_sandbox_x\n' }).apiKey).toBe('persona_sandbox_x');
  });

  it('ignores unrelated variables', () => {
    expect(loadOptionsFromEnv({ PATH: '/bin', PORT: '3000', RELAY_UNKNOWN: 'x' })).toEqual({});
  });

  it('passes enumerations through as text (validated later)', () => {
    expect(loadOptionsFromEnv({ RELAY_ENCRYPTION: 'PER-RELAY' }).encryption).toBe('PER-RELAY');
  });

  it('splits the allowed claim types list, dropping empty items', () => {
    expect(loadOptionsFromEnv({ RELAY_ALLOWED_CLAIM_TYPES: ' a , b,,c, ' }).allowedClaimTypes).toEqual(['a', 'b', 'c']);
  });

  it('parses RELAY_STORAGE_KEYS as id:base64 pairs', () => {
    expect(loadOptionsFromEnv({ RELAY_STORAGE_KEYS: 'old : AAAA== , new:BBBB' }).storageKeys).toEqual({ old: 'AAAA==', new: 'BBBB' });
  });

  it('keeps a __proto__ key id as data', () => {
    const keys = loadOptionsFromEnv({ RELAY_STORAGE_KEYS: '__proto__:AAAA' }).storageKeys!;
    expect(Object.hasOwn(keys, '__proto__')).toBe(true);
  });

  it.each([
    ['an entry without a colon', 'k1:AAAA,BBBB', 'RELAY_STORAGE_KEYS must be a comma-separated list of id:base64 entries'],
    ['an empty id', ':AAAA', 'RELAY_STORAGE_KEYS must be a comma-separated list of id:base64 entries'],
    ['an empty key', 'k1:', 'RELAY_STORAGE_KEYS must be a comma-separated list of id:base64 entries'],
    ['a repeated id', 'k1:AAAA,k1:BBBB', 'RELAY_STORAGE_KEYS names a key id more than once'],
  ])('records RELAY_STORAGE_KEYS with %s as a problem, never echoing keys', (_label, text, problem) => {
    const options = loadOptionsFromEnv({ RELAY_STORAGE_KEYS: text });
    expect(options.storageKeys).toBeUndefined();
    expect(options[ENV_PARSE_PROBLEMS]).toEqual({ storageKeys: problem });
    expect(JSON.stringify(options[ENV_PARSE_PROBLEMS])).not.toContain('AAAA');
  });

  it('turns literal \\n in PEM variables into line breaks, but leaves real line breaks alone', () => {
    const single = '-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----';
    expect(loadOptionsFromEnv({ RELAY_STATIC_PUBLIC_KEY: single }).staticPublicKeyPem).toBe(
      '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----',
    );
    const multi = '-----BEGIN PRIVATE KEY-----\nMII\\nB\n-----END PRIVATE KEY-----';
    expect(loadOptionsFromEnv({ RELAY_STATIC_PRIVATE_KEY: multi }).staticPrivateKeyPem).toBe(multi);
  });

  it('keeps the problems on object spread, and never as an enumerable string key', () => {
    const options = loadOptionsFromEnv({ RELAY_POOL_SIZE: 'x', RELAY_CLAIM_TYPE: 'a' });
    expect(Object.keys(options)).toEqual(['claimType']);
    expect({ ...options }[ENV_PARSE_PROBLEMS]).toEqual({ poolSize: 'RELAY_POOL_SIZE must be an integer' });
  });

  it('throws TypeError when the environment is not an object', () => {
    expect(() => loadOptionsFromEnv(null as unknown as Record<string, string>)).toThrow(TypeError);
  });
});
