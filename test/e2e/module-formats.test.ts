/**
 * The packed package works from both module systems: every subpath resolves
 * with types under each `moduleResolution` an app may use, loads through
 * `require()` and `import()`, and the two copies an app can end up with (its
 * code imports the ES module build, a dependency requires the CommonJS one)
 * recognise each other's errors and share the Nest injection tokens.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/build.js';
import { packPackageToTemp, type PackedPackage } from '../support/packed-package.js';

const execFileAsync = promisify(execFile);

/** Every subpath with code, and one value it exports. */
const SUBPATH_EXPORTS: Readonly<Record<string, string>> = {
  'persona-relay': 'RelayError',
  'persona-relay/nestjs': 'RelayModule',
  'persona-relay/typeorm': 'createTypeOrmStorage',
  'persona-relay/express': 'relayRouter',
  'persona-relay/fastify': 'relayPlugin',
  'persona-relay/emulator': 'startEmulator',
};

/** Imports one typed value of every subpath; under `strict`, a subpath without types fails with TS7016. */
const CONSUMER_SOURCE = `
import { RelayError, RelayErrorCode } from 'persona-relay';
import { RelayModule, RELAY_SERVICES } from 'persona-relay/nestjs';
import { createTypeOrmStorage } from 'persona-relay/typeorm';
import { relayRouter } from 'persona-relay/express';
import { relayPlugin } from 'persona-relay/fastify';
import { startEmulator } from 'persona-relay/emulator';

const code: 'ERR_RELAY_STORAGE' = RelayErrorCode.STORAGE;
export const used = [new RelayError(code, 'typed'), RelayModule.forRoot, RELAY_SERVICES, createTypeOrmStorage, relayRouter, relayPlugin, startEmulator];
`;

/** Each resolution mode with the module kind it goes with; node16/nodenext also check an ES module file (`.mts`). */
const RESOLUTIONS = [
  // TypeScript 6 deprecates node10, but apps on TypeScript 5 (Nest CLI's default project) still use it.
  { moduleResolution: 'node10', module: 'commonjs', files: ['consumer.ts'], ignoreDeprecations: '6.0' },
  { moduleResolution: 'node16', module: 'node16', files: ['consumer.ts', 'consumer-esm.mts'] },
  { moduleResolution: 'nodenext', module: 'nodenext', files: ['consumer.ts', 'consumer-esm.mts'] },
  { moduleResolution: 'bundler', module: 'esnext', files: ['consumer.ts'] },
] as const;

/**
 * Run by Node in the consumer (CommonJS): loads every subpath both ways, then
 * crosses the two copies. Prints one JSON report.
 */
const RUNTIME_SCRIPT = `
const subpaths = ${JSON.stringify(SUBPATH_EXPORTS)};
(async () => {
  const loaded = {};
  for (const [subpath, name] of Object.entries(subpaths)) {
    const required = require(subpath)[name];
    const imported = (await import(subpath))[name];
    loaded[subpath] = { required: typeof required, imported: typeof imported, twoCopies: required !== imported };
  }
  const cjs = require('persona-relay');
  const esm = await import('persona-relay');
  const cjsNest = require('persona-relay/nestjs');
  const esmNest = await import('persona-relay/nestjs');
  const apiError = (api) => new api.PersonaApiError({ operation: 'create-relay', status: 401, title: 'Unauthorized' });
  const tokens = ['RELAY_OPTIONS', 'RELAY_SERVICES', 'RELAY_STORAGE', 'RELAY_HTTP', 'RELAY_LOGGER', 'RELAY_MODULE_OPTIONS', 'REQUIRED_CLAIM_KEY'];
  console.log(JSON.stringify({
    loaded,
    packageName: require('persona-relay/package.json').name,
    cjsErrorIsEsmRelayError: new cjs.RelayError('ERR_RELAY_STORAGE', 'x') instanceof esm.RelayError,
    esmErrorIsCjsRelayError: new esm.RelayError('ERR_RELAY_STORAGE', 'x') instanceof cjs.RelayError,
    cjsApiErrorIsEsmPersonaApiError: apiError(cjs) instanceof esm.PersonaApiError,
    esmApiErrorIsCjsPersonaApiError: apiError(esm) instanceof cjs.PersonaApiError,
    cjsTransportErrorIsEsm: new cjs.PersonaTransportError('ECONNRESET') instanceof esm.PersonaTransportError,
    plainRelayErrorIsNoPersonaApiError: new cjs.RelayError('ERR_RELAY_STORAGE', 'x') instanceof esm.PersonaApiError,
    sameTokens: tokens.filter((token) => token in cjsNest && cjsNest[token] === esmNest[token]),
  }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

let packed: PackedPackage;

beforeAll(async () => {
  packed = await packPackageToTemp();
  await writeFile(join(packed.consumerDir, 'consumer.ts'), CONSUMER_SOURCE);
  await writeFile(join(packed.consumerDir, 'consumer-esm.mts'), CONSUMER_SOURCE);
  await writeFile(join(packed.consumerDir, 'runtime-check.cjs'), RUNTIME_SCRIPT);
}, 300_000);

afterAll(() => packed?.remove());

describe('the packed package', () => {
  it.each(RESOLUTIONS)('type-checks an import of every subpath under moduleResolution $moduleResolution', async (resolution) => {
    const { files, ...compilerOptions } = resolution;
    const config = `tsconfig.${resolution.moduleResolution}.json`;
    const tsconfig = { compilerOptions: { ...compilerOptions, target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files };
    await writeFile(join(packed.consumerDir, config), JSON.stringify(tsconfig));
    const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await execFileAsync(process.execPath, [tsc, '-p', config], { cwd: packed.consumerDir }).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(result).toBe('');
  }, 120_000);

  it('loads every subpath through require() and import(), and the two copies share error classes and Nest tokens', async () => {
    const { stdout } = await execFileAsync(process.execPath, ['runtime-check.cjs'], { cwd: packed.consumerDir });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    const everySubpath = Object.fromEntries(
      Object.keys(SUBPATH_EXPORTS).map((subpath) => [subpath, { required: 'function', imported: 'function', twoCopies: true }]),
    );
    expect(report).toEqual({
      loaded: everySubpath,
      packageName: 'persona-relay',
      cjsErrorIsEsmRelayError: true,
      esmErrorIsCjsRelayError: true,
      cjsApiErrorIsEsmPersonaApiError: true,
      esmApiErrorIsCjsPersonaApiError: true,
      cjsTransportErrorIsEsm: true,
      plainRelayErrorIsNoPersonaApiError: false,
      sameTokens: ['RELAY_OPTIONS', 'RELAY_SERVICES', 'RELAY_STORAGE', 'RELAY_HTTP', 'RELAY_LOGGER', 'RELAY_MODULE_OPTIONS', 'REQUIRED_CLAIM_KEY'],
    });
  }, 60_000);

  it('runs both programs through their bins', async () => {
    const run = (name: string, args: string[]) =>
      execFileAsync(process.execPath, [join(packed.installedDir, 'bin', name), ...args], { cwd: packed.consumerDir });
    expect((await run('persona-relay-emulator.js', ['--help'])).stdout).toMatch(/persona-relay-emulator/);
    const { version } = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await run('persona-relay.js', ['--version'])).stdout.trim()).toBe(version);
  }, 60_000);

  it('passes Are the Types Wrong? for every subpath and resolution', async () => {
    const attw = join(PROJECT_ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const result = await execFileAsync(process.execPath, [attw, packed.tarball, '--format', 'ascii'], { cwd: packed.dir }).then(
      () => 'no problems',
      (error: { stdout: string }) => error.stdout,
    );
    expect(result).toBe('no problems');
  }, 120_000);
});
