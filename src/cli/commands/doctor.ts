/**
 * `persona-relay doctor`: is this deployment ready? Checks the configuration, the database, its migrations,
 * Persona and the clock, in that order, each on one line; checks that depend on a failed one are skipped.
 */
import { checkLines, exitCodeOf, type CheckResult } from '../checks.js';
import { readConfiguration, type DatabaseSettings, type PersonaSettings } from '../configuration.js';
import {
  describeDatabase,
  EmbeddedDatabaseMissingError,
  openDatabase,
  pendingMigrations,
  StorageUnavailableError,
} from '../database.js';
import { ExitCode } from '../exit-codes.js';
import { probePersona, PersonaUnreachableError, type PersonaAnswer } from '../persona-probe.js';
import type { Command } from './command.js';
import { embeddedDataDirPath } from '../../typeorm/embedded/data-dir-claims.js';

/**
 * A clock this far off Persona's starts to matter: challenge and pass expiries are Persona's times,
 * compared with this machine's.
 */
export const CLOCK_SKEW_WARNING_MS = 30_000;

export const doctor: Command = async (io) => {
  const configuration = readConfiguration(io.env);
  const checks: CheckResult[] = [
    configuration.problems.length === 0
      ? { name: 'configuration', status: 'ok', message: 'valid' }
      : {
          name: 'configuration',
          status: 'fail',
          message: configuration.problems.length === 1 ? '1 problem' : `${configuration.problems.length} problems`,
          details: configuration.problems,
          exitCode: ExitCode.INVALID_CONFIG,
        },
    ...(await databaseChecks(configuration.database)),
    ...(await personaChecks(configuration.persona, io.now)),
  ];
  const exitCode = exitCodeOf(checks);
  return { exitCode, lines: checkLines(checks), json: { ok: exitCode === ExitCode.OK, exitCode, checks } };
};

const SKIPPED_FOR_CONFIGURATION = 'skipped: the configuration of this check is invalid';

async function databaseChecks(settings: DatabaseSettings | undefined): Promise<CheckResult[]> {
  if (settings === undefined) {
    return [
      { name: 'storage', status: 'skipped', message: SKIPPED_FOR_CONFIGURATION },
      { name: 'migrations', status: 'skipped', message: 'skipped: no storage' },
    ];
  }
  if (settings.databaseUrl === undefined && embeddedDataDirPath(settings.dataDir) === undefined) {
    // A second in-memory database would be a different, empty one: there is nothing here to check.
    return [
      { name: 'storage', status: 'skipped', message: 'skipped: the embedded database is in memory, inside the app process only' },
      { name: 'migrations', status: 'skipped', message: 'skipped: the app applies them when it starts' },
    ];
  }
  let dataSource;
  try {
    dataSource = await openDatabase(settings);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseMissingError) {
      return [
        { name: 'storage', status: 'warn', message: error.message },
        { name: 'migrations', status: 'skipped', message: 'skipped: the app applies them when it creates the database' },
      ];
    }
    if (!(error instanceof StorageUnavailableError)) throw error;
    return [
      { name: 'storage', status: 'fail', message: error.message, exitCode: ExitCode.STORAGE_UNREACHABLE },
      { name: 'migrations', status: 'skipped', message: 'skipped: no storage' },
    ];
  }
  try {
    const pending = await pendingMigrations(dataSource);
    return [
      { name: 'storage', status: 'ok', message: `${describeDatabase(settings)} opened` },
      pending.length === 0
        ? { name: 'migrations', status: 'ok', message: 'all applied' }
        : {
            name: 'migrations',
            // The app migrates its embedded database itself when it starts; a server needs `migrate`.
            status: settings.databaseUrl === undefined ? 'warn' : 'fail',
            message: `${pending.length} pending (${pending.join(', ')}): ${
              settings.databaseUrl === undefined ? 'the app applies them on its next start' : 'run `persona-relay migrate`'
            }`,
          },
    ];
  } finally {
    await dataSource.destroy();
  }
}

async function personaChecks(settings: PersonaSettings | undefined, now: () => number): Promise<CheckResult[]> {
  if (settings === undefined) {
    return [
      { name: 'persona', status: 'skipped', message: SKIPPED_FOR_CONFIGURATION },
      { name: 'clock', status: 'skipped', message: 'skipped: Persona not reached' },
    ];
  }
  let answer: PersonaAnswer;
  try {
    answer = await probePersona(settings, now);
  } catch (error) {
    if (!(error instanceof PersonaUnreachableError)) throw error;
    return [
      { name: 'persona', status: 'fail', message: error.message, exitCode: ExitCode.PERSONA_UNREACHABLE },
      { name: 'clock', status: 'skipped', message: 'skipped: Persona not reached' },
    ];
  }
  return [
    {
      name: 'persona',
      status: 'ok',
      message: `${settings.apiUrl} answered an anonymous challenge request in ${answer.roundTripMs} ms`,
    },
    clockCheck(answer.clockOffsetMs),
  ];
}

function clockCheck(offsetMs: number | undefined): CheckResult {
  if (offsetMs === undefined) return { name: 'clock', status: 'warn', message: 'Persona sent no Date header to compare with' };
  const seconds = Math.round(Math.abs(offsetMs) / 1000);
  const direction = offsetMs > 0 ? 'behind' : 'ahead of';
  const offset = seconds === 0 ? 'in sync with Persona (to the second)' : `${seconds} s ${direction} Persona's clock`;
  return Math.abs(offsetMs) > CLOCK_SKEW_WARNING_MS
    ? { name: 'clock', status: 'warn', message: `${offset}: synchronize this machine's clock (NTP)` }
    : { name: 'clock', status: 'ok', message: offset };
}
