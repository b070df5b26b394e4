import { expect } from 'vitest';
import type { RelayContractOptions } from './relay-contract.js';
import { describeRelayContract, WITHOUT_PAYLOAD_ENCRYPTION } from './relay-contract.js';
import { nestApp } from './support/apps/nest-app.js';
import { memoryStore, pgliteStore } from './support/stores.js';

/*
 * Nest's platform parses JSON bodies for the whole app before any controller runs (here body-parser), so
 * a body it cannot parse never reaches the relay controller: Nest answers 400 with its own error body.
 */
const differences: RelayContractOptions['differences'] = {
  malformedJson: { status: 400, body: { statusCode: 400, error: 'Bad Request', message: expect.any(String) } },
};

describeRelayContract('NestJS on Express', nestApp('express'), { store: memoryStore, relayOptions: WITHOUT_PAYLOAD_ENCRYPTION, differences });
describeRelayContract('NestJS on Express', nestApp('express'), { store: pgliteStore(), differences });
