/** CommonJS twin of `load-on-demand.ts` (swapped in by the dual build): the same loaders, through `require`. */

/** The TypeORM stores (importing TypeORM). */
export const loadTypeOrmStores = async (): Promise<typeof import('../typeorm/stores/index.js')> => require('../typeorm/stores/index.js');

/** The data source factory (importing TypeORM, and PGlite when the data source is embedded). */
export const loadRelayDataSource = async (): Promise<typeof import('../typeorm/relay-data-source.js')> =>
  require('../typeorm/relay-data-source.js');

/** `@nestjs/terminus`, installed by the app. */
export const loadTerminus = async (): Promise<typeof import('@nestjs/terminus')> => require('@nestjs/terminus');
