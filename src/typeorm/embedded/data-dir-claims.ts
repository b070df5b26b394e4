import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The file in a PGlite data directory that names the process using it. */
export const DATA_DIR_LOCK_FILE = '.persona-relay.lock';

/**
 * The on-disk PGlite data directories this process holds the lock of. Kept on
 * `globalThis` under a registered symbol so that the ES module and CommonJS
 * copies of this package in one process share it: otherwise each copy would
 * take the other's lock (it names this process) for a stale one.
 */
const heldDataDirs: Set<string> = ((globalThis as Record<symbol, Set<string> | undefined>)[
  Symbol.for('persona-relay.heldDataDirs')
] ??= new Set<string>());

/**
 * The absolute directory of an on-disk PGlite data dir (a `file://` prefix
 * dropped), or undefined for one PGlite keeps in memory (nothing on disk to share).
 */
export function embeddedDataDirPath(dataDir: string): string | undefined {
  if (dataDir === '' || dataDir.startsWith('memory://')) return undefined;
  return resolve(dataDir.startsWith('file://') ? dataDir.slice('file://'.length) : dataDir);
}

/** Thrown when the data directory is locked by another holder: a running app, usually. */
export class EmbeddedDataDirInUseError extends Error {
  override readonly name = 'EmbeddedDataDirInUseError';

  constructor(
    /** The absolute data directory. */
    readonly dir: string,
    /** The process holding it (this one included), when its lock file names one. */
    readonly holderPid: number | undefined,
  ) {
    const who = holderPid === process.pid ? 'this process' : `process ${holderPid ?? '(unknown)'}`;
    super(
      `The embedded database in ${dir} is already open in ${who}: PGlite serves one process at a time. ` +
        'Stop the other one, give this one its own RELAY_DATA_DIR, or set DATABASE_URL to share a PostgreSQL database ' +
        `between instances. If no process uses the directory any more, delete ${join(dir, DATA_DIR_LOCK_FILE)}.`,
    );
  }
}

/** Whether a process with this id runs (on this machine); `EPERM` means it does, under another user. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process id a lock file names, or undefined when it names none (a lock cut short by a crash). */
function lockHolder(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock still belongs to someone. A lock naming this very process
 * but not held by it was left by an earlier process that had the same id
 * (containers restart as pid 1), so it is stale like one of a dead process.
 */
function isLockHeld(holder: number | undefined, dir: string): boolean {
  if (holder === undefined) return false;
  if (holder === process.pid) return heldDataDirs.has(dir);
  return isRunning(holder);
}

/** Creates the lock file naming this process; false if one exists already. */
function createLockFile(lockPath: string): boolean {
  try {
    writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Locks the PGlite data directory `dataDir` for this process, creating the
 * directory if needed, and throws if another process (or another data source
 * of this one) has it: PGlite is a single-user database, so two instances on
 * one directory corrupt it. The lock is a file naming the process id; one
 * left by a process that is gone is taken over. Returns the function that
 * gives the lock back (once: later calls must not drop a newer lock on the
 * same directory).
 */
export function claimDataDir(dataDir: string): () => void {
  const dir = embeddedDataDirPath(dataDir);
  if (dir === undefined) return () => {};
  const lockPath = join(dir, DATA_DIR_LOCK_FILE);
  mkdirSync(dir, { recursive: true });
  if (!createLockFile(lockPath)) {
    const holder = lockHolder(lockPath);
    if (isLockHeld(holder, dir)) throw new EmbeddedDataDirInUseError(dir, holder);
    rmSync(lockPath, { force: true });
    // Another process may have replaced the stale lock in between; then it keeps the directory.
    if (!createLockFile(lockPath)) throw new EmbeddedDataDirInUseError(dir, lockHolder(lockPath));
  }
  heldDataDirs.add(dir);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    heldDataDirs.delete(dir);
    rmSync(lockPath, { force: true });
  };
}
