import { describeRelayContract, WITHOUT_PAYLOAD_ENCRYPTION } from './relay-contract.js';
import { startNodeApp } from './support/apps/node-app.js';
import { memoryStore, pgliteStore } from './support/stores.js';

describeRelayContract('node:http', startNodeApp, { store: memoryStore, relayOptions: WITHOUT_PAYLOAD_ENCRYPTION });
describeRelayContract('node:http', startNodeApp, { store: pgliteStore() });
