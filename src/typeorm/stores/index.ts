export { createTypeOrmStorage } from './create-typeorm-storage.js';
