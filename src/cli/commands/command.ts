import type { DataSource } from 'typeorm';
import type { DatabaseSettings } from '../configuration.js';
import { openDatabase, StorageUnavailableError } from '../database.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/** What a command reports: lines for people, a value for `--json`, and the exit code. */
export interface CommandResult {
  readonly exitCode: ExitCode;
  readonly lines: readonly string[];
  readonly json: unknown;
}

export type Command = (io: CliIo) => Promise<CommandResult>;

/** A command that could not do its work: the lines say why (as JSON: `{ ok: false, error }`). */
export function failed(exitCode: ExitCode, lines: readonly string[]): CommandResult {
  return { exitCode, lines, json: { ok: false, error: lines.join('\n') } };
}

/** The database for a command that needs it, or the result to report (storage unreachable) when it cannot be opened. */
export async function openDatabaseOrFail(settings: DatabaseSettings): Promise<{ dataSource: DataSource } | { result: CommandResult }> {
  try {
    return { dataSource: await openDatabase(settings) };
  } catch (error) {
    if (!(error instanceof StorageUnavailableError)) throw error;
    return { result: failed(ExitCode.STORAGE_UNREACHABLE, [error.message]) };
  }
}
