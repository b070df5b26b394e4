/**
 * The optional peers persona-relay loads only when it needs them: TypeORM
 * when it builds TypeORM storage itself, PGlite when it opens an embedded
 * database. Kept in one module so that the only dynamic imports of storage
 * code are here.
 */

/** The TypeORM stores (importing TypeORM). */
export const loadTypeOrmStores = () => import('./stores/index.js');

/** The data source factory (importing TypeORM; PGlite itself waits for {@link loadPglite}). */
export const loadRelayDataSource = () => import('./relay-data-source.js');

/** `@electric-sql/pglite`, installed by apps that use the embedded database. */
export const loadPglite = () => import('@electric-sql/pglite');
