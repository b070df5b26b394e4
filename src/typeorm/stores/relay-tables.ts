import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { IdempotencyRecord, PreIssuedToken, RelaySecret, ReservedKeyPair, SessionSlot, VerifiedClaim } from '../entities/index.js';

/** SQL fragments for one entity's table. */
export interface TableSql {
  /** The quoted table name. */
  readonly name: string;
  /**
   * Every column, aliased to its property name (`"claim_type" AS "claimType"`):
   * selected or returned rows are then already records of the ports.
   */
  readonly columns: string;
  /** The property names, in column order. */
  readonly properties: readonly string[];
}

/** The data source and the SQL names of persona-relay's tables. */
export interface RelayTables {
  readonly dataSource: DataSource;
  readonly sessions: TableSql;
  readonly sessionSlots: TableSql;
  readonly passes: TableSql;
  readonly redemptions: TableSql;
  readonly claims: TableSql;
  readonly keyReserve: TableSql;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function tableSql(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>): TableSql {
  const metadata = dataSource.getMetadata(entity);
  return {
    name: quote(metadata.tableName),
    columns: metadata.columns.map((column) => `${quote(column.databaseName)} AS ${quote(column.propertyName)}`).join(', '),
    properties: metadata.columns.map((column) => column.propertyName),
  };
}

/**
 * The columns of `source` (a CTE or subquery that selected `table.columns`)
 * renamed `prefix.property`, so that one row can carry records of two tables
 * whose property names overlap; {@link recordAt} takes one back out.
 */
export function prefixedColumns(table: TableSql, source: string, prefix: string): string {
  return table.properties.map((property) => `${quote(source)}.${quote(property)} AS ${quote(`${prefix}.${property}`)}`).join(', ');
}

/**
 * The record under `prefix` in a row built with {@link prefixedColumns}, or
 * `null` when its `keyProperty` is null (the outer join found no row).
 */
export function recordAt<T>(row: Record<string, unknown>, table: TableSql, prefix: string, keyProperty: string): T | null {
  if (row[`${prefix}.${keyProperty}`] === null) return null;
  return Object.fromEntries(table.properties.map((property) => [property, row[`${prefix}.${property}`]])) as T;
}

/** Reads the table names and columns from the entity metadata of an initialized `dataSource`. */
export function relayTables(dataSource: DataSource): RelayTables {
  if (!dataSource.isInitialized) {
    throw new TypeError('The TypeORM storage needs an initialized DataSource (await dataSource.initialize() first)');
  }
  return {
    dataSource,
    sessions: tableSql(dataSource, RelaySecret),
    sessionSlots: tableSql(dataSource, SessionSlot),
    passes: tableSql(dataSource, PreIssuedToken),
    redemptions: tableSql(dataSource, IdempotencyRecord),
    claims: tableSql(dataSource, VerifiedClaim),
    keyReserve: tableSql(dataSource, ReservedKeyPair),
  };
}

/** Rows and affected-row count of one statement. */
export interface SqlResult<Row> {
  readonly rows: Row[];
  readonly affected: number;
}

/**
 * Runs one statement on `manager`'s connection: inside its transaction when
 * `manager` is a transaction's, else on a connection borrowed for this
 * statement only. (The structured result keeps `UPDATE … RETURNING` rows
 * and counts apart, which `manager.query()` does not.)
 */
export async function runSql<Row = Record<string, unknown>>(
  manager: EntityManager,
  text: string,
  params: readonly unknown[] = [],
): Promise<SqlResult<Row>> {
  const borrowed = manager.queryRunner === undefined ? manager.dataSource.createQueryRunner() : null;
  const runner = manager.queryRunner ?? borrowed!;
  try {
    const result = await runner.query(text, [...params], true);
    return { rows: result.records as Row[], affected: result.affected ?? 0 };
  } finally {
    await borrowed?.release();
  }
}
