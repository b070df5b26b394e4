import { describe, expect, it } from 'vitest';
import * as config from '../../../src/core/config/index.js';
import { OPTION_ENTRIES } from '../../../src/core/config/relay-options.js';

describe('config index', () => {
  it('exports every public function and constant by name', () => {
    expect(Object.keys(config).sort()).toEqual(
      [
        'CLAIM_TYPE_PATTERN',
        'DEFAULT_RELAY_OPTIONS',
        'ENV_PARSE_PROBLEMS',
        'RELAY_ENV_VARIABLES',
        'STORAGE_KEY_ID_PATTERN',
        'checkRsaPrivateKeyPem',
        'checkRsaPublicKeyPem',
        'checkStorageKey',
        'invalidConfigError',
        'isMatchingKeyPair',
        'loadOptionsFromEnv',
        'resolveRelayOptions',
      ].sort(),
    );
  });
});

describe('the option table', () => {
  it('gives every option its own environment variable', () => {
    const variables = Object.values(config.RELAY_ENV_VARIABLES);
    expect(new Set(variables).size).toBe(variables.length);
    expect(config.RELAY_ENV_VARIABLES).toMatchObject({ apiKey: 'PERSONA_API_KEY', 'retry.maxRetries': 'RELAY_MAX_RETRIES', 'pool.size': 'RELAY_POOL_SIZE' });
  });

  it('has defaults that follow their own rules', () => {
    for (const { name, descriptor } of OPTION_ENTRIES) {
      if ('default' in descriptor) expect(descriptor.kind.check(descriptor.default), name).toBeUndefined();
    }
  });

  it('documents the defaults, nested like the options and frozen', () => {
    expect(config.DEFAULT_RELAY_OPTIONS).toEqual({
      apiUrl: 'https://api.withpersona.com',
      claimType: 'age_over18_verified',
      encryption: 'per-relay',
      keyBits: 3072,
      keyReserve: 100,
      keyWaitMs: 2_000,
      blindRsaEngine: 'node-crypto',
      issuance: 'at-creation',
      challengeSource: 'auto',
      trustProxy: 0,
      dataDir: '.relay-data',
      tokenExpiryMarginMs: 300_000,
      anonymousUserAgent: 'node',
      issuanceJitterMs: 5_000,
      maintenanceIntervalMs: 60_000,
      retry: { requestTimeoutMs: 10_000, maxRetries: 3, baseDelayMs: 200, maxDelayMs: 5_000, rateLimitMaxWaitMs: 60_000, forbiddenRetryBudgetMs: 10_000 },
      pool: { size: 10, refillIntervalMs: 300_000, issueSpreadMs: 30_000, whenDry: 'refuse' },
      redemption: { leaseMs: 30_000, waitMs: 30_000, replayWindowMs: 3_600_000 },
      limits: { sessionsPerSubjectPerHour: 10, sessionsPerClientPerHour: 30, sessionsPerHour: 1_000 },
    });
    expect(Object.isFrozen(config.DEFAULT_RELAY_OPTIONS)).toBe(true);
    expect(Object.isFrozen(config.DEFAULT_RELAY_OPTIONS.retry)).toBe(true);
    expect(Object.isFrozen(config.RELAY_ENV_VARIABLES)).toBe(true);
  });
});
