/**
 * The optional peers persona-relay loads only when it needs them: TypeORM
 * when it builds TypeORM storage itself, PGlite when it opens an embedded
 * database. The CommonJS build uses `load-on-demand-cjs.cts` instead: there
 * `import()` would leave the CommonJS module system, which Jest's runtime
 * refuses without its ESM mode.
 */

/** The TypeORM stores (importing TypeORM). */
export const loadTypeOrmStores = () => import('./stores/index.js');

/** The data source factory (importing TypeORM; PGlite itself waits for {@link loadPglite}). */
export const loadRelayDataSource = () => import('./relay-data-source.js');

/** `@electric-sql/pglite`, installed by apps that use the embedded database. */
export const loadPglite = () => import('@electric-sql/pglite');
