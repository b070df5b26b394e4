/**
 * One app instance for the chaos run: the core services on PostgreSQL behind
 * the node:http adapter. The runner starts two of these on one database,
 * kills them with SIGKILL at random moments and starts them again.
 *
 * Environment: PORT, DATABASE_URL, PERSONA_API_KEY, PERSONA_API_URL,
 * RELAY_STORAGE_KEY, RELAY_COOKIE_SECRET, INSTANCE_NAME.
 */
import { createServer } from 'node:http';
import { createRelayHandler } from '../../src/http/node.js';
import { loadOptionsFromEnv, resolveRelayOptions } from '../../src/core/config/index.js';
import { createConsoleLogger } from '../../src/core/logger.js';
import { createRelayServices } from '../../src/core/services/relay-services.js';
import { createRelayDataSource, createTypeOrmStorage } from '../../src/typeorm/index.js';
import { fastTestKeyPairs } from '../../test/support/key-pairs.js';

const name = process.env.INSTANCE_NAME ?? 'instance';
const options = resolveRelayOptions(loadOptionsFromEnv(), {
  // Short timeouts and leases so faults and crashes resolve within the run.
  retry: { requestTimeoutMs: 1_500, maxRetries: 2, baseDelayMs: 50, maxDelayMs: 400, rateLimitMaxWaitMs: 2_000, forbiddenRetryBudgetMs: 1_000 },
  redemption: { leaseMs: 4_000, waitMs: 6_000 },
  maintenanceIntervalMs: 1_000,
  issuanceJitterMs: 300,
  keyReserve: 10,
  // Every simulated visitor connects from 127.0.0.1: the per-client limit must not stand in for the chaos.
  limits: { sessionsPerSubjectPerHour: 1_000, sessionsPerClientPerHour: 1_000_000, sessionsPerHour: 1_000_000 },
});
const dataSource = await createRelayDataSource({ databaseUrl: options.databaseUrl }).initialize();
const storage = createTypeOrmStorage(dataSource);
// Logs go to stderr; the runner captures them to scan for secrets.
// Fast test keys: RSA-3072 generation would make CPU, not the faults, the limit of the run.
const services = createRelayServices({
  options,
  storage,
  logger: createConsoleLogger(),
  instanceId: name,
  keyPairGenerator: fastTestKeyPairs(),
});
await services.start();

const relay = createRelayHandler({ services });
const server = createServer((request, response) => void relay(request, response));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
});

const shutdown = async () => {
  server.close();
  await services.close();
  await dataSource.destroy();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
