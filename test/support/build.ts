/**
 * Builds the package from the current sources into a temporary directory,
 * for tests that run it in a child process (Node cannot run the TypeScript
 * sources, and an existing `dist/` may be stale). The directory gets a
 * `package.json` marking it ESM and a `node_modules` link to the project's,
 * so the built files import their dependencies as the package would.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BuiltPackage {
  /** The temporary directory; the build is in `<dir>/dist/esm`, where the package has its ES module build. */
  readonly dir: string;
  /** Copies a file into the directory (next to `dist`) and returns its path there. */
  add(source: string, name: string): Promise<string>;
  remove(): Promise<void>;
}

export async function buildPackageToTemp(): Promise<BuiltPackage> {
  const dir = await mkdtemp(join(tmpdir(), 'persona-relay-build-'));
  const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const { code, output } = await run(process.execPath, [tsc, '-p', join(PROJECT_ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist', 'esm'), '--declaration', 'false', '--sourceMap', 'false']);
  // 0: built; 2: type errors, but every file was emitted (the typecheck reports those, not this test).
  if ((code !== 0 && code !== 2) || !existsSync(join(dir, 'dist', 'esm', 'nestjs', 'index.js'))) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`building the package failed (exit ${code}):\n${output}`);
  }
  // Named and versioned like the package: the build finds its own version by walking up to this file.
  const { version } = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'persona-relay', version, private: true, type: 'module' }));
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return {
    dir,
    async add(source, name) {
      const target = join(dir, name);
      await copyFile(source, target);
      return target;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
