import { describeRelayContract, WITHOUT_PAYLOAD_ENCRYPTION } from './relay-contract.js';
import { expressApp } from './support/apps/express-app.js';
import { memoryStore, pgliteStore } from './support/stores.js';

const inMemory = { store: memoryStore, relayOptions: WITHOUT_PAYLOAD_ENCRYPTION };
const onPglite = { store: pgliteStore() };

// The router answers errors itself.
describeRelayContract('Express 5, handleErrors', expressApp({ handleErrors: true }), inMemory);
describeRelayContract('Express 5, handleErrors', expressApp({ handleErrors: true }), onPglite);
// The default: errors go to next(err), and the app's error handler answers them with toErrorResponse.
describeRelayContract('Express 5, next(err)', expressApp({ handleErrors: false }), inMemory);
