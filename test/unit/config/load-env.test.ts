import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENV_PARSE_PROBLEMS, loadOptionsFromEnv, RELAY_ENV_VARIABLES } from '../../../src/core/config/index.js';

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
    expect(loadOptionsFromEnv()).toMatchObject({ claimType: 'age_over21_verified', pool: { size: 7 } });
  });

  it('maps every variable of the table, grouped options nested', () => {
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
      RELAY_KEY_BITS: '4096',
      RELAY_KEY_RESERVE: '20',
      RELAY_KEY_WAIT_MS: '500',
      RELAY_BLIND_RSA_ENGINE: 'node-crypto',
      RELAY_ISSUANCE: 'pool',
      RELAY_CHALLENGE_SOURCE: 'endpoint',
      RELAY_COOKIE_SECRET: 'cookie-secret',
      RELAY_TRUST_PROXY: 'loopback, 10.0.0.0/8',
      DATABASE_URL: 'postgres://u:p@db/relay',
      RELAY_DATA_DIR: 'memory://',
      RELAY_TOKEN_EXPIRY_MARGIN_MS: '50',
      RELAY_ANONYMOUS_USER_AGENT: 'agent',
      PERSONA_VERSION: '2025-12-08',
      RELAY_ISSUANCE_JITTER_MS: '100',
      RELAY_MAINTENANCE_INTERVAL_MS: '4000',
      RELAY_REQUEST_TIMEOUT_MS: '1000',
      RELAY_MAX_RETRIES: '0',
      RELAY_RETRY_BASE_DELAY_MS: '10',
      RELAY_RETRY_MAX_DELAY_MS: '20',
      RELAY_RATE_LIMIT_MAX_WAIT_MS: '30',
      RELAY_FORBIDDEN_RETRY_BUDGET_MS: '40',
      RELAY_POOL_SIZE: '25',
      RELAY_POOL_REFILL_INTERVAL_MS: '2000',
      RELAY_POOL_ISSUE_SPREAD_MS: '300',
      RELAY_POOL_WHEN_DRY: 'issue',
      RELAY_REDEMPTION_LEASE_MS: '70',
      RELAY_REDEMPTION_WAIT_MS: '75',
      RELAY_REPLAY_WINDOW_MS: '60',
      RELAY_SESSIONS_PER_SUBJECT_PER_HOUR: '80',
      RELAY_SESSIONS_PER_CLIENT_PER_HOUR: '85',
      RELAY_SESSIONS_PER_HOUR: '90',
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
      keyBits: 4096,
      keyReserve: 20,
      keyWaitMs: 500,
      blindRsaEngine: 'node-crypto',
      issuance: 'pool',
      challengeSource: 'endpoint',
      cookieSecret: 'cookie-secret',
      trustProxy: ['loopback', '10.0.0.0/8'],
      databaseUrl: 'postgres://u:p@db/relay',
      dataDir: 'memory://',
      tokenExpiryMarginMs: 50,
      anonymousUserAgent: 'agent',
      personaVersion: '2025-12-08',
      issuanceJitterMs: 100,
      maintenanceIntervalMs: 4000,
      retry: { requestTimeoutMs: 1000, maxRetries: 0, baseDelayMs: 10, maxDelayMs: 20, rateLimitMaxWaitMs: 30, forbiddenRetryBudgetMs: 40 },
      pool: { size: 25, refillIntervalMs: 2000, issueSpreadMs: 300, whenDry: 'issue' },
      redemption: { leaseMs: 70, waitMs: 75, replayWindowMs: 60 },
      limits: { sessionsPerSubjectPerHour: 80, sessionsPerClientPerHour: 85, sessionsPerHour: 90 },
    });
  });

  it('records unparsable values by option name, never their text', () => {
    const options = loadOptionsFromEnv({
      RELAY_SANDBOX: 'maybe',
      RELAY_POOL_SIZE: 'ten',
      RELAY_MAX_RETRIES: 'SECRETLY-MANY',
      RELAY_STORAGE_KEYS: 'k1:SECRETA,SECRETB',
      RELAY_KEY_BITS: 'big',
    });
    expect(Object.keys(options)).toEqual([]);
    expect(options[ENV_PARSE_PROBLEMS]).toEqual({
      sandbox: 'must be true, false, 1 or 0',
      storageKeys: 'must be a comma-separated list of id:base64 entries',
      keyBits: 'must be an integer',
      'retry.maxRetries': 'must be an integer',
      'pool.size': 'must be an integer',
    });
    expect(JSON.stringify(options[ENV_PARSE_PROBLEMS])).not.toMatch(/SECRET/);
  });

  it('leaves unset and blank variables out', () => {
    expect(loadOptionsFromEnv({ PERSONA_API_KEY: '', RELAY_POOL_SIZE: '   ', RELAY_SANDBOX: undefined })).toEqual({});
  });

  it('trims values', () => {
    expect(loadOptionsFromEnv({ PERSONA_API_KEY: '  persona_sandbox_x\n', RELAY_SANDBOX: ' true ' })).toEqual({
      apiKey: 'persona_sandbox_x',
      sandbox: true,
    });
  });

  it('ignores unrelated variables', () => {
    expect(loadOptionsFromEnv({ PATH: '/bin', PORT: '3000', RELAY_UNKNOWN: 'x' })).toEqual({});
  });

  it('keeps the problems on object spread, and never as an enumerable string key', () => {
    const options = loadOptionsFromEnv({ RELAY_POOL_SIZE: 'x', RELAY_CLAIM_TYPE: 'a' });
    expect(Object.keys(options)).toEqual(['claimType']);
    expect({ ...options }[ENV_PARSE_PROBLEMS]).toEqual({ 'pool.size': 'must be an integer' });
  });

  it('throws TypeError when the environment is not an object', () => {
    expect(() => loadOptionsFromEnv(null as unknown as Record<string, string>)).toThrow(TypeError);
  });
});
