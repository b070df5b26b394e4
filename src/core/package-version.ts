import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { coreModuleDir } from './module-dir.js';

/**
 * The version in persona-relay's own package.json: the nearest one up from
 * this module that names the package. Found by walking up because the
 * sources and the two builds sit at different depths, and each build has a
 * package.json of its own that only sets the module type.
 */
export function readPackageVersion(): string {
  for (let dir = coreModuleDir(); ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version: string };
      if (manifest.name === 'persona-relay') return manifest.version;
    }
    if (dirname(dir) === dir) throw new Error('cannot find the package.json of persona-relay');
  }
}
