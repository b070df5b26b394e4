/**
 * What `npm pack` ships: the licence, source maps only if the sources they
 * name come along, and a README that points at nothing the package leaves
 * out. Reads the file list of `npm pack --dry-run` (scripts skipped, so
 * nothing is built) and the build's effective compiler options.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/build.js';

/** Paths (relative to the package root, `/`-separated) that `npm pack` would put in the tarball. */
function packedFiles(): Set<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const json = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [pack] = JSON.parse(json) as Array<{ files: Array<{ path: string }> }>;
  return new Set(pack?.files.map((file) => file.path));
}

/** The compiler options `npm run build` uses, with `extends` applied. */
function buildCompilerOptions(): { sourceMap?: boolean; declarationMap?: boolean; rootDir: string; outDir: string } {
  const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const shown = execFileSync(process.execPath, [tsc, '--showConfig', '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return (JSON.parse(shown) as { compilerOptions: ReturnType<typeof buildCompilerOptions> }).compilerOptions;
}

const files = packedFiles();

describe('the npm package', () => {
  it('ships the licence', () => {
    expect(files).toContain('LICENSE');
    expect(readFileSync(join(PROJECT_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('emits source maps only if it ships the sources they point at', () => {
    const options = buildCompilerOptions();
    if (options.sourceMap === true || options.declarationMap === true) {
      const entrySource = posix.join(posix.normalize(options.rootDir), 'index.ts');
      expect(files, 'the build emits source maps, so the sources must be packed').toContain(entrySource);
    }
  });

  it('has every source named by a packed source map', () => {
    for (const map of [...files].filter((path) => path.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(join(PROJECT_ROOT, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        expect(files, `${map} names ${source}`).toContain(posix.join(posix.dirname(map), source));
      }
    }
  });

  it('has a README that points at nothing the package leaves out', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    // The project's internal design and protocol notes are not published.
    expect(readme).not.toMatch(/design\.md|protocol\.md|\.\.\/shared|§/);
    const relativeLinks = [...readme.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)]
      .map(([, target]) => target as string)
      .filter((target) => !/^[a-z][a-z+.-]*:/i.test(target));
    for (const target of relativeLinks) {
      const path = posix.normalize(target.replace(/^\.\//, ''));
      expect(files, `README links to ${target}`).toContain(path);
    }
  });

  it('leaves out what only the repository needs', () => {
    expect([...files].filter((path) => /^(test|scripts|bench|src\/demo|dist\/[^/]+\/demo)\//.test(path))).toEqual([]);
  });
});
