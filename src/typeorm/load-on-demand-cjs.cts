/** CommonJS twin of `load-on-demand.ts` (swapped in by the dual build): the same loaders, through `require`. */

/** The TypeORM stores (importing TypeORM). */
export const loadTypeOrmStores = async (): Promise<typeof import('./stores/index.js')> => require('./stores/index.js');

/** The data source factory (importing TypeORM; PGlite itself waits for {@link loadPglite}). */
export const loadRelayDataSource = async (): Promise<typeof import('./relay-data-source.js')> => require('./relay-data-source.js');

/** `@electric-sql/pglite`, installed by apps that use the embedded database; its CommonJS build, as `require` gets it. */
export const loadPglite = async (): Promise<typeof import('@electric-sql/pglite', { with: { 'resolution-mode': 'require' } })> =>
  require('@electric-sql/pglite');
