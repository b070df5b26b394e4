/**
 * The RelayModule's HTTP contract over real HTTP against the
 * emulator, under the Express and the Fastify platform, with the module's own
 * TypeORM storage on embedded PGlite and on PostgreSQL.
 */
import 'reflect-metadata';
import { Controller, Get, Inject, Module, Param, UseFilters } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SubjectClaim } from '../../src/core/services/claim.service.js';
import type { RelayServices } from '../../src/core/services/relay-services.js';
import {
  ClaimService,
  RELAY_SERVICES,
  RelayClaim,
  RelayExceptionFilter,
  RelayModule,
  RequireClaim,
  SessionService,
} from '../../src/nestjs/index.js';
import { createPostgresTestSchema, type PostgresTestSchema } from '../integration/storage/support/relay-test-databases.js';
import { CLAIM_TYPE, TestEmulator } from '../support/emulator.js';
import type { NestPlatform, RunningApp } from '../support/nest.js';
import { NEST_PLATFORMS, startNestApp, Visitor } from '../support/nest.js';
import { POSTGRES_URL, testOptions } from '../support/relay.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const OTHER_CLAIM_TYPE = 'age_over21_verified';

type Database = 'PGlite' | 'PostgreSQL';
const databases: Database[] = POSTGRES_URL === undefined ? ['PGlite'] : ['PGlite', 'PostgreSQL'];
const matrix = NEST_PLATFORMS.flatMap((platform) => databases.map((database) => ({ platform, database })));

/**
 * The app: RelayModule (not global) plus a feature module that does not
 * import it and still guards a route with @RequireClaim, and routes of the
 * app's own that use the services with and without the opt-in filter.
 */
function appModule(apiUrl: string, database: { dataDir?: string; databaseUrl?: string }): Type<unknown> {
  @Controller('members')
  class MembersController {
    @Get('lounge')
    @RequireClaim(CLAIM_TYPE)
    lounge(@RelayClaim() claim: SubjectClaim) {
      return { welcome: true, claim };
    }
  }

  @Module({ controllers: [MembersController] })
  class MembersModule {}

  @Controller('lookup')
  class LookupController {
    constructor(@Inject(SessionService) private readonly sessions: SessionService) {}

    @Get('filtered/:id')
    @UseFilters(RelayExceptionFilter)
    filtered(@Param('id') id: string) {
      return this.sessions.get('nobody', id);
    }

    @Get('unfiltered/:id')
    unfiltered(@Param('id') id: string) {
      return this.sessions.get('nobody', id);
    }
  }

  @Module({
    imports: [
      RelayModule.forRoot({
        ...testOptions(apiUrl, {
          allowedClaimTypes: [CLAIM_TYPE, OTHER_CLAIM_TYPE],
          limits: { sessionsPerSubjectPerHour: 3 },
        }),
        ...database,
      }),
      MembersModule,
    ],
    controllers: [LookupController],
  })
  class AppModule {}
  return AppModule;
}

describe.each(matrix)('RelayModule over HTTP: $platform, $database', ({ platform, database }) => {
  let emulator: TestEmulator;
  let schema: PostgresTestSchema | undefined;
  let running: RunningApp;
  let claims: ClaimService;

  beforeAll(async () => {
    emulator = await TestEmulator.start();
    schema = database === 'PostgreSQL' ? await createPostgresTestSchema() : undefined;
    const storage = schema ? { databaseUrl: schema.url } : { dataDir: 'memory://' };
    running = await startNestApp(appModule(emulator.url, storage), platform as NestPlatform);
    claims = running.app.get(ClaimService);
  });
  afterAll(async () => {
    await running?.close();
    await schema?.drop();
    await emulator?.close();
  });
  beforeEach(async () => {
    await emulator.reset();
  });

  const visitor = () => new Visitor(running.url);

  /** Creates a session for `who` and waits until its pass is issued. */
  async function createSession(who: Visitor, body: unknown = {}) {
    const response = await who.post('/relay/sessions', body);
    expect(response.status, response.text).toBe(201);
    await drain();
    return response.json as { sessionId: string; accessToken: string; claimType: string; expiresAt: string };
  }

  async function drain() {
    // Background issuance of the module's services: waited for, so the tests are deterministic.
    await running.app.get<RelayServices>(RELAY_SERVICES).drain();
  }

  it('POST /relay/sessions answers 201 with exactly sessionId, accessToken, claimType, expiresAt, and a visitor cookie', async () => {
    const alice = visitor();
    const response = await alice.post('/relay/sessions', {});
    expect(response.status).toBe(201);
    expect(Object.keys(response.json).sort()).toEqual(['accessToken', 'claimType', 'expiresAt', 'sessionId']);
    expect(response.json.sessionId).toMatch(UUID);
    expect(response.json.claimType).toBe(CLAIM_TYPE);
    expect(new Date(response.json.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('no-store');
    const cookie = response.headers['set-cookie']!.find((value) => value.startsWith('relay_sid='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    // Nothing secret reaches the browser.
    expect(response.text).not.toMatch(/relay_[A-Za-z0-9]{27}/);
    await drain();

    const other = await alice.post('/relay/sessions', { claimType: OTHER_CLAIM_TYPE });
    expect(other.status).toBe(201);
    expect(other.json.claimType).toBe(OTHER_CLAIM_TYPE);
    await drain();
  });

  it('POST /relay/sessions answers 400 for unknown fields, bad or disallowed claim types, and 415 for non-JSON', async () => {
    const bob = visitor();
    for (const body of [{ foo: 1 }, { claimType: 5 }, { claimType: 'Not A Type!' }, { claimType: 'age_over18_germany' }, '[]']) {
      const response = await bob.post('/relay/sessions', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json.code).toBe('ERR_RELAY_INVALID_REQUEST');
      expect(Object.keys(response.json).sort()).toEqual(['code', 'message']);
    }
    const text = await bob.post('/relay/sessions', 'claimType=x', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect((await emulator.state()).relays).toBe(0);
  });

  it('GET /relay/sessions/:id shows the state, 400 for a bad id, 404 for a stranger or an anonymous caller', async () => {
    const carol = visitor();
    const session = await createSession(carol);
    const pending = await carol.get(`/relay/sessions/${session.sessionId}`);
    expect(pending.status).toBe(200);
    expect(pending.json).toEqual({ sessionId: session.sessionId, claimType: CLAIM_TYPE, state: 'pending' });

    expect((await carol.get('/relay/sessions/not-a-uuid')).status).toBe(400);
    expect((await carol.get(`/relay/sessions/${session.sessionId.toUpperCase()}`)).status).toBe(400);
    const stranger = await visitor().get(`/relay/sessions/${session.sessionId}`);
    expect(stranger.status).toBe(404);
    expect(stranger.json).toMatchObject({ code: 'ERR_RELAY_SESSION_NOT_FOUND' });
    const forged = new Visitor(running.url, { cookie: 'relay_sid=00000000-0000-4000-8000-000000000000.forged' });
    expect((await forged.get(`/relay/sessions/${session.sessionId}`)).status).toBe(404);
  });

  it('POST /relay/sessions/:id/claim: 409 before completion, then 200 once, the same answer again, and 404 for a stranger', async () => {
    const dave = visitor();
    const session = await createSession(dave);
    const early = await dave.post(`/relay/sessions/${session.sessionId}/claim`);
    expect(early.status).toBe(409);
    expect(early.json).toMatchObject({ code: 'ERR_RELAY_CLAIM_NOT_READY' });

    await emulator.complete(session.accessToken);
    const claim = await dave.post(`/relay/sessions/${session.sessionId}/claim`);
    expect(claim.status, claim.text).toBe(200);
    expect(claim.json).toEqual({ sessionId: session.sessionId, claimType: CLAIM_TYPE, result: 'passed', methodology: [] });
    const again = await dave.post(`/relay/sessions/${session.sessionId}/claim`);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(claim.json);
    expect((await emulator.redemptions()).map((entry) => entry.status)).toEqual([403, 200]);
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1 });

    const stranger = await visitor().post(`/relay/sessions/${session.sessionId}/claim`);
    expect(stranger.status).toBe(404);
    expect(stranger.json).toMatchObject({ code: 'ERR_RELAY_SESSION_NOT_FOUND' });
    expect((await dave.post(`/relay/sessions/${session.sessionId}/claim`, { extra: true })).status).toBe(400);
    expect((await dave.post('/relay/sessions/123/claim')).status).toBe(400);

    const view = await dave.get(`/relay/sessions/${session.sessionId}`);
    expect(view.json).toEqual({
      sessionId: session.sessionId,
      claimType: CLAIM_TYPE,
      state: 'claimed',
      claim: { result: 'passed', methodology: [], verifiedAt: expect.any(String) },
    });
  });

  it('GET /relay/claims lists the visitor’s claims, failed ones included, and nobody else’s', async () => {
    const erin = visitor();
    expect((await erin.get('/relay/claims')).json).toEqual([]);
    const failed = await createSession(erin);
    await emulator.complete(failed.accessToken, 'failed');
    const answer = await erin.post(`/relay/sessions/${failed.sessionId}/claim`);
    expect(answer.json).toMatchObject({ result: 'failed' });
    const list = await erin.get('/relay/claims');
    expect(list.status).toBe(200);
    expect(list.json).toEqual([{ claimType: CLAIM_TYPE, result: 'failed', verifiedAt: expect.any(String) }]);
    expect(Object.keys(list.json[0]).sort()).toEqual(['claimType', 'result', 'verifiedAt']);
    expect((await visitor().get('/relay/claims')).json).toEqual([]);
  });

  it('@RequireClaim guards a route of a module that does not import RelayModule: 403, then 200 with @RelayClaim', async () => {
    const frank = visitor();
    const before = await frank.get('/members/lounge');
    expect(before.status).toBe(403);
    expect(before.json).toEqual({ code: 'ERR_RELAY_CLAIM_REQUIRED', message: expect.any(String), claimType: CLAIM_TYPE });

    const session = await createSession(frank);
    await emulator.complete(session.accessToken);
    await frank.post(`/relay/sessions/${session.sessionId}/claim`);
    const after = await frank.get('/members/lounge');
    expect(after.status).toBe(200);
    expect(after.json).toEqual({ welcome: true, claim: { claimType: CLAIM_TYPE, result: 'passed', verifiedAt: expect.any(String) } });
    // Another visitor is still kept out, and a failed claim does not open the gate.
    expect((await visitor().get('/members/lounge')).status).toBe(403);
    expect(await claims.hasClaim('nobody', CLAIM_TYPE)).toBe(false);
  });

  it('RelayExceptionFilter (opt-in) maps RelayError codes to statuses; without it Nest answers 500', async () => {
    const id = '3f0b3c36-0bd4-4f6e-9a57-0a6a3cf1a2b4';
    const filtered = await visitor().get(`/lookup/filtered/${id}`);
    expect(filtered.status).toBe(404);
    expect(filtered.json).toEqual({ code: 'ERR_RELAY_SESSION_NOT_FOUND', message: expect.any(String) });
    const invalid = await visitor().get('/lookup/filtered/nope');
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ code: 'ERR_RELAY_INVALID_REQUEST' });
    const unfiltered = await visitor().get(`/lookup/unfiltered/${id}`);
    expect(unfiltered.status).toBe(500);
  });

  it('rate limits session creation per visitor (each one costs a billed pass)', async () => {
    const grace = visitor();
    for (let i = 0; i < 3; i += 1) expect((await grace.post('/relay/sessions')).status).toBe(201);
    const limited = await grace.post('/relay/sessions');
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ code: 'ERR_RELAY_RATE_LIMITED' });
    expect((await visitor().post('/relay/sessions')).status).toBe(201);
    await drain();
    expect((await emulator.state()).relays).toBe(4);
  });
});
