/**
 * The installed program: `bin/persona-relay.js` on the built package, in a child process. It must exit by
 * itself (no handle left open) with the documented code and a one-line reason.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackageToTemp, PROJECT_ROOT, type BuiltPackage } from '../support/build.js';
import { newStorageKey } from '../support/relay.js';

let built: BuiltPackage;
let bin: string;

beforeAll(async () => {
  built = await buildPackageToTemp();
  await mkdir(join(built.dir, 'bin'));
  bin = await built.add(join(PROJECT_ROOT, 'bin', 'persona-relay.js'), join('bin', 'persona-relay.js'));
}, 180_000);
afterAll(() => built?.remove());

function runBin(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: built.dir, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bin/persona-relay.js', () => {
  it('exits 5 with one failed line when nothing listens at PERSONA_API_URL', async () => {
    const { code, stdout, stderr } = await runBin(['doctor'], {
      PERSONA_API_KEY: 'persona_production_test',
      PERSONA_API_URL: 'http://127.0.0.1:1',
      RELAY_STORAGE_KEY: newStorageKey(),
      RELAY_DATA_DIR: join(built.dir, 'no-such-dir'),
    });
    expect(stdout.split('\n').filter((line) => line.startsWith('✗'))).toEqual(['✗ persona: no answer from http://127.0.0.1:1 (ECONNREFUSED)']);
    expect(stderr).toBe('');
    expect(code).toBe(5);
  });

  it('prints keys as .env lines and exits 0', async () => {
    const { code, stdout } = await runBin(['keys'], {});
    expect(stdout).toMatch(/^RELAY_STORAGE_KEY=\S+\nRELAY_COOKIE_SECRET=\S+\n$/);
    expect(code).toBe(0);
  });
});
