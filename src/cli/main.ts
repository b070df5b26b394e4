/**
 * The `persona-relay` program, written against injected I/O ({@link CliIo}) so tests run it in process:
 * global flags and one command in, a report and an exit code out.
 */
import { parseArgs } from 'node:util';
import { readPackageVersion } from '../core/package-version.js';
import type { Command } from './commands/command.js';
import { doctor } from './commands/doctor.js';
import { keys } from './commands/keys.js';
import { migrate } from './commands/migrate.js';
import { stats } from './commands/stats.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

export type { CliIo } from './io.js';
export { ExitCode } from './exit-codes.js';

const COMMANDS: Readonly<Record<string, Command>> = { doctor, keys, migrate, stats };

export const USAGE = `Usage: persona-relay <command> [--json]

Commands:
  doctor    check the configuration (from the environment, as the library reads it), the database and its
            migrations, Persona (an anonymous challenge request to PERSONA_API_URL) and the clock against Persona's
  keys      print a fresh RELAY_STORAGE_KEY and RELAY_COOKIE_SECRET as .env lines
  migrate   apply the shipped migrations to the PostgreSQL database at DATABASE_URL
  stats     passes bought per delivered claim, passes wasted, open and unknown redemptions, key reserve

Options:
  --json     machine-readable output (one JSON document)
  --help     show this help
  --version  show the version

Exit codes:
  0  ok (warnings included)
  1  a check failed (e.g. pending migrations)
  2  usage error
  3  configuration invalid
  4  storage unreachable (or the embedded database is in use by the running app)
  5  Persona unreachable`;

/** Runs the program; resolves with its exit code. */
export async function runPersonaRelayCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch (error) {
    return usageError(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return ExitCode.OK;
  }
  if (values.version) {
    io.stdout(readPackageVersion());
    return ExitCode.OK;
  }
  const [name, ...extra] = positionals;
  if (name === undefined) return usageError(io, 'no command given');
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) return usageError(io, `unknown command: ${name}`);
  if (extra.length > 0) return usageError(io, `unexpected argument: ${extra[0]}`);

  const result = await command(io);
  io.stdout(values.json ? JSON.stringify(result.json, null, 2) : result.lines.join('\n'));
  return result.exitCode;
}

function usageError(io: CliIo, problem: string): ExitCode {
  io.stderr(`persona-relay: ${problem}\n\n${USAGE}`);
  return ExitCode.USAGE;
}
