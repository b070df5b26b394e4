/** CommonJS twin of `blindrsa-module-url.ts` (swapped in by the dual build): `require` resolves from this file. */
import { pathToFileURL } from 'node:url';

/** The `file:` URL of the library's entry point, for a dynamic `import()` in a worker. */
export function resolveBlindRsaModuleUrl(): string {
  return pathToFileURL(require.resolve('@cloudflare/blindrsa-ts')).href;
}
