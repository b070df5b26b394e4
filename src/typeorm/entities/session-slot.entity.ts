import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One session creation counted against the limits, kept for the limits'
 * window: the ledger that makes the per-subject, per-client and global
 * limits exact across instances. Its id is the session's. Rows are written
 * and pruned by the storage, never by hand.
 *
 * @example
 * ```ts
 * const lastHour = await dataSource.getRepository(SessionSlot).countBy({ takenAt: MoreThan(new Date(Date.now() - 3_600_000)) });
 * ```
 */
@Entity({ name: 'persona_relay_session_slot' })
// Pruning forgets slots older than the window; counting reads the slots left.
@Index('IDX_persona_relay_session_slot_taken_at', ['takenAt'])
export class SessionSlot {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'PK_persona_relay_session_slot' })
  id: string;

  @Column({ type: 'text' })
  subject: string;

  /** The client's address bucket; `null` when the creation came without one. */
  @Column({ type: 'text', nullable: true })
  client: string | null;

  @Column({ name: 'taken_at', type: 'timestamptz' })
  takenAt: Date;
}
