/** CommonJS twin of `module-dir.ts` (swapped in by the dual build). */
export function coreModuleDir(): string {
  return __dirname;
}
