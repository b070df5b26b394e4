/**
 * openRelay, the adapters' one-call wiring: the whole configuration is
 * checked, core and adapter options together, before any database is opened.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RelayErrorCode } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createMemoryStorage } from '../../../src/core/storage/index.js';
import { openRelay } from '../../../src/http/open-relay.js';
import { createRelayHandler } from '../../../src/http/node.js';
import { testOptions } from '../../support/relay.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'open-relay-'));
  // The environment must not fill in what these tests leave out.
  for (const name of ['PERSONA_API_KEY', 'RELAY_STORAGE_KEY', 'RELAY_STORAGE_KEYS', 'DATABASE_URL', 'RELAY_DATA_DIR']) {
    vi.stubEnv(name, '');
  }
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

describe('openRelay', () => {
  it('reports every missing and invalid option in one INVALID_CONFIG and creates no data directory', async () => {
    const dataDir = join(root, 'relay-data');
    const opened = openRelay({
      dataDir,
      retry: { maxRetries: -1 },
      prefix: 7 as unknown as string,
      cookie: { name: '__Host-sid', secure: false, maxAgeSeconds: 0 },
      logger: silentLogger,
    });
    await expect(opened).rejects.toMatchObject({
      code: RelayErrorCode.INVALID_CONFIG,
      context: {
        problems: [
          expect.stringMatching(/^apiKey: is required/),
          expect.stringMatching(/^storageKey: is required/),
          expect.stringMatching(/^retry\.maxRetries: /),
          'prefix: must be a string',
          'cookie: maxAgeSeconds must be a positive whole number',
          'cookie: a __Host- cookie must be Secure with path /',
        ],
      },
    });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('reports adapter options alone when the core options are fine', async () => {
    const opened = openRelay({
      ...testOptions('http://127.0.0.1:9'),
      storage: createMemoryStorage(),
      cookie: { sameSite: 'Loose' as 'Lax' },
      logger: silentLogger,
    });
    await expect(opened).rejects.toMatchObject({
      code: RelayErrorCode.INVALID_CONFIG,
      context: { problems: ['cookie: sameSite must be Strict, Lax or None'] },
    });
  });

  it('hands the adapters their options with the started services, and closes them', async () => {
    const cookie = { secure: false };
    const relay = await openRelay({
      ...testOptions('http://127.0.0.1:9'),
      storage: createMemoryStorage(),
      prefix: '/verify',
      cookie,
      logger: silentLogger,
    });
    try {
      expect(relay).toMatchObject({ prefix: '/verify', cookie, logger: silentLogger });
      expect(relay.services.options.apiUrl).toBe('http://127.0.0.1:9');
      const handler = createRelayHandler(relay);
      const answer = await handler.http.handle({ method: 'GET', path: '/claims', headers: {} });
      expect(answer?.status).toBe(200);
    } finally {
      await relay.close();
    }
  });
});
