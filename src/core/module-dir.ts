/**
 * The directory of this module, compiled or (under a TypeScript runner)
 * source. The CommonJS build uses `module-dir-cjs.cts` instead, since
 * `import.meta` exists only in ES modules.
 */
import { fileURLToPath } from 'node:url';

export function coreModuleDir(): string {
  // The dual build type-checks this file as CommonJS too, before it swaps in the twin; only that check fails here.
  // eslint-disable-next-line @typescript-eslint/ban-ts-comment
  // @ts-ignore TS1470: `import.meta` in a CommonJS build
  return fileURLToPath(new URL('.', import.meta.url));
}
