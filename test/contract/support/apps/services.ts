import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveRelayOptions } from '../../../../src/core/config/index.js';
import { silentLogger } from '../../../../src/core/logger.js';
import type { RelayServices } from '../../../../src/core/services/relay-services.js';
import { createRelayServices } from '../../../../src/core/services/relay-services.js';
import { fastTestKeyPairs } from '../../../support/key-pairs.js';
import type { ContractAppConfig } from '../contract-app.js';

/** The core, wired and started the way a non-Nest app would do it. */
export async function startServices(config: ContractAppConfig): Promise<RelayServices> {
  const services = createRelayServices({
    options: resolveRelayOptions(config.relayOptions),
    storage: config.storage,
    logger: silentLogger,
    keyPairGenerator: fastTestKeyPairs(),
  });
  await services.start();
  return services;
}

/** Listens on a free loopback port; resolves to the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a server without waiting for idle keep-alive connections to time out. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
