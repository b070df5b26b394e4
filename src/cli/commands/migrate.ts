/**
 * `persona-relay migrate`: applies the shipped migrations to the PostgreSQL database at `DATABASE_URL`, for
 * deployments that run them as a release step. The embedded database needs no such step: the app applies
 * them when it opens it.
 */
import { databaseProblems, readConfiguration } from '../configuration.js';
import { describeDatabase } from '../database.js';
import { ExitCode } from '../exit-codes.js';
import { failed, openDatabaseOrFail, type Command } from './command.js';

export const migrate: Command = async (io) => {
  const configuration = readConfiguration(io.env);
  const { database } = configuration;
  if (database === undefined) {
    return failed(ExitCode.INVALID_CONFIG, ['the database configuration is invalid:', ...databaseProblems(configuration)]);
  }
  if (database.databaseUrl === undefined) {
    return failed(ExitCode.INVALID_CONFIG, [
      'cannot migrate: DATABASE_URL is not set. `migrate` runs on PostgreSQL; the embedded database gets its ' +
        'migrations from the app when it opens it.',
    ]);
  }
  const opened = await openDatabaseOrFail(database);
  if ('result' in opened) return opened.result;
  const { dataSource } = opened;
  const target = describeDatabase(database);
  try {
    // One transaction for all of them: a failure leaves the schema as it was.
    const applied = (await dataSource.runMigrations({ transaction: 'all' })).map((migration) => migration.name);
    return {
      exitCode: ExitCode.OK,
      lines: [applied.length === 0 ? `${target}: no pending migrations` : `${target}: applied ${applied.join(', ')}`],
      json: { ok: true, applied },
    };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0];
    return failed(ExitCode.CHECK_FAILED, [`${target}: migrations failed, none applied: ${reason}`]);
  } finally {
    await dataSource.destroy();
  }
};
