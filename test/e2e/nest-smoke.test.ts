import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { createMemoryStorage } from '../../src/core/storage/index.js';
import { RelayClaim, RelayModule, RequireClaim } from '../../src/nestjs/index.js';
import { fastTestKeyPairs } from '../support/key-pairs.js';

const API_KEY = 'persona_production_test';

describe('NestJS smoke', () => {
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    emulator = await startEmulator({ apiKeys: [API_KEY] });
    @Controller()
    class GatedController {
      @Get('restricted')
      @RequireClaim('age_over18_verified')
      restricted(@RelayClaim() claim: unknown) {
        return { ok: true, claim };
      }
    }
    @Module({
      imports: [
        RelayModule.forRoot({
          apiKey: API_KEY,
          apiUrl: emulator.url,
          storageKey: randomBytes(32).toString('base64'),
          cookieSecret: 'x'.repeat(32),
          storage: createMemoryStorage(),
          issuanceJitterMs: 0,
          keyPairGenerator: fastTestKeyPairs(),
          keyWaitMs: 30_000,
        }),
      ],
      controllers: [GatedController],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await emulator?.close();
  });

  it('creates, completes and redeems a session, then opens the gate', async () => {
    const gateBefore = await fetch(`${base}/restricted`);
    expect(gateBefore.status).toBe(403);
    expect(await gateBefore.json()).toMatchObject({ code: 'ERR_RELAY_CLAIM_REQUIRED', claimType: 'age_over18_verified' });

    const created = await fetch(`${base}/relay/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const createdBody = (await created.json()) as Record<string, string>;
    expect(created.status, JSON.stringify(createdBody)).toBe(201);
    const cookie = created.headers.get('set-cookie')!.split(';')[0]!;
    expect(Object.keys(createdBody).sort()).toEqual(['accessToken', 'claimType', 'expiresAt', 'sessionId']);

    const done = await fetch(`${emulator.url}/_emulator/widget/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessToken: createdBody.accessToken, outcome: 'passed' }),
    });
    expect(done.status).toBe(200);

    const claim = await fetch(`${base}/relay/sessions/${createdBody.sessionId}/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: '{}',
    });
    const claimBody = await claim.json();
    expect(claim.status, JSON.stringify(claimBody)).toBe(200);
    expect(claimBody).toMatchObject({ sessionId: createdBody.sessionId, claimType: 'age_over18_verified', result: 'passed' });

    const again = await fetch(`${base}/relay/sessions/${createdBody.sessionId}/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: '{}',
    });
    expect(await again.json()).toEqual(claimBody);
    const state = (await (await fetch(`${emulator.url}/_emulator/state`)).json()) as Record<string, number>;
    expect(state.passesRedeemed).toBe(1);
    expect(state.passesIssued).toBe(1);

    const gateAfter = await fetch(`${base}/restricted`, { headers: { cookie } });
    expect(gateAfter.status).toBe(200);
    const claims = await fetch(`${base}/relay/claims`, { headers: { cookie } });
    expect(await claims.json()).toEqual([expect.objectContaining({ claimType: 'age_over18_verified', result: 'passed' })]);
  });
});
