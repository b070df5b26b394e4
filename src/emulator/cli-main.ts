/**
 * The `persona-relay-emulator` program, written against injected I/O so it can be tested in
 * process: flags → options, start, one `listening on …` line on stdout, run until asked to stop.
 */
import { readFileSync } from 'node:fs';
import { startEmulator } from './index.js';
import type { AutoComplete, EmulatorOptions, OaepHash } from './options.js';

/** What the program touches outside itself. */
export interface CliIo {
  /** Writes one line to standard output (only the `listening on …` line, or the usage for `--help`). */
  stdout(line: string): void;
  /** Writes one line to standard error (usage errors, request logs). */
  stderr(line: string): void;
  /** Settles when the program should stop (SIGINT/SIGTERM in the real program). */
  shutdownRequested: Promise<unknown>;
}

/** The CLI's port when `--port` is not given (in-process starts default to `0`). */
const CLI_DEFAULT_PORT = 8787;

const USAGE = `Usage: persona-relay-emulator [flags]

  --host HOST            listen address (default 127.0.0.1)
  --port N               listen port, 0 = any free port (default ${CLI_DEFAULT_PORT})
  --api-key KEY          accepted API key, repeatable; persona_sandbox_* = sandbox, else production
                         (default persona_sandbox_emulator)
  --signing-key FILE     PEM PKCS#8 RSA private key used as every blind-signing key
                         (default: a fresh RSA-2048 key per environment and claim type)
  --challenge-ttl T      1h = ceil_to_hour(now + 1 h); or <integer>s|m|h|d (default 1h)
  --oaep-hash H          sha256 or sha1 (default sha256)
  --auto-complete M      off, passed or failed (default off)
  --rate-limit N         privacy-passes requests per minute per environment, 0 = off (default 300)
  --help                 show this help`;

/**
 * Runs the program; resolves with its exit code: 0 after a clean shutdown (or `--help`), 2 for bad flags (usage on
 * stderr), 1 when the server cannot start.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseFlags(argv);
  if (parsed === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (typeof parsed === 'string') return usageError(io, parsed);

  let emulator;
  try {
    emulator = await startEmulator({ ...parsed, logger: (message) => io.stderr(message) });
  } catch (error) {
    if (error instanceof TypeError) return usageError(io, error.message);
    io.stderr(`persona-relay-emulator: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  io.stdout(`listening on ${emulator.url}`);
  await io.shutdownRequested;
  await emulator.close();
  return 0;
}

function usageError(io: CliIo, problem: string): number {
  io.stderr(`persona-relay-emulator: ${problem}\n\n${USAGE}`);
  return 2;
}

/** Flags → options, `'help'`, or a problem description. */
function parseFlags(argv: readonly string[]): EmulatorOptions | 'help' | string {
  const options: EmulatorOptions = { port: CLI_DEFAULT_PORT };
  const apiKeys: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return 'help';
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) return `unexpected argument: ${arg}`;
    const flag = match[1] as string;
    let value = match[2];
    if (!VALUE_FLAGS.has(flag)) return `unknown flag: --${flag}`;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) return `--${flag} needs a value`;
    }
    switch (flag) {
      case 'host':
        options.host = value;
        break;
      case 'port':
        if (!/^[0-9]{1,5}$/.test(value)) return `--port must be an integer 0-65535, got ${value}`;
        options.port = Number(value);
        break;
      case 'api-key':
        apiKeys.push(value);
        break;
      case 'signing-key':
        try {
          options.signingKeyPem = readFileSync(value, 'utf8');
        } catch (error) {
          return `--signing-key: cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
        }
        break;
      case 'challenge-ttl':
        options.challengeTtl = value;
        break;
      case 'oaep-hash':
        options.oaepHash = value as OaepHash;
        break;
      case 'auto-complete':
        options.autoComplete = value as AutoComplete;
        break;
      case 'rate-limit':
        if (!/^[0-9]+$/.test(value)) return `--rate-limit must be a non-negative integer, got ${value}`;
        options.rateLimit = Number(value);
        break;
    }
  }
  if (apiKeys.length > 0) options.apiKeys = apiKeys;
  return options;
}

const VALUE_FLAGS = new Set([
  'host',
  'port',
  'api-key',
  'signing-key',
  'challenge-ttl',
  'oaep-hash',
  'auto-complete',
  'rate-limit',
]);
