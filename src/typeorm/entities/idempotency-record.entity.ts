import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { RedemptionRecord, RedemptionState } from '../../core/storage/ports.js';
import { PreIssuedToken } from './pre-issued-token.entity.js';
import { RelaySecret } from './relay-secret.entity.js';

/**
 * One logical redemption (relay + pass + idempotency key), persisted before
 * the first request to Persona: PENDING → SUCCEEDED | FAILED_FINAL | UNKNOWN.
 *
 * The partial unique indexes are the database's own guarantee of "one live
 * redemption per session" and "one redemption per pass", whatever the number
 * of app instances racing.
 */
@Entity({ name: 'persona_relay_idempotency_record' })
@Check('CHK_persona_relay_idempotency_record_state', `"state" IN ('PENDING', 'SUCCEEDED', 'FAILED_FINAL', 'UNKNOWN')`)
@Check('CHK_persona_relay_idempotency_record_attempts', `"attempts" >= 0`)
@Index('UQ_persona_relay_idempotency_record_pending_session', ['sessionId'], {
  unique: true,
  where: `"state" = 'PENDING'`,
})
@Index('UQ_persona_relay_idempotency_record_pending_pass', ['passId'], { unique: true, where: `"state" = 'PENDING'` })
// A session's live redemption, newest first.
@Index('IDX_persona_relay_idempotency_record_session_created_at', ['sessionId', 'createdAt'])
// Resumable redemptions, oldest first.
@Index('IDX_persona_relay_idempotency_record_pending_created_at', ['createdAt'], { where: `"state" = 'PENDING'` })
export class IdempotencyRecord implements RedemptionRecord {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_persona_relay_idempotency_record' })
  key: string;

  @ForeignKey(() => RelaySecret, { name: 'FK_persona_relay_idempotency_record_session' })
  @Column({ name: 'session_id', type: 'text' })
  sessionId: string;

  @ForeignKey(() => PreIssuedToken, { name: 'FK_persona_relay_idempotency_record_pass' })
  @Column({ name: 'pass_id', type: 'text' })
  passId: string;

  @Column({ type: 'text' })
  state: RedemptionState;

  @Column({ type: 'integer' })
  attempts: number;

  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt: Date | null;

  @Column({ name: 'response_sealed', type: 'text', nullable: true })
  responseSealed: string | null;

  @Column({ type: 'text', nullable: true })
  failure: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
