import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds the key reserve (`persona_relay_key_reserve`): per-relay payload key
 * pairs generated ahead of time and shared by every instance on the
 * database. Also indexes the sessions that still hold a payload key, for
 * the sweep that deletes the keys of finished relays.
 */
export class RelayKeyReserve1796342400000 implements MigrationInterface {
  readonly name = 'RelayKeyReserve1796342400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "persona_relay_key_reserve" (
      "id"                 text        NOT NULL,
      "public_key_pem"     text        NOT NULL,
      "private_key_sealed" text        NOT NULL,
      "modulus_bits"       integer     NOT NULL,
      "created_at"         timestamptz NOT NULL,
      CONSTRAINT "PK_persona_relay_key_reserve" PRIMARY KEY ("id")
    )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_persona_relay_key_reserve_take" ON "persona_relay_key_reserve" ("modulus_bits", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_persona_relay_relay_secret_key_held_expires_at"
         ON "persona_relay_relay_secret" ("expires_at") WHERE "private_key_sealed" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_persona_relay_relay_secret_key_held_expires_at"`);
    await queryRunner.query(`DROP TABLE "persona_relay_key_reserve"`);
  }
}
