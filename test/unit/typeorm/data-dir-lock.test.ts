/**
 * The lock on an embedded database directory: one holder at a time, across
 * processes and data sources, with locks of vanished processes taken over.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDataDir, DATA_DIR_LOCK_FILE } from '../../../src/typeorm/embedded/data-dir-claims.js';

let root: string;
let dataDir: string;
let lockPath: string;
const releases: Array<() => void> = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'relay-lock-'));
  dataDir = join(root, 'relay-data');
  lockPath = join(dataDir, DATA_DIR_LOCK_FILE);
});
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await rm(root, { recursive: true, force: true });
});

function claim(dir = dataDir): () => void {
  const release = claimDataDir(dir);
  releases.push(release);
  return release;
}

/** The id of a process that has exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  if (pid === undefined) throw new Error('could not start a child process');
  return pid;
}

describe('claimDataDir', () => {
  it('locks nothing for an in-memory database', () => {
    claim('memory://');
    claim('memory://');
  });

  it('creates the directory with a lock file naming this process, and removes the file on release', () => {
    const release = claim();
    expect(readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses a second holder in this process, naming the directory, until the first releases', () => {
    const release = claim();
    expect(() => claim(`file://${dataDir}`)).toThrow(`The embedded database in ${dataDir} is already open in this process`);
    release();
    expect(() => claim()).not.toThrow();
  });

  it('refuses a directory another running process holds, and says how to fix it', () => {
    // The parent of this test process runs as long as the test does.
    writeLock(String(process.ppid));
    const refusal = () => claim();
    expect(refusal).toThrow(`The embedded database in ${dataDir} is already open in process ${process.ppid}`);
    expect(refusal).toThrow(/RELAY_DATA_DIR.*DATABASE_URL/);
    expect(refusal).toThrow(`delete ${lockPath}`);
    expect(readFileSync(lockPath, 'utf8')).toBe(String(process.ppid));
  });

  it.each([
    ['a process that has exited', () => String(deadPid())],
    ['an earlier process with this id (a restarted container)', () => String(process.pid)],
    ['no process (a write cut short)', () => ''],
  ])('takes over a lock left by %s', (_, holder) => {
    writeLock(holder());
    claim();
    expect(readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid));
  });

  it('gives the lock back once: a late second release leaves a newer holder alone', () => {
    const first = claim();
    first();
    claim();
    first();
    expect(readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid));
    expect(() => claim()).toThrow(/already open in this process/);
  });
});

/** Puts a lock file naming `holder` in the data directory, as another process would. */
function writeLock(holder: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(lockPath, holder);
}
