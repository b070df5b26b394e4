export { createEmbeddedDataSource, embeddedDataSourceOptions } from './embedded-data-source.js';
export type { EmbeddedDataSourceOptions, PostgresDataSourceOptions } from './embedded-data-source.js';
