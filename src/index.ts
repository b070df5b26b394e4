export { RelayError, RelayErrorCode, isRelayError } from './core/errors.js';
export type { RelayErrorCodeValue, RelayErrorContext } from './core/errors.js';
