export {
  IdempotencyRecord,
  PreIssuedToken,
  RELAY_ENTITIES,
  RelaySecret,
  ReservedKeyPair,
  SessionSlot,
  VerifiedClaim,
} from './entities/index.js';
export {
  RELAY_MIGRATIONS,
  RelayInitialSchema1767225600000,
  RelayKeyReserve1796342400000,
  RelaySessionSlots1796256000000,
} from './migrations/index.js';
export { createTypeOrmStorage } from './stores/index.js';
export { createEmbeddedDataSource, embeddedDataSourceOptions } from './embedded/index.js';
export type { EmbeddedDataSourceOptions, PostgresDataSourceOptions } from './embedded/index.js';
export { createRelayDataSource, relayDataSourceOptions } from './relay-data-source.js';
export type { RelayDatabaseOptions } from './relay-data-source.js';
