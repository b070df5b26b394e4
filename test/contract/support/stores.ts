/**
 * The storage kinds the contract runs on. PGlite takes seconds to start, so a
 * test file opens one data source, shares it between its apps and empties
 * the tables before each app starts.
 */
import type { DataSource } from 'typeorm';
import { afterAll } from 'vitest';
import type { RelayStorage } from '../../../src/core/storage/index.js';
import { createMemoryStorage } from '../../../src/core/storage/index.js';
import { createTypeOrmStorage } from '../../../src/typeorm/index.js';
import { openPgliteDataSource, truncateRelayTables } from '../../integration/storage/support/relay-test-databases.js';

export interface ContractStore {
  readonly name: string;
  /** Storage for the next app, empty. */
  open(): Promise<RelayStorage>;
}

export const memoryStore: ContractStore = {
  name: 'in-memory',
  open: async () => createMemoryStorage(),
};

/** TypeORM on one in-memory PGlite per test file; call at the top level of the file (it registers the cleanup). */
export function pgliteStore(): ContractStore {
  let dataSource: Promise<DataSource> | undefined;
  afterAll(async () => {
    if (dataSource) await (await dataSource).destroy();
  });
  return {
    name: 'TypeORM/PGlite',
    async open() {
      dataSource ??= openPgliteDataSource();
      const source = await dataSource;
      await truncateRelayTables(source);
      return createTypeOrmStorage(source);
    },
  };
}
