/**
 * `persona-relay stats`: what the passes bought have achieved, from the database: passes bought per
 * delivered claim, passes wasted, redemptions still open or in doubt, and the key reserve.
 */
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { databaseProblems, readConfiguration } from '../configuration.js';
import { pendingMigrations } from '../database.js';
import { ExitCode } from '../exit-codes.js';
import { failed, openDatabaseOrFail, type Command } from './command.js';

/** The numbers `stats` reports. */
export interface RelayStats {
  /** Every Privacy Pass issued (bought), whatever became of it. */
  readonly passesBought: number;
  /** Claims read from Persona and stored. */
  readonly claimsDelivered: number;
  /** `passesBought / claimsDelivered`; null before the first claim. */
  readonly passesPerClaim: number | null;
  /** Passes that will never be redeemed: expired, or refused by Persona (unusable). */
  readonly passesWasted: { readonly expired: number; readonly unusable: number; readonly total: number };
  /** Redemptions in flight (PENDING) and given up in doubt (UNKNOWN: Persona may or may not have consumed the pass). */
  readonly redemptions: { readonly pending: number; readonly unknown: number };
  /** Ready key pairs by modulus size; null when this database has no key reserve. */
  readonly keyReserve: Readonly<Record<string, number>> | null;
}

export const stats: Command = async (io) => {
  const configuration = readConfiguration(io.env);
  const { database } = configuration;
  if (database === undefined) {
    return failed(ExitCode.INVALID_CONFIG, ['the database configuration is invalid:', ...databaseProblems(configuration)]);
  }
  const opened = await openDatabaseOrFail(database);
  if ('result' in opened) return opened.result;
  const { dataSource } = opened;
  try {
    const pending = await pendingMigrations(dataSource);
    if (pending.length > 0) {
      return failed(ExitCode.CHECK_FAILED, [`the database lacks migrations (${pending.join(', ')}): nothing to count yet`]);
    }
    const numbers = await readStats(dataSource);
    return { exitCode: ExitCode.OK, lines: statsLines(numbers), json: numbers };
  } finally {
    await dataSource.destroy();
  }
};

async function readStats(dataSource: DataSource): Promise<RelayStats> {
  const { IdempotencyRecord, PreIssuedToken, VerifiedClaim } = await import('../../typeorm/index.js');
  const passes = await countByState(dataSource, PreIssuedToken);
  const redemptions = await countByState(dataSource, IdempotencyRecord);
  const passesBought = [...passes.values()].reduce((sum, count) => sum + count, 0);
  const claimsDelivered = await dataSource.getRepository(VerifiedClaim).count();
  const expired = passes.get('EXPIRED') ?? 0;
  const unusable = passes.get('UNUSABLE') ?? 0;
  return {
    passesBought,
    claimsDelivered,
    passesPerClaim: claimsDelivered === 0 ? null : passesBought / claimsDelivered,
    passesWasted: { expired, unusable, total: expired + unusable },
    redemptions: { pending: redemptions.get('PENDING') ?? 0, unknown: redemptions.get('UNKNOWN') ?? 0 },
    keyReserve: await keyReserveLevels(dataSource),
  };
}

/** Rows by their `state` column. */
async function countByState(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>): Promise<Map<string, number>> {
  const rows = await dataSource
    .getRepository(entity)
    .createQueryBuilder('row')
    .select('row.state', 'state')
    .addSelect('COUNT(*)', 'count')
    .groupBy('row.state')
    .getRawMany<{ state: string; count: string | number }>();
  return new Map(rows.map(({ state, count }) => [state, Number(count)]));
}

/**
 * Ready key pairs by modulus size, or null on a database without the key reserve table (a schema from before
 * the reserve existed). Kept apart so it can become the storage's own count once the reserve is a storage port.
 */
async function keyReserveLevels(dataSource: DataSource): Promise<Record<string, number> | null> {
  const table = 'persona_relay_key_reserve';
  const queryRunner = dataSource.createQueryRunner();
  try {
    if (!(await queryRunner.hasTable(table))) return null;
    const rows = (await queryRunner.query(
      `SELECT modulus_bits AS bits, COUNT(*) AS count FROM ${table} GROUP BY modulus_bits ORDER BY modulus_bits`,
    )) as { bits: number | string; count: number | string }[];
    return Object.fromEntries(rows.map(({ bits, count }) => [String(bits), Number(count)]));
  } finally {
    await queryRunner.release();
  }
}

function statsLines(numbers: RelayStats): string[] {
  const { passesWasted, redemptions, keyReserve } = numbers;
  const reserve =
    keyReserve === null
      ? 'n/a'
      : Object.entries(keyReserve).map(([bits, count]) => `${count} × ${bits}-bit`).join(', ') || 'empty';
  return [
    `passes bought:        ${numbers.passesBought}`,
    `claims delivered:     ${numbers.claimsDelivered}`,
    `passes per claim:     ${numbers.passesPerClaim === null ? 'n/a' : numbers.passesPerClaim.toFixed(2)}`,
    `passes wasted:        ${passesWasted.total} (expired ${passesWasted.expired}, unusable ${passesWasted.unusable})`,
    `redemptions pending:  ${redemptions.pending}`,
    `redemptions unknown:  ${redemptions.unknown}`,
    `key reserve:          ${reserve}`,
  ];
}
