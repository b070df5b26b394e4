import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { RelayEnvironment } from '../../core/config/index.js';
import type { RelaySessionRecord, SessionState } from '../../core/storage/ports.js';

/**
 * A relay session: who created it, for which claim, and Persona's relay token,
 * relay secret and payload key, all sealed (hence the name RelaySecret). Rows
 * are written by the storage, never by hand.
 */
@Entity({ name: 'persona_relay_relay_secret' })
@Check('CHK_persona_relay_relay_secret_environment', `"environment" IN ('production', 'sandbox')`)
@Check('CHK_persona_relay_relay_secret_state', `"state" IN ('open', 'claimed', 'expired')`)
// The sweep deleting the payload keys of finished relays reads only the sessions that still hold one.
@Index('IDX_persona_relay_relay_secret_key_held_expires_at', ['expiresAt'], { where: `"private_key_sealed" IS NOT NULL` })
export class RelaySecret implements RelaySessionRecord {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_persona_relay_relay_secret' })
  id: string;

  @Column({ type: 'text' })
  subject: string;

  @Column({ name: 'claim_type', type: 'text' })
  claimType: string;

  @Column({ type: 'text' })
  environment: RelayEnvironment;

  @Column({ name: 'relay_token_sealed', type: 'text' })
  relayTokenSealed: string;

  @Column({ name: 'relay_secret_sealed', type: 'text' })
  relaySecretSealed: string;

  @Column({ name: 'private_key_sealed', type: 'text', nullable: true })
  privateKeySealed: string | null;

  @Column({ type: 'text' })
  state: SessionState;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
