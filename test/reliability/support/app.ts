/**
 * A real app for the reliability tests: the core services (see
 * `test/support/relay.ts`) behind the `node:http` adapter, on a free port,
 * with the contract apps' authentication stand-in (`x-test-user`). Unlike the
 * contract starters it hands back its services and storage, so a test can
 * wait for background work and look into the database.
 */
import { createServer } from 'node:http';
import type { RelayOptions } from '../../../src/core/config/index.js';
import type { RelayLogger } from '../../../src/core/logger.js';
import type { RelayStorage } from '../../../src/core/storage/index.js';
import { createMemoryStorage } from '../../../src/core/storage/index.js';
import type { RelayNodeRequest } from '../../../src/http/node.js';
import { createRelayHandler } from '../../../src/http/node.js';
import { silentLogger } from '../../../src/core/logger.js';
import { testUser } from '../../contract/support/contract-app.js';
import { closeServer, listen } from '../../contract/support/apps/services.js';
import type { TestRelay } from '../../support/relay.js';
import { createTestRelay } from '../../support/relay.js';

export interface RelayApp {
  readonly url: string;
  readonly relay: TestRelay;
  readonly storage: RelayStorage;
  close(): Promise<void>;
}

/** Starts the services (their background work included) and the app. */
export async function startRelayApp(init: {
  apiUrl: string;
  options?: RelayOptions;
  storage?: RelayStorage;
  logger?: RelayLogger;
}): Promise<RelayApp> {
  const storage = init.storage ?? createMemoryStorage();
  const relay = createTestRelay({ apiUrl: init.apiUrl, storage, options: init.options, logger: init.logger ?? silentLogger });
  await relay.services.start();
  const handler = createRelayHandler({ services: relay.services, logger: silentLogger });
  const server = createServer((req: RelayNodeRequest, res) => {
    req.user = testUser(req.headers);
    void handler(req, res);
  });
  const url = await listen(server);
  return {
    url,
    relay,
    storage,
    async close() {
      await closeServer(server);
      await relay.close();
    },
  };
}
