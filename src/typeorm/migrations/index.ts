import { RelayInitialSchema1767225600000 } from './1767225600000-relay-initial-schema.js';
import { RelaySessionSlots1796256000000 } from './1796256000000-relay-session-slots.js';
import { RelayKeyReserve1796342400000 } from './1796342400000-relay-key-reserve.js';

export { RelayInitialSchema1767225600000, RelayKeyReserve1796342400000, RelaySessionSlots1796256000000 };

/**
 * Every migration of persona-relay, oldest first, for a `DataSource`'s `migrations`.
 */
export const RELAY_MIGRATIONS = [RelayInitialSchema1767225600000, RelaySessionSlots1796256000000, RelayKeyReserve1796342400000];
