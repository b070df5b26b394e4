import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { VerifiedClaimRecord } from '../../core/storage/ports.js';
import { RelaySecret } from './relay-secret.entity.js';

/**
 * A claim read from Persona and validated, owned by a subject: at most one per
 * session (the session id is the primary key).
 */
@Entity({ name: 'persona_relay_verified_claim' })
@Check('CHK_persona_relay_verified_claim_result', `"result" IN ('passed', 'failed')`)
// Claims per subject, and "has the subject passed this claim type".
@Index('IDX_persona_relay_verified_claim_subject_claim_type', ['subject', 'claimType'])
export class VerifiedClaim implements VerifiedClaimRecord {
  @ForeignKey(() => RelaySecret, { name: 'FK_persona_relay_verified_claim_session' })
  @PrimaryColumn({ name: 'session_id', type: 'text', primaryKeyConstraintName: 'PK_persona_relay_verified_claim' })
  sessionId: string;

  @Column({ type: 'text' })
  subject: string;

  @Column({ name: 'claim_type', type: 'text' })
  claimType: string;

  @Column({ type: 'text' })
  result: 'passed' | 'failed';

  @Column({ type: 'jsonb', nullable: true })
  methodology: Array<{ method: string; result: 'passed' | 'failed' }> | null;

  @Column({ name: 'verified_at', type: 'timestamptz' })
  verifiedAt: Date;
}
