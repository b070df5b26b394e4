/** Fastify specifics the shared contract does not cover (the contract itself runs in test/contract). */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { relayPlugin, requireClaim } from '../../../../src/http/fastify.js';
import { stubServices } from '../support/stub-services.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function newApp(): FastifyInstance {
  const app = Fastify();
  apps.push(app);
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request) => {
    const id = request.headers['x-user'];
    if (typeof id === 'string') (request as { user?: unknown }).user = { id };
  });
  return app;
}

const json = { 'content-type': 'application/json' };

describe('relayPlugin (Fastify)', () => {
  it('serves its own prefix, inside a prefixed context of the app', async () => {
    const { services } = stubServices();
    const app = newApp();
    await app.register(
      async (api) => {
        await api.register(relayPlugin, { services, prefix: '/verify' });
      },
      { prefix: '/api' },
    );
    const created = await app.inject({ method: 'POST', url: '/api/verify/sessions', headers: json, payload: '{}' });
    expect(created.statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/api/relay/sessions', headers: json, payload: '{}' })).statusCode).toBe(404);
  });

  it('registers in the context it is given, under its own name, without the fastify-plugin package', async () => {
    const { services } = stubServices();
    const app = newApp();
    await app.register(relayPlugin, { services });
    // Encapsulated, the decoration would stay inside a child context of the plugin's own.
    expect(app.hasRequestDecorator('relayClaims')).toBe(true);
    expect(app.hasPlugin('persona-relay')).toBe(true);
  });

  it("leaves the app's content-type parsers alone", async () => {
    const { services } = stubServices();
    const app = newApp();
    await app.register(relayPlugin, { services });
    app.post('/echo', async (request) => request.body);
    const echo = await app.inject({ method: 'POST', url: '/echo', headers: json, payload: '{"a":1}' });
    expect(echo.json()).toEqual({ a: 1 });
    const text = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'text/plain' }, payload: 'hi' });
    expect(text.body).toBe('hi');
  });

  it("answers Fastify's own body errors as the other adapters do", async () => {
    const { services } = stubServices();
    const app = newApp();
    await app.register(relayPlugin, { services });
    const answer = await app.inject({ method: 'POST', url: '/relay/sessions', headers: { 'content-type': '/' }, payload: '{}' });
    expect({ status: answer.statusCode, body: answer.json() }).toEqual({
      status: 415,
      body: { code: 'ERR_RELAY_UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as application/json' },
    });
  });

  describe('requireClaim', () => {
    it('decorates request.relayClaims: null without a guard, the checked claims with guards', async () => {
      const { services } = stubServices();
      const app = newApp();
      await app.register(relayPlugin, { services });
      app.get('/open', async (request) => ({ claims: request.relayClaims }));
      app.get(
        '/both',
        { preHandler: [requireClaim('age_over18_verified'), requireClaim('age_over21_verified')] },
        async (request) => Object.keys(request.relayClaims ?? {}),
      );
      expect((await app.inject({ url: '/open', headers: { 'x-user': 'adult' } })).json()).toEqual({ claims: null });
      expect((await app.inject({ url: '/both', headers: { 'x-user': 'adult' } })).json()).toEqual([
        'age_over18_verified',
        'age_over21_verified',
      ]);
      const denied = await app.inject({ url: '/both', headers: { 'x-user': 'child' } });
      expect({ status: denied.statusCode, body: denied.json() }).toEqual({
        status: 403,
        body: { code: 'ERR_RELAY_CLAIM_REQUIRED', claimType: 'age_over18_verified', message: 'A verified claim is required' },
      });
    });

    it('can be created before the plugin loads, and works in child contexts', async () => {
      const { services } = stubServices();
      const app = newApp();
      const guard = requireClaim('age_over18_verified');
      void app.register(relayPlugin, { services });
      void app.register(async (child) => {
        child.get('/child', { preHandler: guard }, async () => ({ ok: true }));
      });
      expect((await app.inject({ url: '/child', headers: { 'x-user': 'adult' } })).json()).toEqual({ ok: true });
    });

    it('fails loudly when the plugin is not registered', async () => {
      const app = newApp();
      app.get('/guarded', { preHandler: requireClaim('age_over18_verified') }, async () => ({ ok: true }));
      const answer = await app.inject({ url: '/guarded' });
      expect(answer.statusCode).toBe(500);
      expect(answer.json()).toMatchObject({ message: expect.stringContaining('register relayPlugin') });
    });
  });
});
