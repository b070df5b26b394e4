/**
 * Consumer tests: the package as users get it. `npm pack` once, then for each
 * app a fresh folder, the README's install commands and code blocks (read from
 * README.md), and the claim flow against the emulator from the same tarball.
 *
 * RELAY_TEST_TARBALL=/path/to/persona-relay-x.y.z.tgz tests a tarball packed elsewhere;
 * CONSUMER_KEEP_APPS=1 keeps the app folders (in the system's temp folder) for a look afterwards.
 * The PostgreSQL app needs RELAY_TEST_POSTGRES_URL (.ci/run exports it) and is skipped without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimFlow,
  installFromReadme,
  newAppDir,
  PASSING_FLOW,
  relayEnv,
  removeAppDirs,
  run,
  startApp,
  writeFiles,
} from './consumer-app.js';
import { createPostgresTestSchema, POSTGRES_URL } from '../integration/storage/support/relay-test-databases.js';
import { readmeBlock } from './readme.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const API_KEY = 'persona_production_consumer';

const ADAPTER_PACKAGE_JSON = JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }, null, 2);

let tarball: string;
let emulator: ChildProcess | undefined;
let emulatorUrl: string;

/** The tarball users would install, built by `npm pack` (which runs the build). */
async function packOnce(): Promise<string> {
  if (process.env.RELAY_TEST_TARBALL) return process.env.RELAY_TEST_TARBALL;
  const destination = mkdtempSync(join(tmpdir(), 'persona-relay-pack-'));
  const output = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: REPO });
  const [{ filename }] = JSON.parse(output.slice(output.indexOf('[\n'))) as [{ filename: string }];
  return join(destination, filename);
}

/** The emulator as a user starts it: the README's install line, then its bin, completing every relay as passed. */
async function startEmulator(): Promise<string> {
  const dir = newAppDir('emulator');
  writeFiles(dir, { 'package.json': ADAPTER_PACKAGE_JSON });
  await installFromReadme(dir, 'Emulator (`npx persona-relay-emulator`, or `persona-relay/emulator` in code)', tarball);
  const bin = join(dir, 'node_modules/.bin/persona-relay-emulator');
  emulator = spawn(bin, ['--port', '0', '--api-key', API_KEY, '--auto-complete', 'passed'], { cwd: dir });
  return new Promise((resolve, reject) => {
    let output = '';
    emulator!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const url = /listening on (\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    });
    emulator!.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    emulator!.once('exit', (code) => reject(new Error(`the emulator exited with ${code}:\n${output}`)));
  });
}

beforeAll(async () => {
  tarball = await packOnce();
  emulatorUrl = await startEmulator();
});
afterAll(() => {
  emulator?.kill('SIGTERM');
  removeAppDirs();
});

if (!POSTGRES_URL) console.warn('consumer tests: RELAY_TEST_POSTGRES_URL is not set, so the PostgreSQL app is skipped');

/** Installs, starts and drives one adapter app whose whole code is the README block `snippet`. */
async function adapterApp(name: string, integrations: string[], snippet: string, options: { extra?: string[]; databaseUrl?: string } = {}) {
  const dir = newAppDir(name);
  writeFiles(dir, { 'package.json': ADAPTER_PACKAGE_JSON, 'server.mjs': readmeBlock(snippet) });
  for (const integration of integrations) await installFromReadme(dir, integration, tarball);
  if (options.extra) await run('npm', ['install', ...options.extra], { cwd: dir });
  const env = { ...relayEnv(emulatorUrl, API_KEY), DATABASE_URL: options.databaseUrl ?? '' };
  const app = await startApp('node', ['server.mjs'], dir, env);
  try {
    expect(await claimFlow(app.url), app.output()).toEqual(PASSING_FLOW);
  } finally {
    await app.stop();
  }
  return dir;
}

/** The README's rule for Nest files in an ES-module project: relative imports end in `.js`. */
function asEsModule(source: string): string {
  return source.replace(/(from '\.\/[^']+)';/g, "$1.js';");
}

const EMBEDDED = 'Embedded PGlite storage (the default without `DATABASE_URL`)';
const POSTGRES = 'PostgreSQL storage (with `DATABASE_URL`)';

describe.concurrent('the packed package, installed and used as the README says', () => {
  it('Express 5', async () => {
    await adapterApp('express5', ['Express 4 or 5 adapter', EMBEDDED], 'express');
  });

  it('Express 4', async () => {
    const dir = await adapterApp('express4', ['Express 4 or 5 adapter', EMBEDDED], 'express', { extra: ['express@4'] });
    expect(JSON.parse(readFileSync(join(dir, 'node_modules/express/package.json'), 'utf8')).version).toMatch(/^4\./);
  });

  it('Fastify 5, without fastify-plugin', async () => {
    const dir = await adapterApp('fastify5', ['Fastify 5 adapter', EMBEDDED], 'fastify');
    expect(existsSync(join(dir, 'node_modules/fastify-plugin'))).toBe(false);
  });

  it('node:http, with the embedded database in .relay-data', async () => {
    const dir = await adapterApp('node-http', ['`node:http` adapter', EMBEDDED], 'node-http');
    expect(existsSync(join(dir, '.relay-data'))).toBe(true);
  });

  it.skipIf(!POSTGRES_URL)('PostgreSQL only, without PGlite installed', async () => {
    // A schema of its own: tables left by an earlier run hold data sealed under another storage key.
    const schema = await createPostgresTestSchema();
    try {
      const dir = await adapterApp('postgres', ['`node:http` adapter', POSTGRES], 'node-http', { databaseUrl: schema.url });
      expect(existsSync(join(dir, 'node_modules/@electric-sql/pglite'))).toBe(false);
      expect(existsSync(join(dir, '.relay-data'))).toBe(false);
    } finally {
      await schema.drop();
    }
  });

  it('an adapter app with a bad configuration fails before creating .relay-data', async () => {
    const dir = newAppDir('bad-config');
    writeFiles(dir, { 'package.json': ADAPTER_PACKAGE_JSON, 'server.mjs': readmeBlock('node-http') });
    await installFromReadme(dir, '`node:http` adapter', tarball);
    await installFromReadme(dir, EMBEDDED, tarball);
    const env = { ...relayEnv(emulatorUrl, API_KEY), RELAY_STORAGE_KEY: '', RELAY_COOKIE_SECRET: 'short', PORT: '0' };
    const failure = run('node', ['server.mjs'], { cwd: dir, env });
    await expect(failure).rejects.toThrow(/storageKey: is required[\s\S]*cookieSecret: must be a string of at least 32 characters/);
    expect(existsSync(join(dir, '.relay-data'))).toBe(false);
  });

  it('NestJS 12 as ES modules', async () => {
    const dir = newAppDir('nest12-esm', join(FIXTURES, 'nest12-esm'));
    writeFiles(dir, {
      'tsconfig.json': readmeBlock('nest-esm-tsconfig'),
      'src/restricted.controller.ts': asEsModule(readmeBlock('nest-restricted-controller')),
      'src/app.module.ts': asEsModule(readmeBlock('nest-app-module')),
      'src/main.ts': asEsModule(readmeBlock('nest-main')),
    });
    await installFromReadme(dir, 'NestJS + Express platform, new project', tarball);
    await installFromReadme(dir, EMBEDDED, tarball);
    await run('npm', ['install', '--save-dev', 'typescript', '@types/node'], { cwd: dir });
    await run('npm', ['run', 'build'], { cwd: dir });
    const app = await startApp('npm', ['run', 'start:prod'], dir, relayEnv(emulatorUrl, API_KEY));
    try {
      expect(await claimFlow(app.url), app.output()).toEqual(PASSING_FLOW);
    } finally {
      await app.stop();
    }
  });

  it('NestJS 11 as CommonJS, as `nest new` makes it: build, Jest e2e test, claim flow', async () => {
    const dir = newAppDir('nest11-cjs', join(FIXTURES, 'nest11-cjs'));
    await run('npm', ['install'], { cwd: dir });
    await installFromReadme(dir, 'NestJS, in a project made by `nest new` (Express platform, Nest 11 or 12)', tarball);
    await installFromReadme(dir, EMBEDDED, tarball);
    writeFiles(dir, {
      'src/restricted.controller.ts': readmeBlock('nest-restricted-controller'),
      'src/app.module.ts': readmeBlock('nest-app-module'),
      'src/main.ts': readmeBlock('nest-main'),
    });
    const env = relayEnv(emulatorUrl, API_KEY);
    await run('npm', ['run', 'build'], { cwd: dir });
    // The README's e2e command: `NAME=value npm run test:e2e`. Its embedded database is in memory, apart from the app's.
    const [assignment, npm, ...args] = readmeBlock('nest-jest-e2e').trim().split(' ');
    const [name, value] = assignment!.split('=') as [string, string];
    await run(npm!, args, { cwd: dir, env: { ...env, [name]: value, RELAY_DATA_DIR: 'memory://' } });
    const app = await startApp('npm', ['run', 'start:prod'], dir, env);
    try {
      expect(await claimFlow(app.url), app.output()).toEqual(PASSING_FLOW);
    } finally {
      await app.stop();
    }
  });
});

