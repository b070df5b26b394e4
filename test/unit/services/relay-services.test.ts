/**
 * The Persona client wiring of createRelayServices, against a scripted local
 * HTTP server standing in for Persona.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { resolveRelayOptions } from '../../../src/core/config/index.js';
import type { RelayLogger } from '../../../src/core/logger.js';
import { createRelayServices, type RelayServices } from '../../../src/core/services/relay-services.js';
import { createMemoryStorage } from '../../../src/core/storage/index.js';
import { startTestServer, type TestServer } from '../persona/http-test-server.js';

const API_KEY = 'persona_sandbox_unitKEY0123456789abcdef';

let server: TestServer;
let services: RelayServices | undefined;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await services?.close();
  services = undefined;
  await server.close();
});

it('logs each retry of a Persona call through the RelayLogger, without a secret', async () => {
  const entries: Array<{ level: string; message: string; context?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, context?: Record<string, unknown>) => {
    entries.push({ level, message, ...(context ? { context } : {}) });
  };
  const logger: RelayLogger = { debug: at('debug'), log: at('log'), warn: at('warn'), error: at('error') };
  services = createRelayServices({
    options: resolveRelayOptions({
      apiKey: API_KEY,
      apiUrl: server.baseUrl,
      storageKey: randomBytes(32).toString('base64'),
      encryption: 'none',
      // No background issuance: the only call is the relay creation.
      issuance: 'pool',
      retry: { baseDelayMs: 10, maxDelayMs: 10 },
      blindRsaEngine: 'node-crypto',
    }),
    storage: createMemoryStorage(),
    logger,
  });
  server.script(
    { status: 503, body: { errors: [{ title: 'Service Unavailable' }] } },
    { status: 200, body: { 'relay-token': 'relay_t', 'relay-secret': 'relay-secret-value', 'relay-session-access-token': 'jwt' } },
  );

  await services.sessions.create('alice');

  expect(server.requests).toHaveLength(2);
  expect(entries.filter((entry) => entry.level === 'warn')).toEqual([
    {
      level: 'warn',
      message: 'Persona create-relay attempt failed; retrying',
      context: expect.objectContaining({ operation: 'create-relay', attempt: 1, status: 503, outcome: 'retry' }),
    },
  ]);
  const logged = JSON.stringify(entries);
  expect(logged).not.toContain(API_KEY);
  expect(logged).not.toContain('relay-secret-value');
});
