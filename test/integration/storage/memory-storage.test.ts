import { createMemoryStorage } from '../../../src/core/storage/index.js';
import { describeStorageContract } from './storage-contract.js';

describeStorageContract('memory', async () => ({
  fresh: async () => createMemoryStorage(),
  dispose: async () => {},
}));
