import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { RelayEnvironment } from '../../core/config/index.js';
import type { PassRecord, PassState } from '../../core/storage/ports.js';
import { RelaySecret } from './relay-secret.entity.js';

/**
 * A Privacy Pass issued ahead of its redemption (the token sealed), with its
 * reservation state: AVAILABLE → RESERVED → CONSUMED | EXPIRED | UNUSABLE.
 */
@Entity({ name: 'persona_relay_pre_issued_token' })
@Check('CHK_persona_relay_pre_issued_token_environment', `"environment" IN ('production', 'sandbox')`)
@Check(
  'CHK_persona_relay_pre_issued_token_state',
  `"state" IN ('AVAILABLE', 'RESERVED', 'CONSUMED', 'EXPIRED', 'UNUSABLE')`,
)
// Reservation: the AVAILABLE passes of one kind, earliest expiry first.
@Index('IDX_persona_relay_pre_issued_token_reservation', ['claimType', 'environment', 'state', 'expiresAt'])
export class PreIssuedToken implements PassRecord {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_persona_relay_pre_issued_token' })
  id: string;

  @Column({ name: 'token_sealed', type: 'text' })
  tokenSealed: string;

  @Column({ name: 'key_id', type: 'text' })
  keyId: string;

  @Column({ name: 'claim_type', type: 'text' })
  claimType: string;

  @Column({ type: 'text' })
  environment: RelayEnvironment;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ type: 'text' })
  state: PassState;

  // Bound passes are looked up by session (preferred reservation, unbinding).
  @Index('IDX_persona_relay_pre_issued_token_session_id')
  @ForeignKey(() => RelaySecret, { name: 'FK_persona_relay_pre_issued_token_session' })
  @Column({ name: 'session_id', type: 'text', nullable: true })
  sessionId: string | null;

  /**
   * Idempotency key of the holding redemption. No foreign key: `begin` reserves
   * the pass before it inserts the record, in one transaction.
   */
  @Column({ name: 'reserved_by', type: 'text', nullable: true })
  reservedBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
