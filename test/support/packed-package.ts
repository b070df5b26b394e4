/**
 * The package as an app installs it: built from the current sources with the
 * release build (`npm run build`, both module formats), packed with `npm pack`
 * and unpacked into `<dir>/consumer/node_modules/persona-relay`. The build
 * runs in a copy of the project, so the working tree's `dist/` and
 * `package.json` stay untouched. `<dir>/node_modules` links to the project's
 * dependencies, which the package and the consumer find by walking up.
 * RELAY_TEST_TARBALL names a tarball packed already (CI packs once for every
 * run) and skips the build.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './build.js';

const execFileAsync = promisify(execFile);

/** What the release build reads; everything else in the project stays behind. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin', 'README.md', 'LICENSE'];

export interface PackedPackage {
  /** The temporary directory holding the build, the tarball and the consumer. */
  readonly dir: string;
  /** The `npm pack` tarball. */
  readonly tarball: string;
  /** A CommonJS app (its package.json has no `type`) with the package installed. */
  readonly consumerDir: string;
  /** The installed package, `<consumerDir>/node_modules/persona-relay`. */
  readonly installedDir: string;
  remove(): Promise<void>;
}

export async function packPackageToTemp(): Promise<PackedPackage> {
  const dir = await mkdtemp(join(tmpdir(), 'persona-relay-packed-'));
  try {
    await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const tarball = process.env.RELAY_TEST_TARBALL ?? (await buildAndPack(dir));

    const consumerDir = join(dir, 'consumer');
    const installedDir = join(consumerDir, 'node_modules', 'persona-relay');
    await mkdir(installedDir, { recursive: true });
    await writeFile(join(consumerDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await execFileAsync('tar', ['-xzf', tarball, '-C', installedDir, '--strip-components=1']);
    return { dir, tarball, consumerDir, installedDir, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Builds a copy of the project with the release build and packs it into `dir`; returns the tarball's path. */
async function buildAndPack(dir: string): Promise<string> {
  const buildDir = join(dir, 'build');
  for (const input of BUILD_INPUTS) await cp(join(PROJECT_ROOT, input), join(buildDir, input), { recursive: true });
  await npm(buildDir, ['run', 'build']);
  const { stdout } = await npm(buildDir, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir]);
  const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
  return join(dir, packed!.filename);
}

function npm(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const command = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return execFileAsync(command, args, { cwd, maxBuffer: 16 * 1024 * 1024, shell: process.platform === 'win32' });
}
