/**
 * Where `@cloudflare/blindrsa-ts` lives, resolved from this module's location
 * so the worker threads load the same copy of the library as this package
 * would. The CommonJS build uses `blindrsa-module-url-cjs.cts` instead, since
 * `import.meta` exists only in ES modules.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The `file:` URL of the library's entry point, for a dynamic `import()` in a worker. */
export function resolveBlindRsaModuleUrl(): string {
  // The dual build type-checks this file as CommonJS too, before it swaps in the twin; only that check fails here.
  // eslint-disable-next-line @typescript-eslint/ban-ts-comment
  // @ts-ignore TS1470: `import.meta` in a CommonJS build
  return pathToFileURL(createRequire(import.meta.url).resolve('@cloudflare/blindrsa-ts')).href;
}
