/**
 * `@electric-sql/pglite` is needed only when an embedded database is opened:
 * `persona-relay/typeorm` loads without it, so an app on PostgreSQL never
 * installs it, and opening an embedded one without it says what to install.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DATA_DIR_LOCK_FILE } from '../../../src/typeorm/embedded/data-dir-claims.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'relay-no-pglite-'));
  vi.resetModules();
  vi.doMock('@electric-sql/pglite', () => {
    throw new Error('@electric-sql/pglite is not installed');
  });
});
afterEach(async () => {
  vi.doUnmock('@electric-sql/pglite');
  vi.resetModules();
  await rm(root, { recursive: true, force: true });
});

describe('PGlite stays optional', () => {
  it('loads the TypeORM entry point and builds PostgreSQL options without it', async () => {
    const { relayDataSourceOptions } = await import('../../../src/typeorm/index.js');
    expect(relayDataSourceOptions({ databaseUrl: 'postgres://db.invalid/relay' })).toMatchObject({
      type: 'postgres',
      url: 'postgres://db.invalid/relay',
    });
  });

  it('fails to open an embedded database naming the package, and gives its directory back', async () => {
    const { createRelayDataSource } = await import('../../../src/typeorm/index.js');
    const dataDir = join(root, 'relay-data');
    const dataSource = createRelayDataSource({ dataDir });
    await expect(dataSource.initialize()).rejects.toThrow(/needs the @electric-sql\/pglite package.*DATABASE_URL/);
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  });
});
