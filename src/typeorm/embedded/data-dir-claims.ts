import { resolve } from 'node:path';

/** The on-disk PGlite data directories this process has open. */
const openDataDirs = new Set<string>();

/** True for the data dirs PGlite keeps in memory (nothing on disk to share). */
function isInMemory(dataDir: string): boolean {
  return dataDir === '' || dataDir.startsWith('memory://');
}

/**
 * Records that this process opens `dataDir`, and throws if it already has it
 * open: PGlite is a single-user database, so two instances on one directory
 * corrupt it. (Another process opening the same directory cannot be detected
 * here; that is unsupported too — several app instances need PostgreSQL.)
 * Returns the function that gives the claim back (once: later calls must not
 * drop a newer claim on the same directory).
 */
export function claimDataDir(dataDir: string): () => void {
  if (isInMemory(dataDir)) return () => {};
  const path = resolve(dataDir.startsWith('file://') ? dataDir.slice('file://'.length) : dataDir);
  if (openDataDirs.has(path)) {
    throw new Error(`The embedded database in ${path} is already open in this process`);
  }
  openDataDirs.add(path);
  let claimed = true;
  return () => {
    if (claimed) openDataDirs.delete(path);
    claimed = false;
  };
}
