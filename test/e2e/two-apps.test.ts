/**
 * The "Done when": two app instances on one PostgreSQL racing the
 * same session's claim. Here two Nest apps (one on Express, one on Fastify)
 * share a database, a storage key and a cookie secret; a visitor's claim
 * calls reach both at once. Exactly one pass is redeemed at the emulator, no
 * pass is spent twice, and both apps answer the same.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayServices } from '../../src/core/services/relay-services.js';
import { RELAY_SERVICES, RelayModule } from '../../src/nestjs/index.js';
import { createPostgresTestSchema, type PostgresTestSchema } from '../integration/storage/support/relay-test-databases.js';
import { presentedToken, TestEmulator } from '../support/emulator.js';
import type { RunningApp } from '../support/nest.js';
import { startNestApp, Visitor } from '../support/nest.js';
import { newStorageKey, POSTGRES_URL, testOptions } from '../support/relay.js';

describe.skipIf(POSTGRES_URL === undefined)('two Nest apps on one PostgreSQL', () => {
  let emulator: TestEmulator;
  let schema: PostgresTestSchema;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    emulator = await TestEmulator.start();
    schema = await createPostgresTestSchema();
    const shared = { ...testOptions(emulator.url), storageKey: newStorageKey(), databaseUrl: schema.url };
    const appModule = (): Type<unknown> => {
      @Module({ imports: [RelayModule.forRoot(shared)] })
      class AppModule {}
      return AppModule;
    };
    // One after the other: the first applies the migrations, the second finds the schema current.
    apps.push(await startNestApp(appModule(), 'express'));
    apps.push(await startNestApp(appModule(), 'fastify'));
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await schema?.drop();
    await emulator?.close();
  });

  it('redeems a session claimed through both apps at once exactly once, with the same answer on both', async () => {
    const [a, b] = apps as [RunningApp, RunningApp];
    const rounds = 3;
    for (let round = 0; round < rounds; round += 1) {
      const onA = new Visitor(a.url);
      const created = await onA.post('/relay/sessions');
      expect(created.status, created.text).toBe(201);
      await a.app.get<RelayServices>(RELAY_SERVICES).drain();
      await emulator.complete(created.json.accessToken);
      // The same browser (cookie) on the other instance.
      const onB = new Visitor(b.url);
      onB.cookie = onA.cookie;
      await emulator.fault({ endpoint: 'generate-claim', mode: 'delay', delayMs: 200 });

      const claimPath = `/relay/sessions/${created.json.sessionId}/claim`;
      const [fromA, fromB] = await Promise.all([onA.post(claimPath), onB.post(claimPath)]);
      expect(fromA.status, fromA.text).toBe(200);
      expect(fromB.status, fromB.text).toBe(200);
      expect(fromB.json).toEqual(fromA.json);
      expect(fromA.json).toMatchObject({ result: 'passed' });
      expect((await onB.get('/relay/claims')).json).toEqual([expect.objectContaining({ result: 'passed' })]);
    }

    const redemptions = await emulator.redemptions();
    expect(redemptions).toHaveLength(rounds);
    expect(new Set(redemptions.map(presentedToken)).size).toBe(rounds);
    expect(await emulator.state()).toMatchObject({ passesIssued: rounds, passesRedeemed: rounds, doubleSpendRejected: 0 });
  });
});
