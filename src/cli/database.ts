/**
 * Opening the library's database for the commands: PostgreSQL on `DATABASE_URL`, else the embedded PGlite
 * directory the app uses. Never applies migrations by itself (only `migrate` does), never creates an embedded
 * database that is not there, and reports every failure as one secret-free line.
 *
 * TypeORM and PGlite are optional peer dependencies, so they are imported only when a command opens the
 * database: `keys` and `--help` work without them.
 */
import { existsSync } from 'node:fs';
import type { DataSource as TypeOrmDataSource } from 'typeorm';
import { EmbeddedDataDirInUseError, embeddedDataDirPath } from '../typeorm/embedded/data-dir-claims.js';
import { withTypeOrm } from '../typeorm/open-relay-storage.js';
import type { DatabaseSettings } from './configuration.js';

/** The database cannot be opened; `message` is one line and holds no secret. */
export class StorageUnavailableError extends Error {
  override readonly name: string = 'StorageUnavailableError';
}

/** The embedded database has not been created yet (the app creates it on its first start). */
export class EmbeddedDatabaseMissingError extends StorageUnavailableError {
  override readonly name = 'EmbeddedDatabaseMissingError';
}

/** Names the database for a report: host, port and database of a URL (never its credentials), or the directory. */
export function describeDatabase(settings: DatabaseSettings): string {
  if (settings.databaseUrl !== undefined) {
    const url = new URL(settings.databaseUrl);
    return `PostgreSQL at ${url.host}${url.pathname}`;
  }
  const dir = embeddedDataDirPath(settings.dataDir);
  return dir === undefined ? 'embedded PGlite in memory' : `embedded PGlite in ${dir}`;
}

/**
 * Opens the database without running migrations. The caller destroys the data source.
 *
 * @throws EmbeddedDatabaseMissingError when the embedded database's directory does not exist
 * @throws StorageUnavailableError when the database cannot be opened
 */
export async function openDatabase(settings: DatabaseSettings): Promise<TypeOrmDataSource> {
  const dir = settings.databaseUrl === undefined ? embeddedDataDirPath(settings.dataDir) : undefined;
  if (dir !== undefined && !existsSync(dir)) {
    throw new EmbeddedDatabaseMissingError(`no embedded database in ${dir} yet: the app creates it on its first start`);
  }
  const [{ DataSource }, { relayDataSourceOptions }] = await withTypeOrm(() =>
    Promise.all([import('typeorm'), import('../typeorm/index.js')]),
  ).catch((error: unknown) => {
    throw new StorageUnavailableError(firstLine(error instanceof Error ? error.message : String(error)));
  });
  const dataSource = new DataSource({ ...relayDataSourceOptions(settings), migrationsRun: false });
  try {
    return await dataSource.initialize();
  } catch (error) {
    throw new StorageUnavailableError(openFailure(settings, error));
  }
}

function openFailure(settings: DatabaseSettings, error: unknown): string {
  if (error instanceof EmbeddedDataDirInUseError) {
    const holder = error.holderPid === undefined ? 'another process' : `process ${error.holderPid}`;
    return (
      `the embedded database in ${error.dir} is in use by ${holder}, most likely the running app: ` +
      'PGlite serves one process at a time, so stop the app first (or use PostgreSQL through DATABASE_URL)'
    );
  }
  const reason = firstLine(error instanceof Error ? error.message : String(error)) || 'unknown error';
  return `cannot open ${describeDatabase(settings)}: ${withoutSecrets(reason, settings)}`;
}

/** Names of the shipped migrations not yet applied, oldest first. Reads only: creates no migrations table. */
export async function pendingMigrations(dataSource: TypeOrmDataSource): Promise<string[]> {
  const { MigrationExecutor } = await import('typeorm');
  const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
  return pending.map((migration) => migration.name);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

/** Drivers may quote the connection string or its password in their errors. */
function withoutSecrets(text: string, settings: DatabaseSettings): string {
  if (settings.databaseUrl === undefined) return text;
  const url = new URL(settings.databaseUrl);
  const secrets = [settings.databaseUrl, decodeURIComponent(url.password), url.password].filter((secret) => secret !== '');
  return secrets.reduce((scrubbed, secret) => scrubbed.replaceAll(secret, '[redacted]'), text);
}
