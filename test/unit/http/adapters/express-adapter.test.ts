/** Express specifics the shared contract does not cover (the contract itself runs in test/contract). */
import express from 'express';
import type { ErrorRequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode } from '../../../../src/core/errors.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { relayRouter } from '../../../../src/http/express.js';
import { postJson, serve } from '../support/serve.js';
import { stubServices } from '../support/stub-services.js';

function errorSpy() {
  const seen: unknown[] = [];
  const handler: ErrorRequestHandler = (error, _req, res, _next) => {
    seen.push(error);
    res.status(599).end();
  };
  return { seen, handler };
}

describe('relayRouter (Express)', () => {
  it('uses req.body when a body parser already ran, and still enforces the size limit', async () => {
    const { services, sessions } = stubServices();
    const app = express();
    app.use(express.json({ limit: '1mb' }));
    app.use(relayRouter({ services, handleErrors: true }));
    const base = await serve(app);

    expect((await postJson(`${base}/relay/sessions`, { claimType: 'age_over21_verified' })).status).toBe(201);
    expect(sessions.create).toHaveBeenLastCalledWith(expect.stringMatching(/^visitor:/), 'age_over21_verified', { client: '127.0.0.1' });
    const oversized = await postJson(`${base}/relay/sessions`, { claimType: 'a'.repeat(20_000) });
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toMatchObject({ code: 'ERR_RELAY_PAYLOAD_TOO_LARGE' });
  });

  it('hands errors to next(err) by default: the RelayError itself, the visitor cookie kept', async () => {
    const { services } = stubServices();
    const spy = errorSpy();
    const app = express();
    app.use(relayRouter({ services }));
    app.use(spy.handler);
    const base = await serve(app);

    const answer = await postJson(`${base}/relay/sessions`, { extra: true });
    expect(answer.status).toBe(599);
    expect(answer.headers.getSetCookie()).toEqual([expect.stringMatching(/^relay_sid=/)]);
    expect(spy.seen).toEqual([expect.any(RelayError)]);
    expect((spy.seen[0] as RelayError).code).toBe(RelayErrorCode.INVALID_REQUEST);
  });

  it('mounts below a path, with its own prefix', async () => {
    const { services } = stubServices();
    const app = express();
    app.use('/api', relayRouter({ services, prefix: 'verify/', handleErrors: true }));
    const base = await serve(app);
    expect((await postJson(`${base}/api/verify/sessions`, {})).status).toBe(201);
    expect((await postJson(`${base}/api/relay/sessions`, {})).status).toBe(404);
    expect((await postJson(`${base}/verify/sessions`, {})).status).toBe(404);
  });

  it('answers a busy relay with 503 and Retry-After', async () => {
    const { services, sessions } = stubServices();
    sessions.create.mockRejectedValueOnce(
      new RelayError(RelayErrorCode.RELAY_BUSY, 'No encryption key is ready', { context: { retryAfterSeconds: 4 } }),
    );
    const app = express();
    app.use(relayRouter({ services, handleErrors: true, logger: silentLogger }));
    const base = await serve(app);

    const busy = await postJson(`${base}/relay/sessions`, {});
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('4');
    expect(await busy.json()).toEqual({ code: 'ERR_RELAY_BUSY', message: 'The verification service is unavailable; try again later' });
  });

  describe('requireClaim', () => {
    it('collects the claims of several guards on req.relayClaims', async () => {
      const { services } = stubServices();
      const relay = relayRouter({ services });
      const app = express();
      app.use((req, _res, next) => {
        (req as { user?: unknown }).user = { id: 'adult' };
        next();
      });
      app.get('/both', relay.requireClaim('age_over18_verified'), relay.requireClaim('age_over21_verified'), (req, res) => {
        res.json(Object.keys(req.relayClaims ?? {}));
      });
      const base = await serve(app);
      expect(await (await fetch(`${base}/both`)).json()).toEqual(['age_over18_verified', 'age_over21_verified']);
    });

    it('answers the 403 itself, and hands other errors to next(err) unless handleErrors is set', async () => {
      const { services, claims } = stubServices();
      claims.passedClaim.mockImplementation(async (subject: string) => {
        if (subject === 'user:broken') throw new RelayError(RelayErrorCode.STORAGE, 'database unavailable');
        return undefined;
      });
      const spy = errorSpy();
      const byNext = relayRouter({ services, logger: silentLogger });
      const answering = relayRouter({ services, logger: silentLogger, handleErrors: true });
      const app = express();
      app.use((req, _res, next) => {
        const id = req.header('x-user');
        if (id) (req as { user?: unknown }).user = { id };
        next();
      });
      app.get('/next', byNext.requireClaim('age_over18_verified'), (_req, res) => void res.end());
      app.get('/answer', answering.requireClaim('age_over18_verified'), (_req, res) => void res.end());
      app.use(spy.handler);
      const base = await serve(app);

      const denied = await fetch(`${base}/next`, { headers: { 'x-user': 'child' } });
      expect(denied.status).toBe(403);
      expect(await denied.json()).toEqual({
        code: 'ERR_RELAY_CLAIM_REQUIRED',
        claimType: 'age_over18_verified',
        message: 'A verified claim is required',
      });
      expect((await fetch(`${base}/next`, { headers: { 'x-user': 'broken' } })).status).toBe(599);
      expect(spy.seen).toEqual([expect.objectContaining({ code: RelayErrorCode.STORAGE })]);
      const answered = await fetch(`${base}/answer`, { headers: { 'x-user': 'broken' } });
      expect(answered.status).toBe(503);
      expect(await answered.json()).toEqual({ code: 'ERR_RELAY_STORAGE', message: 'The verification service is unavailable; try again later' });
    });
  });
});
