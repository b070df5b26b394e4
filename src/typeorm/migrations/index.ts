import { RelayInitialSchema1767225600000 } from './1767225600000-relay-initial-schema.js';

export { RelayInitialSchema1767225600000 };

/** Every migration of persona-relay, oldest first, for a `DataSource`'s `migrations`. */
export const RELAY_MIGRATIONS = [RelayInitialSchema1767225600000];
