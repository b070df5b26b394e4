import type { ExitCode } from '../exit-codes.js';
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
