import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ReservedKeyPairRecord } from '../../core/storage/ports.js';

/**
 * A per-relay payload key pair generated ahead of time, waiting to be handed
 * to one new relay (the private key sealed). Taking one deletes its row, so
 * each key pair serves exactly one relay. Rows are written by the storage,
 * never by hand.
 */
@Entity({ name: 'persona_relay_key_reserve' })
// Taking: the oldest key pair of the configured size.
@Index('IDX_persona_relay_key_reserve_take', ['modulusBits', 'createdAt'])
export class ReservedKeyPair implements ReservedKeyPairRecord {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_persona_relay_key_reserve' })
  id: string;

  @Column({ name: 'public_key_pem', type: 'text' })
  publicKeyPem: string;

  @Column({ name: 'private_key_sealed', type: 'text' })
  privateKeySealed: string;

  @Column({ name: 'modulus_bits', type: 'integer' })
  modulusBits: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
