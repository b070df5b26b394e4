import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds the session-creation ledger (`persona_relay_session_slot`), which the
 * limits now count instead of the sessions, and drops the two session
 * indexes that existed only for that counting.
 *
 * @example
 * ```ts
 * await dataSource.runMigrations(); // runs after RelayInitialSchema1767225600000
 * ```
 */
export class RelaySessionSlots1796256000000 implements MigrationInterface {
  readonly name = 'RelaySessionSlots1796256000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "persona_relay_session_slot" (
      "id"       text        NOT NULL,
      "subject"  text        NOT NULL,
      "client"   text,
      "taken_at" timestamptz NOT NULL,
      CONSTRAINT "PK_persona_relay_session_slot" PRIMARY KEY ("id")
    )`);
    await queryRunner.query(`CREATE INDEX "IDX_persona_relay_session_slot_taken_at" ON "persona_relay_session_slot" ("taken_at")`);
    await queryRunner.query(`DROP INDEX "IDX_persona_relay_relay_secret_subject_created_at"`);
    await queryRunner.query(`DROP INDEX "IDX_persona_relay_relay_secret_created_at"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_persona_relay_relay_secret_subject_created_at" ON "persona_relay_relay_secret" ("subject", "created_at")`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_persona_relay_relay_secret_created_at" ON "persona_relay_relay_secret" ("created_at")`);
    await queryRunner.query(`DROP TABLE "persona_relay_session_slot"`);
  }
}
