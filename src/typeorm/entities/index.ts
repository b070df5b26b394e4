import { IdempotencyRecord } from './idempotency-record.entity.js';
import { PreIssuedToken } from './pre-issued-token.entity.js';
import { RelaySecret } from './relay-secret.entity.js';
import { ReservedKeyPair } from './reserved-key-pair.entity.js';
import { SessionSlot } from './session-slot.entity.js';
import { VerifiedClaim } from './verified-claim.entity.js';

export { IdempotencyRecord, PreIssuedToken, RelaySecret, ReservedKeyPair, SessionSlot, VerifiedClaim };

/**
 * Every entity of persona-relay, for a `DataSource`'s `entities`.
 *
 * @example
 * ```ts
 * new DataSource({ type: 'postgres', url, entities: [...RELAY_ENTITIES, ...mine], migrations: [...RELAY_MIGRATIONS] });
 * ```
 */
export const RELAY_ENTITIES = [RelaySecret, PreIssuedToken, IdempotencyRecord, VerifiedClaim, SessionSlot, ReservedKeyPair];
