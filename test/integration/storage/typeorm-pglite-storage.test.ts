import { createTypeOrmStorage } from '../../../src/typeorm/index.js';
import { describeStorageContract } from './storage-contract.js';
import { openPgliteDataSource, truncateRelayTables } from './support/relay-test-databases.js';

// One PGlite for the whole suite (it takes seconds to start); tables are emptied between tests.
describeStorageContract('TypeORM on embedded PGlite', async () => {
  const dataSource = await openPgliteDataSource();
  const storage = createTypeOrmStorage(dataSource);
  return {
    async fresh() {
      await truncateRelayTables(dataSource);
      return storage;
    },
    dispose: () => dataSource.destroy(),
  };
});
