/**
 * The `persona-relay` program in process (`runPersonaRelayCli`), against the emulator and embedded
 * databases in temporary directories: exit codes, one line per check, every configuration problem,
 * the embedded database held by another process, --json, and stats after a real redemption.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, runPersonaRelayCli, USAGE, type CliIo } from '../../../src/cli/main.js';
import { checkStorageKey } from '../../../src/core/config/index.js';
import { DATA_DIR_LOCK_FILE } from '../../../src/typeorm/embedded/data-dir-claims.js';
import {
  createEmbeddedDataSource,
  createRelayDataSource,
  createTypeOrmStorage,
  PreIssuedToken,
  RELAY_ENTITIES,
  RelayInitialSchema1767225600000,
} from '../../../src/typeorm/index.js';
import { TestEmulator, PRODUCTION_API_KEY } from '../../support/emulator.js';
import { createTestRelay, newStorageKey, openSession, POSTGRES_URL } from '../../support/relay.js';
import { createPostgresTestSchema } from '../../integration/storage/support/relay-test-databases.js';

let emulator: TestEmulator;
let root: string;
/** Answers 404 to everything: a URL that is not Persona's. */
let notPersona: Server;
let notPersonaUrl: string;

beforeAll(async () => {
  [emulator, root] = await Promise.all([TestEmulator.start(), mkdtemp(join(tmpdir(), 'persona-relay-cli-'))]);
  notPersona = createServer((_request, response) => response.writeHead(404).end('Not Found'));
  await new Promise<void>((resolve) => notPersona.listen(0, '127.0.0.1', resolve));
  notPersonaUrl = `http://127.0.0.1:${(notPersona.address() as { port: number }).port}`;
});
afterAll(async () => {
  await Promise.all([emulator?.close(), new Promise((resolve) => notPersona?.close(resolve))]);
  await rm(root, { recursive: true, force: true });
});

let directories = 0;
/** A fresh data directory path under the test's root (not created). */
const newDataDir = () => join(root, `data-${++directories}`);

/** An embedded database with every migration applied (doctor only reads it). */
let migratedDataDir: string;
beforeAll(async () => {
  migratedDataDir = newDataDir();
  await (await createRelayDataSource({ dataDir: migratedDataDir }).initialize()).destroy();
});

/**
 * A valid configuration on the emulator and the given data directory. Tests about anything but the database
 * name a directory that does not exist: doctor then only warns about it, without the seconds PGlite takes to open.
 */
function validEnv(dataDir: string): Record<string, string> {
  return {
    PERSONA_API_KEY: PRODUCTION_API_KEY,
    PERSONA_API_URL: emulator.url,
    RELAY_STORAGE_KEY: newStorageKey(),
    RELAY_DATA_DIR: dataDir,
  };
}

async function run(argv: string[], env: Record<string, string> = {}, now: () => number = Date.now) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env, now };
  const exitCode = await runPersonaRelayCli(argv, io);
  const stdout = out.join('\n');
  return { exitCode, stdout, stderr: err.join('\n'), lines: stdout.split('\n') };
}

describe('persona-relay doctor', () => {
  it('passes every check on a valid configuration, a migrated database and a reachable Persona', async () => {
    const { exitCode, lines } = await run(['doctor'], validEnv(migratedDataDir));
    expect(lines).toEqual([
      '✓ configuration: valid',
      expect.stringMatching(/^✓ storage: embedded PGlite in .*data-\d+ opened$/),
      '✓ migrations: all applied',
      expect.stringMatching(/^✓ persona: http:\/\/127\.0\.0\.1:\d+ answered an anonymous challenge request in \d+ ms$/),
      // Same clock on both sides; Date has one-second resolution, so an answer slowed across a second reads as 1 s.
      expect.stringMatching(/^✓ clock: (in sync with Persona \(to the second\)|1 s (behind|ahead of) Persona's clock)$/),
    ]);
    expect(exitCode).toBe(ExitCode.OK);
  });

  it('sends the challenge request without an API key', async () => {
    await emulator.reset();
    await run(['doctor'], validEnv(newDataDir()));
    const requests = await emulator.requests();
    expect(requests).toEqual([expect.objectContaining({ path: '/api/privacy/v1/relays/challenge', status: 200 })]);
    expect(requests[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(requests)).not.toContain(PRODUCTION_API_KEY);
  });

  it('reports every problem of an invalid configuration without its secrets, and still checks the rest', async () => {
    const badKey = 'dG9vLXNob3J0';
    const env = { ...validEnv(newDataDir()), RELAY_STORAGE_KEY: badKey, RELAY_POOL_SIZE: 'many', RELAY_ISSUANCE: 'sometimes' };
    delete (env as Record<string, string | undefined>).PERSONA_API_KEY;
    const { exitCode, lines, stdout } = await run(['doctor'], env);
    expect(exitCode).toBe(ExitCode.INVALID_CONFIG);
    expect(lines.slice(0, 5)).toEqual([
      '✗ configuration: 4 problems',
      expect.stringMatching(/^ {4}apiKey: is required \(set PERSONA_API_KEY\)$/),
      expect.stringMatching(/^ {4}storageKey: .*\(from RELAY_STORAGE_KEY\)$/),
      expect.stringMatching(/^ {4}issuance: .*\(from RELAY_ISSUANCE\)$/),
      expect.stringMatching(/^ {4}pool\.size: .*\(from RELAY_POOL_SIZE\)$/),
    ]);
    expect(lines.slice(5).map((line) => line.split(':')[0])).toEqual(['! storage', '- migrations', '✓ persona', '✓ clock']);
    expect(stdout).not.toContain(badKey);
  });

  it('skips the checks whose own options are invalid', async () => {
    const env = { ...validEnv(newDataDir()), DATABASE_URL: 'mysql://user:hunter2@db/relay', PERSONA_API_URL: 'ftp://persona' };
    const { exitCode, lines, stdout } = await run(['doctor'], env);
    expect(exitCode).toBe(ExitCode.INVALID_CONFIG);
    expect(lines.filter((line) => line.startsWith('-'))).toEqual([
      '- storage: skipped: the configuration of this check is invalid',
      '- migrations: skipped: no storage',
      '- persona: skipped: the configuration of this check is invalid',
      '- clock: skipped: Persona not reached',
    ]);
    expect(stdout).not.toContain('hunter2');
  });

  it('exits 5 with one line naming the reason when nothing listens at PERSONA_API_URL', async () => {
    const { exitCode, lines } = await run(['doctor'], { ...validEnv(newDataDir()), PERSONA_API_URL: 'http://127.0.0.1:1' });
    expect(exitCode).toBe(ExitCode.PERSONA_UNREACHABLE);
    expect(lines.filter((line) => line.startsWith('✗'))).toEqual(['✗ persona: no answer from http://127.0.0.1:1 (ECONNREFUSED)']);
  });

  it('exits 5 when PERSONA_API_URL answers, but not as Persona', async () => {
    const { exitCode, lines } = await run(['doctor'], { ...validEnv(newDataDir()), PERSONA_API_URL: notPersonaUrl });
    expect(exitCode).toBe(ExitCode.PERSONA_UNREACHABLE);
    expect(lines.filter((line) => line.startsWith('✗'))).toEqual([
      `✗ persona: ${notPersonaUrl} answered the challenge request with 404 Not Found: is PERSONA_API_URL Persona's base URL?`,
    ]);
  });

  it('says that the running app holds the embedded database instead of opening it', async () => {
    const dataDir = newDataDir();
    mkdirSync(dataDir);
    // A lock naming a live process other than this one: the test runner's parent stands in for the app.
    writeFileSync(join(dataDir, DATA_DIR_LOCK_FILE), `${process.ppid}\n`);
    const { exitCode, lines } = await run(['doctor'], validEnv(dataDir));
    expect(exitCode).toBe(ExitCode.STORAGE_UNREACHABLE);
    expect(lines[1]).toBe(
      `✗ storage: the embedded database in ${dataDir} is in use by process ${process.ppid}, most likely the running app: ` +
        'PGlite serves one process at a time, so stop the app first (or use PostgreSQL through DATABASE_URL)',
    );
    expect(lines[2]).toBe('- migrations: skipped: no storage');
    expect(readFileSync(join(dataDir, DATA_DIR_LOCK_FILE), 'utf8').trim()).toBe(String(process.ppid));
  });

  it('lists pending migrations of the embedded database as a warning: the app applies them when it starts', async () => {
    const dataDir = newDataDir();
    const partial = createEmbeddedDataSource({ dataDir, entities: RELAY_ENTITIES, migrations: [RelayInitialSchema1767225600000] });
    await partial.initialize();
    await partial.runMigrations();
    await partial.destroy();
    const { exitCode, lines } = await run(['doctor'], validEnv(dataDir));
    expect(lines[2]).toBe(
      '! migrations: 2 pending (RelaySessionSlots1796256000000, RelayKeyReserve1796342400000): the app applies them on its next start',
    );
    expect(exitCode).toBe(ExitCode.OK);
  });

  it('skips the storage checks of an in-memory embedded database, which only the app process has', async () => {
    const { exitCode, lines } = await run(['doctor'], validEnv('memory://'));
    expect(lines.slice(1, 3)).toEqual([
      '- storage: skipped: the embedded database is in memory, inside the app process only',
      '- migrations: skipped: the app applies them when it starts',
    ]);
    expect(exitCode).toBe(ExitCode.OK);
  });

  it('warns, without creating it, when the embedded database does not exist yet', async () => {
    const dataDir = newDataDir();
    const { exitCode, lines } = await run(['doctor'], validEnv(dataDir));
    expect(lines[1]).toBe(`! storage: no embedded database in ${dataDir} yet: the app creates it on its first start`);
    expect(exitCode).toBe(ExitCode.OK);
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each([
    [+45_000, '! clock: 45 s ahead of Persona\'s clock: synchronize this machine\'s clock (NTP)'],
    [-45_000, '! clock: 45 s behind Persona\'s clock: synchronize this machine\'s clock (NTP)'],
    [+20_000, '✓ clock: 20 s ahead of Persona\'s clock'],
  ])('compares the clock with Persona\'s Date header (this clock %i ms off)', async (offsetMs, expected) => {
    // Date names whole seconds: start just after one begins, so that the guess of Persona's time is close.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    const { exitCode, lines } = await run(['doctor'], validEnv(newDataDir()), () => Date.now() + offsetMs);
    expect(lines[4]).toBe(expected);
    expect(exitCode).toBe(ExitCode.OK);
  });

  it('prints the checks as JSON with --json', async () => {
    const { exitCode, stdout } = await run(['doctor', '--json'], { ...validEnv(newDataDir()), PERSONA_API_URL: 'http://127.0.0.1:1' });
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ ok: false, exitCode: ExitCode.PERSONA_UNREACHABLE });
    expect(report.checks.map((check: any) => [check.name, check.status])).toEqual([
      ['configuration', 'ok'],
      ['storage', 'warn'],
      ['migrations', 'skipped'],
      ['persona', 'fail'],
      ['clock', 'skipped'],
    ]);
    expect(exitCode).toBe(ExitCode.PERSONA_UNREACHABLE);
  });
});

describe('persona-relay keys', () => {
  it('prints a fresh storage key and cookie secret as .env lines', async () => {
    const first = await run(['keys']);
    const second = await run(['keys']);
    expect(first.exitCode).toBe(ExitCode.OK);
    expect(first.lines).toEqual([expect.stringMatching(/^RELAY_STORAGE_KEY=[A-Za-z0-9+/]{43}=$/), expect.stringMatching(/^RELAY_COOKIE_SECRET=[\w-]{43}$/)]);
    const storageKey = first.lines[0]!.slice('RELAY_STORAGE_KEY='.length);
    expect(checkStorageKey(storageKey)).toEqual({ value: storageKey });
    expect(second.lines[0]).not.toBe(first.lines[0]);
    expect(second.lines[1]).not.toBe(first.lines[1]);
  });

  it('prints them as a JSON object with --json', async () => {
    const { stdout } = await run(['--json', 'keys']);
    expect(Object.keys(JSON.parse(stdout))).toEqual(['RELAY_STORAGE_KEY', 'RELAY_COOKIE_SECRET']);
  });
});

describe('persona-relay migrate', () => {
  it('refuses without DATABASE_URL, saying why', async () => {
    const { exitCode, stdout } = await run(['migrate'], validEnv(newDataDir()));
    expect(exitCode).toBe(ExitCode.INVALID_CONFIG);
    expect(stdout).toMatch(/^cannot migrate: DATABASE_URL is not set/);
  });

  it('refuses an invalid DATABASE_URL without showing it', async () => {
    const { exitCode, stdout } = await run(['migrate', '--json'], { DATABASE_URL: 'mysql://user:hunter2@db/relay' });
    expect(exitCode).toBe(ExitCode.INVALID_CONFIG);
    expect(JSON.parse(stdout)).toEqual({ ok: false, error: expect.stringMatching(/^the database configuration is invalid:\ndatabaseUrl: /) });
    expect(stdout).not.toContain('hunter2');
  });

  it('exits 4 when PostgreSQL cannot be reached, without the password', async () => {
    const { exitCode, stdout } = await run(['migrate'], { DATABASE_URL: 'postgres://relay:hunter2@127.0.0.1:1/relay' });
    expect(exitCode).toBe(ExitCode.STORAGE_UNREACHABLE);
    expect(stdout).toMatch(/^cannot open PostgreSQL at 127\.0\.0\.1:1\/relay: .*ECONNREFUSED/);
    expect(stdout).not.toContain('hunter2');
  });

  it.skipIf(POSTGRES_URL === undefined)('applies the shipped migrations on PostgreSQL, once', async () => {
    const schema = await createPostgresTestSchema();
    try {
      const env = { ...validEnv(newDataDir()), DATABASE_URL: schema.url };
      const first = await run(['migrate', '--json'], env);
      expect(JSON.parse(first.stdout)).toEqual({ ok: true, applied: ['RelayInitialSchema1767225600000', 'RelaySessionSlots1796256000000', 'RelayKeyReserve1796342400000'] });
      const second = await run(['migrate'], env);
      expect(second.stdout).toMatch(/: no pending migrations$/);
      const doctor = await run(['doctor'], env);
      expect(doctor.lines[2]).toBe('✓ migrations: all applied');
      expect(doctor.exitCode).toBe(ExitCode.OK);
    } finally {
      await schema.drop();
    }
  });
});

describe('persona-relay stats', () => {
  it('counts passes, claims, waste and open redemptions after a redemption', async () => {
    const dataDir = newDataDir();
    const env = validEnv(dataDir);
    const dataSource = await createRelayDataSource({ dataDir }).initialize();
    // Plaintext payloads: no key reserve filling in the background, so the reserve's level below is known.
    const relay = createTestRelay({
      apiUrl: emulator.url,
      storage: createTypeOrmStorage(dataSource),
      options: { storageKey: env.RELAY_STORAGE_KEY, encryption: 'none' },
    });
    try {
      const redeemed = await openSession(relay, 'alice');
      await emulator.complete(redeemed.accessToken);
      await relay.services.claims.redeem('alice', redeemed.sessionId);
      // Two more passes bought; one of them expired unused.
      await openSession(relay, 'bob');
      const wasted = await openSession(relay, 'carol');
      await dataSource.getRepository(PreIssuedToken).update({ sessionId: wasted.sessionId }, { state: 'EXPIRED' });
    } finally {
      await relay.close();
      await dataSource.destroy();
    }

    const { exitCode, lines } = await run(['stats'], env);
    expect(lines).toEqual([
      'passes bought:        3',
      'claims delivered:     1',
      'passes per claim:     3.00',
      'passes wasted:        1 (expired 1, unusable 0)',
      'redemptions pending:  0',
      'redemptions unknown:  0',
      'key reserve:          empty',
    ]);
    expect(exitCode).toBe(ExitCode.OK);
    expect(JSON.parse((await run(['stats', '--json'], env)).stdout)).toEqual({
      passesBought: 3,
      claimsDelivered: 1,
      passesPerClaim: 3,
      passesWasted: { expired: 1, unusable: 0, total: 1 },
      redemptions: { pending: 0, unknown: 0 },
      keyReserve: {},
    });
  });

  it('exits 4 when the embedded database does not exist', async () => {
    const { exitCode, stdout } = await run(['stats'], validEnv(newDataDir()));
    expect(exitCode).toBe(ExitCode.STORAGE_UNREACHABLE);
    expect(stdout).toMatch(/^no embedded database in .* yet/);
  });
});

describe('persona-relay usage', () => {
  it.each([[[]], [['frobnicate']], [['doctor', 'now']], [['keys', '--bogus']]])('exits 2 with the usage on stderr for %j', async (argv) => {
    const { exitCode, stdout, stderr } = await run(argv);
    expect(exitCode).toBe(ExitCode.USAGE);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: persona-relay <command>');
  });

  it('documents the commands and every exit code in --help', async () => {
    const { exitCode, stdout } = await run(['--help']);
    expect(exitCode).toBe(ExitCode.OK);
    expect(stdout).toBe(USAGE);
    for (const [name, code] of Object.entries(ExitCode)) expect(stdout, name).toMatch(new RegExp(`^  ${code}  \\S`, 'm'));
    for (const command of ['doctor', 'keys', 'migrate', 'stats']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('prints the package version for --version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(await run(['--version'])).toMatchObject({ exitCode: ExitCode.OK, stdout: version });
  });
});
