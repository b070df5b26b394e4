import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Creates the four persona-relay tables with every constraint and index the
 * entities declare, among them the partial unique indexes that let only one
 * PENDING redemption exist per session and per pass.
 *
 * Hand-written, so that the SQL is reviewed and never depends on the TypeORM
 * version generating it; a test checks it against the entities. Tables go
 * into the connection's current schema (`search_path`).
 */
export class RelayInitialSchema1767225600000 implements MigrationInterface {
  readonly name = 'RelayInitialSchema1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of CREATE_STATEMENTS) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Referencing tables first; their indexes and constraints go with them.
    for (const table of [
      'persona_relay_verified_claim',
      'persona_relay_idempotency_record',
      'persona_relay_pre_issued_token',
      'persona_relay_relay_secret',
    ]) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
  }
}

const CREATE_STATEMENTS: readonly string[] = [
  `CREATE TABLE "persona_relay_relay_secret" (
    "id"                  text        NOT NULL,
    "subject"             text        NOT NULL,
    "claim_type"          text        NOT NULL,
    "environment"         text        NOT NULL,
    "relay_token_sealed"  text        NOT NULL,
    "relay_secret_sealed" text        NOT NULL,
    "private_key_sealed"  text,
    "state"               text        NOT NULL,
    "created_at"          timestamptz NOT NULL,
    "expires_at"          timestamptz NOT NULL,
    CONSTRAINT "PK_persona_relay_relay_secret" PRIMARY KEY ("id"),
    CONSTRAINT "CHK_persona_relay_relay_secret_environment" CHECK ("environment" IN ('production', 'sandbox')),
    CONSTRAINT "CHK_persona_relay_relay_secret_state" CHECK ("state" IN ('open', 'claimed', 'expired'))
  )`,
  `CREATE INDEX "IDX_persona_relay_relay_secret_subject_created_at"
    ON "persona_relay_relay_secret" ("subject", "created_at")`,
  `CREATE INDEX "IDX_persona_relay_relay_secret_created_at"
    ON "persona_relay_relay_secret" ("created_at")`,

  `CREATE TABLE "persona_relay_pre_issued_token" (
    "id"           text        NOT NULL,
    "token_sealed" text        NOT NULL,
    "key_id"       text        NOT NULL,
    "claim_type"   text        NOT NULL,
    "environment"  text        NOT NULL,
    "expires_at"   timestamptz NOT NULL,
    "state"        text        NOT NULL,
    "session_id"   text,
    "reserved_by"  text,
    "created_at"   timestamptz NOT NULL,
    CONSTRAINT "PK_persona_relay_pre_issued_token" PRIMARY KEY ("id"),
    CONSTRAINT "FK_persona_relay_pre_issued_token_session"
      FOREIGN KEY ("session_id") REFERENCES "persona_relay_relay_secret" ("id"),
    CONSTRAINT "CHK_persona_relay_pre_issued_token_environment" CHECK ("environment" IN ('production', 'sandbox')),
    CONSTRAINT "CHK_persona_relay_pre_issued_token_state"
      CHECK ("state" IN ('AVAILABLE', 'RESERVED', 'CONSUMED', 'EXPIRED', 'UNUSABLE'))
  )`,
  `CREATE INDEX "IDX_persona_relay_pre_issued_token_reservation"
    ON "persona_relay_pre_issued_token" ("claim_type", "environment", "state", "expires_at")`,
  `CREATE INDEX "IDX_persona_relay_pre_issued_token_session_id"
    ON "persona_relay_pre_issued_token" ("session_id")`,

  `CREATE TABLE "persona_relay_idempotency_record" (
    "key"              text        NOT NULL,
    "session_id"       text        NOT NULL,
    "pass_id"          text        NOT NULL,
    "state"            text        NOT NULL,
    "attempts"         integer     NOT NULL,
    "lease_owner"      text,
    "lease_expires_at" timestamptz,
    "response_sealed"  text,
    "failure"          text,
    "created_at"       timestamptz NOT NULL,
    "updated_at"       timestamptz NOT NULL,
    CONSTRAINT "PK_persona_relay_idempotency_record" PRIMARY KEY ("key"),
    CONSTRAINT "FK_persona_relay_idempotency_record_session"
      FOREIGN KEY ("session_id") REFERENCES "persona_relay_relay_secret" ("id"),
    CONSTRAINT "FK_persona_relay_idempotency_record_pass"
      FOREIGN KEY ("pass_id") REFERENCES "persona_relay_pre_issued_token" ("id"),
    CONSTRAINT "CHK_persona_relay_idempotency_record_state"
      CHECK ("state" IN ('PENDING', 'SUCCEEDED', 'FAILED_FINAL', 'UNKNOWN')),
    CONSTRAINT "CHK_persona_relay_idempotency_record_attempts" CHECK ("attempts" >= 0)
  )`,
  `CREATE UNIQUE INDEX "UQ_persona_relay_idempotency_record_pending_session"
    ON "persona_relay_idempotency_record" ("session_id") WHERE "state" = 'PENDING'`,
  `CREATE UNIQUE INDEX "UQ_persona_relay_idempotency_record_pending_pass"
    ON "persona_relay_idempotency_record" ("pass_id") WHERE "state" = 'PENDING'`,
  `CREATE INDEX "IDX_persona_relay_idempotency_record_session_created_at"
    ON "persona_relay_idempotency_record" ("session_id", "created_at")`,
  `CREATE INDEX "IDX_persona_relay_idempotency_record_pending_created_at"
    ON "persona_relay_idempotency_record" ("created_at") WHERE "state" = 'PENDING'`,

  `CREATE TABLE "persona_relay_verified_claim" (
    "session_id"  text        NOT NULL,
    "subject"     text        NOT NULL,
    "claim_type"  text        NOT NULL,
    "result"      text        NOT NULL,
    "methodology" jsonb,
    "verified_at" timestamptz NOT NULL,
    CONSTRAINT "PK_persona_relay_verified_claim" PRIMARY KEY ("session_id"),
    CONSTRAINT "FK_persona_relay_verified_claim_session"
      FOREIGN KEY ("session_id") REFERENCES "persona_relay_relay_secret" ("id"),
    CONSTRAINT "CHK_persona_relay_verified_claim_result" CHECK ("result" IN ('passed', 'failed'))
  )`,
  `CREATE INDEX "IDX_persona_relay_verified_claim_subject_claim_type"
    ON "persona_relay_verified_claim" ("subject", "claim_type")`,
];
