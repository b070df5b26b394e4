import { describeRelayContract, WITHOUT_PAYLOAD_ENCRYPTION } from './relay-contract.js';
import { startFastifyApp } from './support/apps/fastify-app.js';
import { memoryStore, pgliteStore } from './support/stores.js';

describeRelayContract('Fastify 5', startFastifyApp, { store: memoryStore, relayOptions: WITHOUT_PAYLOAD_ENCRYPTION });
describeRelayContract('Fastify 5', startFastifyApp, { store: pgliteStore() });
