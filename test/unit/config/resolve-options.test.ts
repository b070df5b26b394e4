import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RelayOptionName, RelayOptions, ResolvedRelayOptions } from '../../../src/core/config/index.js';
import { DEFAULT_RELAY_OPTIONS, ENV_PARSE_PROBLEMS, loadOptionsFromEnv, resolveRelayOptions } from '../../../src/core/config/index.js';
import { nestOptions } from '../../../src/core/config/relay-options.js';
import { RelayErrorCode } from '../../../src/core/errors.js';
import { expectNoSecretIn, expectRelayError } from '../protocol/relay-error-assertions.js';
import { configError, problemsOf, resolveWithKeys, TEST_API_KEY, TEST_STORAGE_KEY } from './support.js';

const STORAGE_KEY = randomBytes(32).toString('base64');
const OTHER_STORAGE_KEY = randomBytes(32).toString('base64');

/** `{ retry: { maxRetries: value } }` for `'retry.maxRetries'`. */
function option(name: RelayOptionName, value: unknown): RelayOptions {
  return nestOptions([[name, value]]) as RelayOptions;
}

/** The resolved value of a dotted option name. */
function valueAt(resolved: ResolvedRelayOptions, name: RelayOptionName): unknown {
  return name.split('.').reduce<unknown>((values, key) => (values as Record<string, unknown>)[key], resolved);
}

interface PemPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

function rsaPair(bits: number): PemPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

describe('resolveRelayOptions: defaults and layers', () => {
  it('resolves the required options alone to the documented defaults', () => {
    const resolved = resolveWithKeys();
    expect(JSON.parse(JSON.stringify({ ...resolved }))).toEqual({
      ...DEFAULT_RELAY_OPTIONS,
      apiKey: TEST_API_KEY,
      environment: 'production',
      sandbox: false,
      allowedClaimTypes: ['age_over18_verified'],
      storageKeys: { k1: TEST_STORAGE_KEY },
      storageKeyId: 'k1',
    });
  });

  it('leaves out what has no default and generates no secret', () => {
    const resolved = resolveWithKeys();
    for (const absent of ['cookieSecret', 'databaseUrl', 'staticPublicKeyPem', 'staticPrivateKeyPem', 'personaVersion', 'storageKey']) {
      expect(Object.hasOwn(resolved, absent), absent).toBe(false);
    }
  });

  it('merges a partial group with the group’s defaults', () => {
    const resolved = resolveWithKeys({ retry: { maxRetries: 5 }, pool: {} });
    expect(resolved.retry).toEqual({ ...DEFAULT_RELAY_OPTIONS.retry, maxRetries: 5 });
    expect(resolved.pool).toEqual(DEFAULT_RELAY_OPTIONS.pool);
  });

  it('merges layers option by option, later layers winning, undefined never overriding', () => {
    const resolved = resolveWithKeys(
      { claimType: 'age_over21_verified', retry: { maxRetries: 1, baseDelayMs: 10 } },
      { retry: { maxRetries: 2, maxDelayMs: undefined }, claimType: undefined, pool: undefined },
    );
    expect(resolved.claimType).toBe('age_over21_verified');
    expect(resolved.retry).toMatchObject({ maxRetries: 2, baseDelayMs: 10, maxDelayMs: 5_000 });
  });

  it('takes the environment as a layer under the options given in code', () => {
    const env = loadOptionsFromEnv({ RELAY_MAX_RETRIES: '1', RELAY_RETRY_BASE_DELAY_MS: '20', RELAY_CLAIM_TYPE: 'live_human_presence' });
    const resolved = resolveWithKeys(env, { retry: { maxRetries: 4 } });
    expect(resolved.retry).toMatchObject({ maxRetries: 4, baseDelayMs: 20 });
    expect(resolved.claimType).toBe('live_human_presence');
  });

  it('keeps given values', () => {
    const resolved = resolveWithKeys({
      apiKey: 'persona_production_abc',
      claimType: 'age_over21_verified',
      issuance: 'pool',
      challengeSource: 'endpoint',
      cookieSecret: 'x'.repeat(32),
      databaseUrl: 'postgresql://relay:pw@db:5432/relay',
      dataDir: 'memory://',
      personaVersion: '2025-12-08',
      anonymousUserAgent: 'Mozilla/5.0 (compatible)',
      pool: { size: 50 },
      retry: { maxRetries: 0 },
      limits: { sessionsPerHour: 7 },
      redemption: { waitMs: 0 },
    });
    expect(resolved).toMatchObject({
      apiKey: 'persona_production_abc',
      claimType: 'age_over21_verified',
      allowedClaimTypes: ['age_over21_verified'],
      issuance: 'pool',
      challengeSource: 'endpoint',
      databaseUrl: 'postgresql://relay:pw@db:5432/relay',
      dataDir: 'memory://',
      personaVersion: '2025-12-08',
      anonymousUserAgent: 'Mozilla/5.0 (compatible)',
      pool: { size: 50 },
      retry: { maxRetries: 0 },
      limits: { sessionsPerHour: 7 },
      redemption: { waitMs: 0 },
    });
  });

  it('returns a frozen object, groups included', () => {
    const resolved = resolveWithKeys({ allowedClaimTypes: ['age_over18_verified'] });
    for (const part of [resolved, resolved.allowedClaimTypes, resolved.retry, resolved.pool, resolved.redemption, resolved.limits, resolved.storageKeys]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });

  it('throws TypeError when a layer is not an object', () => {
    for (const layer of [null, [], 'x', undefined]) {
      expect(() => resolveRelayOptions({}, layer as unknown as RelayOptions)).toThrow(TypeError);
    }
  });
});

describe('resolveRelayOptions: required options', () => {
  it('reports every missing required option with its variable, in the same error as the other problems', () => {
    const error = expectRelayError(() => resolveRelayOptions({ pool: { size: 0 } }), RelayErrorCode.INVALID_CONFIG);
    expect(error.context['problems']).toEqual([
      'apiKey: is required (set PERSONA_API_KEY)',
      'storageKey: is required (set RELAY_STORAGE_KEY)',
      'pool.size: must be an integer from 1 to 1000',
    ]);
  });

  it('takes them from any layer', () => {
    const env = loadOptionsFromEnv({ PERSONA_API_KEY: 'persona_sandbox_x' });
    expect(resolveRelayOptions(env, { storageKeys: { only: STORAGE_KEY } }).storageKeyId).toBe('only');
  });

  it('counts an invalid value as given, not as missing', () => {
    expect(problemsOf({ apiKey: '' })).toEqual(['apiKey: must be a non-empty string of visible ASCII characters without spaces']);
  });
});

describe('resolveRelayOptions: environment', () => {
  it.each([
    [{ apiKey: 'persona_sandbox_abc' }, 'sandbox'],
    [{ apiKey: 'persona_production_abc' }, 'production'],
    [{ apiKey: 'other_key_format' }, 'production'],
    [{ sandbox: true }, 'sandbox'],
    [{ sandbox: false }, 'production'],
    [{ apiKey: 'other_key_format', sandbox: true }, 'sandbox'],
    [{ apiKey: 'persona_sandbox_abc', sandbox: true }, 'sandbox'],
    [{ apiKey: 'persona_production_abc', sandbox: false }, 'production'],
  ] as [RelayOptions, string][])('resolves %j to %s', (input, environment) => {
    const resolved = resolveWithKeys(input);
    expect(resolved.environment).toBe(environment);
    expect(resolved.sandbox).toBe(environment === 'sandbox');
  });

  it('rejects a sandbox flag that contradicts the key prefix, without printing the key', () => {
    const sandboxKey = 'persona_sandbox_SECRET123';
    const error = configError({ apiKey: sandboxKey, sandbox: false });
    expect(error.context['problems']).toEqual(['sandbox: is false but apiKey is a sandbox key (prefix persona_sandbox_)']);
    expectNoSecretIn(error, sandboxKey);
    expect(problemsOf({ apiKey: 'persona_production_SECRET', sandbox: true })).toEqual([
      'sandbox: is true but apiKey is a production key (prefix persona_production_)',
    ]);
  });

  it('infers from RELAY_SANDBOX and PERSONA_API_KEY loaded from the environment', () => {
    expect(resolveWithKeys(loadOptionsFromEnv({ PERSONA_API_KEY: 'persona_sandbox_x' })).environment).toBe('sandbox');
    expect(resolveWithKeys(loadOptionsFromEnv({ RELAY_SANDBOX: '1' })).environment).toBe('sandbox');
  });
});

describe('resolveRelayOptions: single options', () => {
  it.each([
    ['https://api.withpersona.com/', 'https://api.withpersona.com'],
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787'],
    ['http://127.0.0.1:8787///', 'http://127.0.0.1:8787'],
    ['https://proxy.example/persona/', 'https://proxy.example/persona'],
    ['HTTPS://API.EXAMPLE.COM', 'https://api.example.com'],
  ])('normalises apiUrl %s', (apiUrl, expected) => {
    expect(resolveWithKeys({ apiUrl }).apiUrl).toBe(expected);
  });

  it.each([
    ['not a URL', 'api.withpersona.com', 'apiUrl: must be an absolute http(s) URL'],
    ['ftp', 'ftp://api.withpersona.com', 'apiUrl: must use http or https'],
    ['credentials', 'https://user:pw@api.withpersona.com', 'apiUrl: must not contain credentials'],
    ['a query', 'https://api.withpersona.com/?x=1', 'apiUrl: must not have a query or fragment'],
    ['a fragment', 'https://api.withpersona.com/#x', 'apiUrl: must not have a query or fragment'],
    ['a number', 42, 'apiUrl: must be a string'],
  ])('rejects apiUrl with %s', (_label, apiUrl, problem) => {
    expect(problemsOf({ apiUrl: apiUrl as string })).toEqual([problem]);
  });

  it('does not print the credentials of a bad apiUrl', () => {
    expectNoSecretIn(configError({ apiUrl: 'https://user:hunter2@x.example' }), 'hunter2');
  });

  it.each(['', 'has space', 'tab\tinside', 'new\nline', 'ключ', 42, true])('rejects apiKey %j', (apiKey) => {
    expect(problemsOf({ apiKey: apiKey as string })).toEqual(['apiKey: must be a non-empty string of visible ASCII characters without spaces']);
  });

  it.each(['age_over18_germany', 'live_human_presence', 'a', 'x'.repeat(100), 'age_18_plus_verified'])('accepts claimType %s', (claimType) => {
    expect(resolveWithKeys({ claimType }).claimType).toBe(claimType);
  });

  it.each(['', 'Age_over18', 'age-over-18', 'x'.repeat(101), 'a b', 7])('rejects claimType %j', (claimType) => {
    expect(problemsOf({ claimType: claimType as string })).toEqual(['claimType: must match ^[a-z0-9_]{1,100}$']);
  });

  it('deduplicates allowedClaimTypes', () => {
    expect(resolveWithKeys({ claimType: 'b', allowedClaimTypes: ['a', 'b', 'a'] }).allowedClaimTypes).toEqual(['a', 'b']);
  });

  it('rejects allowedClaimTypes that are no list of claim types', () => {
    expect(problemsOf({ allowedClaimTypes: ['a', 'B'] })).toEqual(['allowedClaimTypes: must be an array of claim types matching ^[a-z0-9_]{1,100}$']);
  });

  it('requires allowedClaimTypes to include claimType', () => {
    expect(problemsOf({ allowedClaimTypes: ['live_human_presence'] })).toEqual([
      'allowedClaimTypes: must include claimType (the claim type of sessions that name none)',
    ]);
    expect(problemsOf({ allowedClaimTypes: [] })).toHaveLength(1);
  });

  it.each(['true', 1, 'yes', null])('rejects sandbox %j', (sandbox) => {
    expect(problemsOf({ sandbox: sandbox as unknown as boolean })).toEqual(['sandbox: must be true or false']);
  });

  it.each([
    ['encryption', 'PER-RELAY', 'encryption: must be one of "per-relay", "static", "none"'],
    ['issuance', 'eager', 'issuance: must be one of "at-creation", "pool"'],
    ['challengeSource', 'header', 'challengeSource: must be one of "auto", "relay", "endpoint"'],
    ['blindRsaEngine', 'wasm', 'blindRsaEngine: must be one of "blindrsa-ts", "node-crypto"'],
    ['keyBits', 1024, 'keyBits: must be one of 3072, 4096'],
    ['keyBits', '3072', 'keyBits: must be one of 3072, 4096'],
  ])('rejects %s %j', (name, value, problem) => {
    expect(problemsOf({ [name]: value } as RelayOptions)).toEqual([problem]);
  });

  it('rejects pool.whenDry other than refuse or issue', () => {
    expect(problemsOf({ pool: { whenDry: 'wait' as never } })).toEqual(['pool.whenDry: must be one of "refuse", "issue"']);
  });

  it.each([['none'], ['per-relay']] as const)('accepts encryption %s', (encryption) => {
    expect(resolveWithKeys({ encryption }).encryption).toBe(encryption);
  });

  it.each([3072, 4096] as const)('accepts keyBits %d', (keyBits) => {
    expect(resolveWithKeys({ keyBits }).keyBits).toBe(keyBits);
  });

  it('refuses 2048-bit per-relay keys, saying why, from code and from RELAY_KEY_BITS', () => {
    const why =
      'keyBits: must be 3072 or 4096: RSA-OAEP-SHA-256 with a 2048-bit key holds at most 190 bytes, too few for a claim payload with three methodology entries (about 225 bytes)';
    expect(problemsOf({ keyBits: 2048 } as unknown as RelayOptions)).toEqual([why]);
    expect(problemsOf(loadOptionsFromEnv({ RELAY_KEY_BITS: '2048' }))).toEqual([`${why} (from RELAY_KEY_BITS)`]);
  });

  const integerRanges: [RelayOptionName, number, number][] = [
    ['tokenExpiryMarginMs', 0, 86_399_999],
    ['issuanceJitterMs', 0, 600_000],
    ['maintenanceIntervalMs', 1_000, 86_400_000],
    ['retry.requestTimeoutMs', 1, 600_000],
    ['retry.maxRetries', 0, 10],
    ['retry.rateLimitMaxWaitMs', 0, 3_600_000],
    ['retry.forbiddenRetryBudgetMs', 0, 600_000],
    ['pool.size', 1, 1000],
    ['keyReserve', 0, 100_000],
    ['keyWaitMs', 0, 600_000],
    ['pool.refillIntervalMs', 1_000, 86_400_000],
    ['pool.issueSpreadMs', 0, 3_600_000],
    ['redemption.waitMs', 0, 600_000],
    ['limits.sessionsPerSubjectPerHour', 1, 1_000_000],
    ['limits.sessionsPerHour', 1, 1_000_000],
  ];

  it.each(integerRanges)('accepts %s at both ends of %d–%d', (name, min, max) => {
    expect(valueAt(resolveWithKeys(option(name, min)), name)).toBe(min);
    expect(valueAt(resolveWithKeys(option(name, max)), name)).toBe(max);
  });

  it.each(integerRanges)('rejects %s outside %d–%d, fractions and non-numbers', (name, min, max) => {
    const problem = `${name}: must be an integer from ${min} to ${max}`;
    for (const value of [min - 1, max + 1, min + 0.5, Number.NaN, Infinity, String(min), null]) {
      expect(problemsOf(option(name, value)), `${name} = ${String(value)}`).toEqual([problem]);
    }
  });

  it('bounds the replay window below Persona’s 24 h retention and the lease below the window', () => {
    expect(resolveWithKeys({ redemption: { replayWindowMs: 86_399_999 } }).redemption.replayWindowMs).toBe(86_399_999);
    expect(problemsOf({ redemption: { replayWindowMs: 86_400_000 } })).toEqual(['redemption.replayWindowMs: must be an integer from 1 to 86399999']);
    expect(problemsOf({ redemption: { replayWindowMs: 60_000, leaseMs: 60_000 } })).toEqual([
      'redemption.leaseMs: must be shorter than redemption.replayWindowMs',
    ]);
    expect(problemsOf({ redemption: { leaseMs: 3_600_001 } })).toEqual(['redemption.leaseMs: must be an integer from 1 to 3600000']);
  });

  it('accepts retry.baseDelayMs from 0 to 60000 and rejects the rest', () => {
    expect(resolveWithKeys({ retry: { baseDelayMs: 0 } }).retry.baseDelayMs).toBe(0);
    expect(resolveWithKeys({ retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 } }).retry.baseDelayMs).toBe(60_000);
    for (const value of [-1, 60_001, 0.5, '200']) {
      expect(problemsOf({ retry: { baseDelayMs: value as number } })).toEqual(['retry.baseDelayMs: must be an integer from 0 to 60000']);
    }
  });

  it('requires retry.maxDelayMs ≥ retry.baseDelayMs', () => {
    expect(resolveWithKeys({ retry: { baseDelayMs: 500, maxDelayMs: 500 } }).retry.maxDelayMs).toBe(500);
    expect(problemsOf({ retry: { baseDelayMs: 500, maxDelayMs: 499 } })).toEqual(['retry.maxDelayMs: must be at least retry.baseDelayMs']);
    expect(problemsOf({ retry: { maxDelayMs: 600_001 } })).toEqual(['retry.maxDelayMs: must be an integer from 0 to 600000']);
  });

  it('rejects challengeSource "relay" with issuance "pool", and allows the other combinations', () => {
    expect(problemsOf({ challengeSource: 'relay', issuance: 'pool' })).toEqual([
      'challengeSource: "relay" cannot be combined with issuance "pool": a pool has no relay to ask',
    ]);
    expect(resolveWithKeys({ challengeSource: 'relay' }).challengeSource).toBe('relay');
    expect(resolveWithKeys({ challengeSource: 'auto', issuance: 'pool' }).issuance).toBe('pool');
    expect(resolveWithKeys({ challengeSource: 'endpoint', issuance: 'pool' }).issuance).toBe('pool');
  });

  it('requires cookieSecret to have at least 32 characters', () => {
    expect(resolveWithKeys({ cookieSecret: 'c'.repeat(32) }).cookieSecret).toBe('c'.repeat(32));
    expect(problemsOf({ cookieSecret: 'c'.repeat(31) })).toEqual(['cookieSecret: must be a string of at least 32 characters']);
    expect(problemsOf({ cookieSecret: 12345 as unknown as string })).toEqual(['cookieSecret: must be a string of at least 32 characters']);
  });

  it.each(['postgres://localhost/relay', 'postgresql://u:p@db:5432/relay?sslmode=require', 'POSTGRES://h/db', 'postgres:///relay?host=/var/run/postgresql'])('accepts databaseUrl %s', (databaseUrl) => {
    expect(resolveWithKeys({ databaseUrl }).databaseUrl).toBe(databaseUrl);
  });

  it.each(['mysql://localhost/relay', 'localhost:5432', 'postgres:/relay', 'postgres://[bad', ''])('rejects databaseUrl %j', (databaseUrl) => {
    expect(problemsOf({ databaseUrl })).toEqual(['databaseUrl: must be a postgres:// or postgresql:// URL']);
  });

  it.each(['', '   ', 3])('rejects dataDir %j', (dataDir) => {
    expect(problemsOf({ dataDir: dataDir as string })).toEqual(['dataDir: must be a non-empty string']);
  });

  it.each(['2025-12-08', '2020-05-18'])('accepts personaVersion %s', (personaVersion) => {
    expect(resolveWithKeys({ personaVersion }).personaVersion).toBe(personaVersion);
  });

  it.each(['2025-12-8', 'latest', '', '2025-12-08\r\nX: y'])('rejects personaVersion %j', (personaVersion) => {
    expect(problemsOf({ personaVersion })).toEqual(['personaVersion: must be a date in the form YYYY-MM-DD']);
  });

  it.each(['', ' padded', 'padded ', 'line\nbreak', 'x'.repeat(201), 'ünïcode'])('rejects anonymousUserAgent %j', (anonymousUserAgent) => {
    expect(problemsOf({ anonymousUserAgent })).toEqual(['anonymousUserAgent: must be 1–200 visible ASCII characters (inner spaces allowed)']);
  });

  it('reports unknown keys (typos, flat names of grouped options, dotted keys), bounding long names', () => {
    const input = { poolsize: 3, maxRetries: 2, 'retry.maxRetries': 2, retry: { maxretries: 1 }, environment: 'sandbox', pool: { size: 0 } };
    expect(problemsOf(input as unknown as RelayOptions)).toEqual([
      'pool.size: must be an integer from 1 to 1000',
      'poolsize: unknown option',
      'maxRetries: unknown option',
      'retry.maxRetries: unknown option',
      'retry.maxretries: unknown option',
      'environment: unknown option',
    ]);
    const [problem] = problemsOf({ ['k'.repeat(300)]: 1 } as unknown as RelayOptions);
    expect(problem!.length).toBeLessThan(100);
  });

  it.each([3, 'x', null, [1]])('rejects a group given as %j', (retry) => {
    expect(problemsOf({ retry } as unknown as RelayOptions)).toEqual(['retry: must be an object']);
  });
});

describe('resolveRelayOptions: storage keys', () => {
  it('gives storageKey the id k1', () => {
    const resolved = resolveWithKeys({ storageKey: STORAGE_KEY });
    expect({ ...resolved.storageKeys }).toEqual({ k1: STORAGE_KEY });
    expect(resolved.storageKeyId).toBe('k1');
    expect(Object.hasOwn(resolved, 'storageKey')).toBe(false);
  });

  it('gives storageKey the id storageKeyId when set', () => {
    const resolved = resolveWithKeys({ storageKey: STORAGE_KEY, storageKeyId: '2026-05' });
    expect({ ...resolved.storageKeys }).toEqual({ '2026-05': STORAGE_KEY });
    expect(resolved.storageKeyId).toBe('2026-05');
  });

  it('canonicalises base64url or unpadded keys to padded standard base64', () => {
    const bytes = randomBytes(32);
    const resolved = resolveWithKeys({ storageKey: bytes.toString('base64url') });
    expect(resolved.storageKeys!['k1']).toBe(bytes.toString('base64'));
  });

  it('accepts several keys with the current one named', () => {
    const resolved = resolveWithKeys({ storageKeys: { old: OTHER_STORAGE_KEY, new: STORAGE_KEY }, storageKeyId: 'new' });
    expect({ ...resolved.storageKeys }).toEqual({ old: OTHER_STORAGE_KEY, new: STORAGE_KEY });
    expect(resolved.storageKeyId).toBe('new');
    expect(Object.isFrozen(resolved.storageKeys)).toBe(true);
  });

  it('uses the only key of storageKeys as current', () => {
    expect(resolveWithKeys({ storageKeys: { only: STORAGE_KEY } }).storageKeyId).toBe('only');
  });

  it('loads RELAY_STORAGE_KEYS and RELAY_STORAGE_KEY_ID', () => {
    const resolved = resolveWithKeys(
      loadOptionsFromEnv({ RELAY_STORAGE_KEYS: `a:${OTHER_STORAGE_KEY},b:${STORAGE_KEY}`, RELAY_STORAGE_KEY_ID: 'b' }),
    );
    expect(resolved.storageKeyId).toBe('b');
    expect(resolved.storageKeys!['a']).toBe(OTHER_STORAGE_KEY);
  });

  it.each([
    ['a 31-byte key', { storageKey: randomBytes(31).toString('base64') }, ['storageKey: must be base64 of exactly 32 bytes']],
    ['a 33-byte key', { storageKey: randomBytes(33).toString('base64') }, ['storageKey: must be base64 of exactly 32 bytes']],
    ['a hex key', { storageKey: randomBytes(32).toString('hex') }, ['storageKey: must be base64 of exactly 32 bytes']],
    ['a non-base64 key', { storageKey: 'not a key!' }, ['storageKey: must be base64 of exactly 32 bytes']],
    ['a numeric key', { storageKey: 42 }, ['storageKey: must be a string']],
    ['both forms', { storageKey: STORAGE_KEY, storageKeys: { k2: STORAGE_KEY } }, ['storageKeys: give either storageKey or storageKeys, not both']],
    ['several keys and no id', { storageKeys: { a: STORAGE_KEY, b: OTHER_STORAGE_KEY } }, ['storageKeyId: is required when storageKeys holds several keys']],
    ['an id naming no key', { storageKeys: { a: STORAGE_KEY }, storageKeyId: 'b' }, ['storageKeyId: must name a key of storageKeys']],
    ['a malformed id', { storageKey: STORAGE_KEY, storageKeyId: 'has space' }, ['storageKeyId: must match ^[A-Za-z0-9_-]{1,32}$']],
    ['an empty key ring', { storageKeys: {} }, ['storageKeys: must hold at least one key']],
    ['a key ring that is not an object', { storageKeys: 'k1:abc' }, ['storageKeys: must be an object mapping key ids to base64 keys']],
    ['a malformed id in the ring', { storageKeys: { 'bad id': STORAGE_KEY, ok: OTHER_STORAGE_KEY }, storageKeyId: 'ok' }, ['storageKeys: key ids must match ^[A-Za-z0-9_-]{1,32}$']],
    ['a short key in the ring', { storageKeys: { a: STORAGE_KEY, b: 'c2hvcnQ=' }, storageKeyId: 'a' }, ['storageKeys.b: must be base64 of exactly 32 bytes']],
    ['a non-string key in the ring', { storageKeys: { a: 7 }, storageKeyId: 'a' }, ['storageKeys.a: must be a string']],
  ])('rejects %s', (_label, input, problems) => {
    expect(problemsOf(input as RelayOptions)).toEqual(problems);
  });

  it('requires storageKey or storageKeys, whatever else is given', () => {
    const error = expectRelayError(() => resolveRelayOptions({ apiKey: TEST_API_KEY, storageKeyId: 'k1' }), RelayErrorCode.INVALID_CONFIG);
    expect(error.context['problems']).toEqual(['storageKey: is required (set RELAY_STORAGE_KEY)']);
  });

  it('never prints a storage key', () => {
    const short = randomBytes(16).toString('base64');
    for (const input of [
      { storageKey: short },
      { storageKeys: { a: short, b: STORAGE_KEY } },
      { storageKey: STORAGE_KEY, storageKeys: { b: OTHER_STORAGE_KEY } },
    ] as RelayOptions[]) {
      const error = configError(input);
      for (const secret of [short, STORAGE_KEY, OTHER_STORAGE_KEY]) expectNoSecretIn(error, secret);
    }
  });
});

describe('resolveRelayOptions: static encryption keys', () => {
  let pair: PemPair;
  let otherPair: PemPair;
  let smallPair: PemPair;
  let pkcs1PublicPem: string;
  let encryptedPrivatePem: string;
  let ecPair: PemPair;

  beforeAll(() => {
    pair = rsaPair(2048);
    otherPair = rsaPair(2048);
    smallPair = rsaPair(1024);
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    pkcs1PublicPem = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    encryptedPrivatePem = privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass' })
      .toString();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    ecPair = {
      publicKeyPem: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  });

  const staticInput = (publicKeyPem: string | undefined, privateKeyPem: string | undefined): RelayOptions => ({
    encryption: 'static',
    staticPublicKeyPem: publicKeyPem,
    staticPrivateKeyPem: privateKeyPem,
  });

  it('accepts a matching RSA pair', () => {
    const resolved = resolveWithKeys(staticInput(pair.publicKeyPem, pair.privateKeyPem));
    expect(resolved.encryption).toBe('static');
    expect(resolved.staticPublicKeyPem).toBe(pair.publicKeyPem);
    expect(resolved.staticPrivateKeyPem).toBe(pair.privateKeyPem);
  });

  it('converts a PKCS#1 public key to SPKI PEM', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const resolved = resolveWithKeys(
      staticInput(
        rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      ),
    );
    expect(resolved.staticPublicKeyPem).toBe(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  });

  it('loads the pair from single-line environment variables', () => {
    const env = {
      RELAY_ENCRYPTION: 'static',
      RELAY_STATIC_PUBLIC_KEY: pair.publicKeyPem.trim().replaceAll('\n', '\\n'),
      RELAY_STATIC_PRIVATE_KEY: pair.privateKeyPem.trim().replaceAll('\n', '\\n'),
    };
    expect(resolveWithKeys(loadOptionsFromEnv(env)).staticPublicKeyPem).toBe(pair.publicKeyPem);
  });

  it('requires both keys with encryption "static"', () => {
    expect(problemsOf({ encryption: 'static' })).toEqual([
      'staticPublicKeyPem: is required when encryption is "static"',
      'staticPrivateKeyPem: is required when encryption is "static"',
    ]);
    expect(problemsOf(staticInput(pair.publicKeyPem, undefined))).toEqual([
      'staticPrivateKeyPem: is required when encryption is "static"',
    ]);
  });

  it('refuses static keys with another encryption mode', () => {
    expect(problemsOf({ staticPublicKeyPem: pair.publicKeyPem, staticPrivateKeyPem: pair.privateKeyPem })).toEqual([
      'staticPublicKeyPem: is only used when encryption is "static"',
      'staticPrivateKeyPem: is only used when encryption is "static"',
    ]);
    expect(problemsOf({ encryption: 'none', staticPrivateKeyPem: pair.privateKeyPem })).toEqual([
      'staticPrivateKeyPem: is only used when encryption is "static"',
    ]);
  });

  it('rejects keys of two different pairs', () => {
    expect(problemsOf(staticInput(pair.publicKeyPem, otherPair.privateKeyPem))).toEqual([
      'staticPrivateKeyPem: does not match staticPublicKeyPem',
    ]);
  });

  it('rejects a private key given as the public key', () => {
    expect(problemsOf(staticInput(pair.privateKeyPem, pair.privateKeyPem))).toEqual([
      'staticPublicKeyPem: must be a PEM public key (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)',
    ]);
  });

  it('rejects a public key given as the private key', () => {
    expect(problemsOf(staticInput(pair.publicKeyPem, pair.publicKeyPem))).toEqual([
      'staticPrivateKeyPem: cannot be read as an unencrypted PEM private key',
    ]);
  });

  it('rejects an encrypted private key', () => {
    expect(problemsOf(staticInput(pkcs1PublicPem, encryptedPrivatePem))).toEqual([
      'staticPrivateKeyPem: cannot be read as an unencrypted PEM private key',
    ]);
  });

  it('rejects garbage PEM', () => {
    expect(problemsOf(staticInput('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----', 'nope'))).toEqual([
      'staticPublicKeyPem: cannot be read as a PEM public key',
      'staticPrivateKeyPem: cannot be read as an unencrypted PEM private key',
    ]);
  });

  it('rejects RSA keys below 2048 bits and non-RSA keys', () => {
    expect(problemsOf(staticInput(smallPair.publicKeyPem, smallPair.privateKeyPem))).toEqual([
      'staticPublicKeyPem: must be an RSA key of 2048–4096 bits (got 1024)',
      'staticPrivateKeyPem: must be an RSA key of 2048–4096 bits (got 1024)',
    ]);
    expect(problemsOf(staticInput(ecPair.publicKeyPem, ecPair.privateKeyPem))).toEqual([
      'staticPublicKeyPem: must be an RSA key',
      'staticPrivateKeyPem: must be an RSA key',
    ]);
  });

  it('never prints the private key', () => {
    for (const input of [
      staticInput(pair.publicKeyPem, otherPair.privateKeyPem),
      staticInput(pair.privateKeyPem, pair.privateKeyPem),
      { staticPrivateKeyPem: pair.privateKeyPem },
      staticInput(smallPair.publicKeyPem, smallPair.privateKeyPem),
    ]) {
      const error = configError(input);
      for (const secret of [pair.privateKeyPem, otherPair.privateKeyPem, smallPair.privateKeyPem]) {
        const body = secret.split('\n')[1]!;
        expectNoSecretIn(error, body);
      }
    }
  });
});

describe('resolveRelayOptions: reporting', () => {
  it('reports every problem at once, one line each, in table order', () => {
    const input = {
      apiKey: '',
      apiUrl: 'ftp://x',
      claimType: 'Bad',
      sandbox: 'yes',
      storageKey: 'short',
      encryption: 'rsa',
      keyBits: 1000,
      issuance: 'later',
      challengeSource: 'nowhere',
      cookieSecret: 'short',
      databaseUrl: 'mysql://db',
      dataDir: '',
      tokenExpiryMarginMs: -1,
      anonymousUserAgent: '',
      personaVersion: 'v1',
      issuanceJitterMs: -1,
      maintenanceIntervalMs: 1,
      retry: { requestTimeoutMs: 0, maxRetries: 11, baseDelayMs: -1, maxDelayMs: 1.5, rateLimitMaxWaitMs: 'x', forbiddenRetryBudgetMs: -5 },
      pool: { size: 0, refillIntervalMs: 1, issueSpreadMs: -1 },
      redemption: { leaseMs: 0, waitMs: -1, replayWindowMs: 0 },
      limits: { sessionsPerSubjectPerHour: 0, sessionsPerHour: 0 },
      typo: true,
    };
    const names = Object.entries(input).flatMap(([key, value]) =>
      typeof value === 'object' ? Object.keys(value).map((member) => `${key}.${member}`) : [key],
    );
    const error = configError(input as unknown as RelayOptions);
    const problems = error.context['problems'] as string[];
    expect(problems.map((line) => line.split(':')[0])).toEqual(names);
    expect(error.message).toBe(`Invalid persona-relay configuration (${names.length} problems):\n${problems.join('\n')}`);
  });

  it('says "1 problem" for one', () => {
    expect(configError({ pool: { size: 0 } }).message).toBe('Invalid persona-relay configuration (1 problem):\npool.size: must be an integer from 1 to 1000');
  });

  it('names the variable of every problem whose value came from the environment', () => {
    const env = loadOptionsFromEnv({ RELAY_POOL_SIZE: 'ten', RELAY_SANDBOX: 'maybe', RELAY_MAX_RETRIES: '99', RELAY_CLAIM_TYPE: 'Bad' });
    expect(problemsOf(env, { claimType: 'also bad' })).toEqual([
      'claimType: must match ^[a-z0-9_]{1,100}$',
      'sandbox: must be true, false, 1 or 0 (from RELAY_SANDBOX)',
      'retry.maxRetries: must be an integer from 0 to 10 (from RELAY_MAX_RETRIES)',
      'pool.size: must be an integer (from RELAY_POOL_SIZE)',
    ]);
  });

  it('names the variable of an unparsable value even in a copy of the environment’s options', () => {
    const copy = { ...loadOptionsFromEnv({ RELAY_POOL_SIZE: 'ten', RELAY_MAX_RETRIES: '99' }) };
    expect(problemsOf(copy)).toEqual(['retry.maxRetries: must be an integer from 0 to 10', 'pool.size: must be an integer (from RELAY_POOL_SIZE)']);
  });

  it('lets a value given in code override an unparsable variable', () => {
    expect(resolveWithKeys(loadOptionsFromEnv({ RELAY_POOL_SIZE: 'ten' }), { pool: { size: 5 } }).pool.size).toBe(5);
    expect(resolveWithKeys({ ...loadOptionsFromEnv({ RELAY_SANDBOX: 'maybe' }), sandbox: true }).sandbox).toBe(true);
  });

  it('ignores parse problems of names that are no option', () => {
    expect(resolveWithKeys({ [ENV_PARSE_PROBLEMS]: { nonsense: 'must be nonsense' } }).pool.size).toBe(10);
  });

  it('never prints secret values, valid or not, in the message or context', () => {
    const secrets = {
      apiKey: 'persona_sandbox_TOPSECRET with space',
      cookieSecret: 'TOOSHORTSECRET',
      storageKey: 'U0VDUkVUU1RPUkFHRUtFWQ==',
      databaseUrl: 'mysql://user:DBPASSWORD@db/x',
      staticPrivateKeyPem: '-----BEGIN PRIVATE KEY-----\nPRIVATEKEYBODY\n-----END PRIVATE KEY-----',
    };
    const error = configError({ ...secrets, storageKeys: { k9: 'S1RPUkFHRUtFWVRXTw==' }, pool: { size: 0 } });
    for (const secret of [...Object.values(secrets), 'TOPSECRET', 'DBPASSWORD', 'PRIVATEKEYBODY', 'S1RPUkFHRUtFWVRXTw==']) {
      expectNoSecretIn(error, secret);
    }
  });

  it('never prints the value of an unparsable or invalid secret variable', () => {
    const env = { RELAY_STORAGE_KEYS: 'k1:SECRETA,SECRETB', PERSONA_API_KEY: 'persona sandbox SECRETKEY', RELAY_COOKIE_SECRET: 'SECRETCOOKIE' };
    const error = expectRelayError(() => resolveRelayOptions(loadOptionsFromEnv(env)), RelayErrorCode.INVALID_CONFIG);
    expect(error.context['problems']).toEqual([
      'apiKey: must be a non-empty string of visible ASCII characters without spaces (from PERSONA_API_KEY)',
      'storageKeys: must be a comma-separated list of id:base64 entries (from RELAY_STORAGE_KEYS)',
      'cookieSecret: must be a string of at least 32 characters (from RELAY_COOKIE_SECRET)',
    ]);
    for (const secret of ['SECRETA', 'SECRETB', 'SECRETKEY', 'SECRETCOOKIE']) expectNoSecretIn(error, secret);
  });

  it('redacts secrets from JSON and util.inspect of the resolved options', () => {
    const resolved = resolveWithKeys({
      apiKey: 'persona_sandbox_APIKEYVALUE',
      storageKey: STORAGE_KEY,
      cookieSecret: 'COOKIESECRET'.repeat(3),
      databaseUrl: 'postgres://u:DBPASS@h/db',
    });
    const json = JSON.stringify(resolved);
    const inspected = inspect(resolved, { depth: 5 });
    for (const secret of ['APIKEYVALUE', STORAGE_KEY, 'COOKIESECRET', 'DBPASS']) {
      expect(json).not.toContain(secret);
      expect(inspected).not.toContain(secret);
    }
    expect(JSON.parse(json)).toMatchObject({
      apiKey: '[redacted]',
      storageKeys: '[redacted]',
      cookieSecret: '[redacted]',
      databaseUrl: '[redacted]',
      storageKeyId: 'k1',
      pool: { size: 10 },
    });
    expect(inspected).toContain('[redacted]');
    // The values themselves stay readable for the code that needs them.
    expect(resolved.apiKey).toBe('persona_sandbox_APIKEYVALUE');
    expect(resolved.storageKeys['k1']).toBe(STORAGE_KEY);
  });

  it('accepts a full, valid environment', () => {
    const env = {
      PERSONA_API_KEY: 'persona_sandbox_key',
      PERSONA_API_URL: 'http://127.0.0.1:8787/',
      RELAY_CLAIM_TYPE: 'age_over18_germany',
      RELAY_ALLOWED_CLAIM_TYPES: 'age_over18_germany,live_human_presence',
      RELAY_STORAGE_KEY: STORAGE_KEY,
      RELAY_ENCRYPTION: 'none',
      RELAY_ISSUANCE: 'pool',
      RELAY_POOL_SIZE: '3',
      RELAY_CHALLENGE_SOURCE: 'endpoint',
      RELAY_COOKIE_SECRET: 'k'.repeat(40),
      RELAY_DATA_DIR: 'memory://',
      RELAY_REPLAY_WINDOW_MS: '120000',
      PERSONA_VERSION: '2025-12-08',
    };
    expect(resolveRelayOptions(loadOptionsFromEnv(env))).toMatchObject({
      environment: 'sandbox',
      apiUrl: 'http://127.0.0.1:8787',
      claimType: 'age_over18_germany',
      allowedClaimTypes: ['age_over18_germany', 'live_human_presence'],
      storageKeyId: 'k1',
      encryption: 'none',
      issuance: 'pool',
      challengeSource: 'endpoint',
      dataDir: 'memory://',
      personaVersion: '2025-12-08',
      pool: { size: 3 },
      redemption: { replayWindowMs: 120_000 },
    });
  });
});
