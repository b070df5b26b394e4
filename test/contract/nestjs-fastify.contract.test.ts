import type { RelayContractOptions } from './relay-contract.js';
import { describeRelayContract, WITHOUT_PAYLOAD_ENCRYPTION } from './relay-contract.js';
import { nestApp } from './support/apps/nest-app.js';
import { memoryStore, pgliteStore } from './support/stores.js';

/*
 * Nest's platform parses JSON bodies for the whole app before any controller runs (here Nest's own
 * content-type parser for Fastify), so a body it cannot parse never reaches the relay controller: Nest
 * answers 400 with its own error body. It also refuses an empty application/json body, which every other
 * adapter (and Nest on Express) takes as {}.
 */
const differences: RelayContractOptions['differences'] = {
  malformedJson: {
    status: 400,
    body: { statusCode: 400, message: "Body is not valid JSON but content-type is set to 'application/json'" },
  },
  emptyJsonBody: {
    status: 400,
    body: { statusCode: 400, message: "Body cannot be empty when content-type is set to 'application/json'" },
  },
};

describeRelayContract('NestJS on Fastify', nestApp('fastify'), { store: memoryStore, relayOptions: WITHOUT_PAYLOAD_ENCRYPTION, differences });
describeRelayContract('NestJS on Fastify', nestApp('fastify'), { store: pgliteStore(), differences });
