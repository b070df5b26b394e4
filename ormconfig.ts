/**
 * The data source the TypeORM CLI works on (`typeorm migration:run -d ormconfig.ts`, `migration:revert`, …):
 * persona-relay's entities and migrations on PostgreSQL from `DATABASE_URL`, else on the embedded PGlite
 * database in `RELAY_DATA_DIR` (default `.relay-data`). The CLI applies migrations itself, so they do not run
 * on initialize here. Stop the app first when it uses the same PGlite directory: PGlite allows one process.
 */
import { DataSource } from 'typeorm';
import { relayDataSourceOptions } from './src/typeorm/index.js';

export default new DataSource({
  ...relayDataSourceOptions({
    databaseUrl: process.env['DATABASE_URL'],
    dataDir: process.env['RELAY_DATA_DIR'] || '.relay-data',
  }),
  migrationsRun: false,
});
