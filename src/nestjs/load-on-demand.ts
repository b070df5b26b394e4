/**
 * The modules the Nest integration loads only when it needs them (TypeORM,
 * PGlite and terminus are optional peers). The CommonJS build uses
 * `load-on-demand-cjs.cts` instead: there `import()` would leave the
 * CommonJS module system, which Jest's runtime refuses without its ESM mode.
 */

/** The TypeORM stores (importing TypeORM). */
export const loadTypeOrmStores = () => import('../typeorm/stores/index.js');

/** The data source factory (importing TypeORM, and PGlite when the data source is embedded). */
export const loadRelayDataSource = () => import('../typeorm/relay-data-source.js');

/** `@nestjs/terminus`, installed by the app. */
export const loadTerminus = () => import('@nestjs/terminus');
