/** CommonJS twin of `module-dir.ts` (swapped in by the dual build). */
export function cliModuleDir(): string {
  return __dirname;
}
