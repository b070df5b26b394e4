export { createMemoryStorage } from './create-memory-storage.js';
