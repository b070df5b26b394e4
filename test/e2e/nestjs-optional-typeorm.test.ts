/**
 * `persona-relay/nestjs` must load and run without TypeORM or PGlite
 * installed when the app gives it a storage of its own: only the default
 * storage (no `storage`, no `dataSource`) imports them.
 */
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryStorage } from '../../src/core/storage/index.js';
import { testOptions } from '../support/relay.js';

const STORAGE_PEERS = ['typeorm', '@electric-sql/pglite'] as const;

describe('TypeORM and PGlite stay optional', () => {
  it('boots RelayModule on a given storage without them, and only the default storage asks for them', async () => {
    vi.resetModules();
    for (const peer of STORAGE_PEERS) {
      vi.doMock(peer, () => {
        throw new Error(`${peer} is not installed`);
      });
    }
    try {
      const { RelayModule } = await import('../../src/nestjs/index.js');
      // Nothing listens there: booting must not call Persona.
      const options = testOptions('http://127.0.0.1:9');

      const withStorage = await Test.createTestingModule({
        imports: [RelayModule.forRoot({ ...options, storage: createMemoryStorage(), controller: false })],
      }).compile();
      await withStorage.init();
      await withStorage.close();

      const withDefaultStorage = Test.createTestingModule({
        imports: [RelayModule.forRoot({ ...options, dataDir: 'memory://', controller: false })],
      }).compile();
      // Vitest wraps the error a mock factory throws; the peer's own message is its cause.
      await expect(withDefaultStorage).rejects.toMatchObject({ cause: { message: expect.stringMatching(/is not installed/) } });
    } finally {
      for (const peer of STORAGE_PEERS) vi.doUnmock(peer);
      vi.resetModules();
    }
  });
});
