import { describeStorageContract } from './storage-contract.js';
import { inspectedMemoryStorage } from './support/storage-inspector.js';

describeStorageContract('memory', async () => ({
  fresh: async () => inspectedMemoryStorage(),
  dispose: async () => {},
}));
