import { createTypeOrmStorage } from '../../../src/typeorm/index.js';
import { describeStorageContract } from './storage-contract.js';
import { openPgliteDataSource, truncateRelayTables } from './support/relay-test-databases.js';
import { typeOrmInspector } from './support/storage-inspector.js';

// One PGlite for the whole suite (it takes seconds to start); tables are emptied between tests.
describeStorageContract('TypeORM on embedded PGlite', async () => {
  const dataSource = await openPgliteDataSource();
  const inspected = { storage: createTypeOrmStorage(dataSource), inspect: typeOrmInspector(dataSource) };
  return {
    async fresh() {
      await truncateRelayTables(dataSource);
      return inspected;
    },
    dispose: () => dataSource.destroy(),
  };
});
