/**
 * RelayHttp with the core stubbed out: the order of the request checks, when
 * the body is read, subject resolution and error answers. The full routes run
 * against the emulator in test/contract.
 */
import { describe, expect, it, vi } from 'vitest';
import { RelayError, RelayErrorCode } from '../../../src/core/errors.js';
import type { RelayLogger } from '../../../src/core/logger.js';
import type { RelayHttpRequest } from '../../../src/http/relay-http.js';
import { RelayHttp } from '../../../src/http/relay-http.js';
import { STUB_SESSION_ID, STUB_VERIFIED_AT, stubServices } from './support/stub-services.js';

const SESSION_ID = STUB_SESSION_ID;
const VERIFIED_AT = STUB_VERIFIED_AT;

function recordingLogger(): RelayLogger & { errors: unknown[][] } {
  const errors: unknown[][] = [];
  return { debug: () => undefined, log: () => undefined, warn: () => undefined, error: (...args) => void errors.push(args), errors };
}

function post(path: string, init: Partial<RelayHttpRequest> = {}): RelayHttpRequest {
  return { method: 'POST', path, headers: { 'content-type': 'application/json' }, ...init };
}

describe('RelayHttp.handle', () => {
  it('answers undefined for a path that is not a relay route, without reading the body', async () => {
    const http = new RelayHttp(stubServices().services);
    const readBody = vi.fn(async () => ({}));
    expect(await http.handle(post('/sessions/other', { readBody }))).toBeUndefined();
    expect(await http.handle({ method: 'GET', path: '/sessions', headers: {}, readBody })).toBeUndefined();
    expect(readBody).not.toHaveBeenCalled();
  });

  it('checks media type (415), then declared length (413), before reading the body', async () => {
    const http = new RelayHttp(stubServices().services);
    const readBody = vi.fn(async () => ({}));
    const wrongType = await http.handle(post('/sessions', { headers: { 'content-type': 'text/plain', 'content-length': '99999' }, readBody }));
    expect(wrongType?.status).toBe(415);
    const tooLong = await http.handle(post('/sessions', { headers: { 'content-type': 'application/json', 'content-length': '99999' }, readBody }));
    expect(tooLong?.status).toBe(413);
    expect(readBody).not.toHaveBeenCalled();
  });

  it('accepts JSON content types with parameters and in any case', async () => {
    const http = new RelayHttp(stubServices().services);
    for (const type of ['application/json; charset=utf-8', 'Application/JSON']) {
      expect((await http.handle(post('/sessions', { headers: { 'content-type': type } })))?.status, type).toBe(201);
    }
  });

  it('prefers readBody over body, and parses a body another parser left as text', async () => {
    const { services, sessions } = stubServices();
    const http = new RelayHttp(services);
    await http.handle(post('/sessions', { body: { claimType: 'ignored' }, readBody: async () => ({ claimType: 'from_stream' }) }));
    expect(sessions.create).toHaveBeenLastCalledWith(expect.any(String), 'from_stream', expect.anything());
    await http.handle(post('/sessions', { body: '{"claimType":"from_text"}' }));
    expect(sessions.create).toHaveBeenLastCalledWith(expect.any(String), 'from_text', expect.anything());
  });

  it('gives resolveSubject the native request, and sets no cookie for a known user', async () => {
    const { services, sessions } = stubServices();
    const http = new RelayHttp(services, {
      resolveSubject: (request) => (request as unknown as { session?: { userId?: string } }).session?.userId,
    });
    const native = { headers: {}, session: { userId: 'u-7' } };
    const answer = await http.handle(post('/sessions', { native }));
    expect(answer?.setCookie).toBeUndefined();
    expect(sessions.create).toHaveBeenCalledWith('u-7', undefined, { client: 'unreadable' });
  });

  it('gives a new visitor a cookie on session creation only, also when the creation fails', async () => {
    const { services, sessions } = stubServices();
    const http = new RelayHttp(services);
    sessions.create.mockRejectedValueOnce(new RelayError(RelayErrorCode.RATE_LIMITED, 'slow down'));
    const limited = await http.handle(post('/sessions'));
    expect(limited).toMatchObject({ status: 429, setCookie: expect.stringMatching(/^relay_sid=/) });
    const read = await http.handle({ method: 'GET', path: `/sessions/${SESSION_ID}`, headers: {} });
    expect(read).toMatchObject({ status: 404 });
    expect(read?.setCookie).toBeUndefined();
  });

  it('counts a creation against the connection\'s address, or the forwarded one only through trusted proxies', async () => {
    const forwarded = { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' };
    const direct = stubServices();
    await new RelayHttp(direct.services).handle(post('/sessions', { remoteAddress: '::ffff:10.1.2.3', headers: forwarded }));
    expect(direct.sessions.create).toHaveBeenLastCalledWith(expect.any(String), undefined, { client: '10.1.2.3' });

    const proxied = stubServices({ trustProxy: ['10.0.0.0/8'] });
    await new RelayHttp(proxied.services).handle(post('/sessions', { remoteAddress: '10.1.2.3', headers: forwarded }));
    expect(proxied.sessions.create).toHaveBeenLastCalledWith(expect.any(String), undefined, { client: '203.0.113.7' });
  });

  it('says when to retry a rate-limited or busy creation, when the error knows', async () => {
    const { services, sessions } = stubServices();
    const http = new RelayHttp(services, { logger: recordingLogger() });
    sessions.create.mockRejectedValueOnce(new RelayError(RelayErrorCode.RATE_LIMITED, 'slow down', { context: { retryAfterSeconds: 42 } }));
    expect(await http.handle(post('/sessions'))).toMatchObject({ status: 429, retryAfterSeconds: 42 });
    sessions.create.mockRejectedValueOnce(new RelayError(RelayErrorCode.RELAY_BUSY, 'no key', { context: { retryAfterSeconds: 3 } }));
    expect(await http.handle(post('/sessions'))).toMatchObject({ status: 503, retryAfterSeconds: 3 });
    sessions.create.mockRejectedValueOnce(new RelayError(RelayErrorCode.NO_PASS_AVAILABLE, 'later'));
    expect((await http.handle(post('/sessions')))?.retryAfterSeconds).toBeUndefined();
    for (const unusable of [0, 1.5, '3']) {
      sessions.create.mockRejectedValueOnce(new RelayError(RelayErrorCode.RELAY_BUSY, 'no key', { context: { retryAfterSeconds: unusable } }));
      expect((await http.handle(post('/sessions')))?.retryAfterSeconds, String(unusable)).toBeUndefined();
    }
  });

  it('validates the session id before the subject: a bad id is a 400 even without a subject', async () => {
    const http = new RelayHttp(stubServices().services, { anonymousVisitors: false });
    expect((await http.handle({ method: 'GET', path: '/sessions/nope', headers: {} }))?.status).toBe(400);
    expect((await http.handle({ method: 'GET', path: `/sessions/${SESSION_ID}`, headers: {} }))?.status).toBe(404);
  });

  it('answers unexpected errors with a bare 500, keeps the error for the adapter, and logs it', async () => {
    const { services, sessions } = stubServices();
    const logger = recordingLogger();
    const http = new RelayHttp(services, { logger });
    const failure = new Error('database password is hunter2');
    sessions.create.mockRejectedValueOnce(failure);
    const answer = await http.handle(post('/sessions'));
    expect(answer).toMatchObject({ status: 500, body: { code: 'ERR_RELAY_INTERNAL', message: 'Internal error' }, error: failure });
    expect(JSON.stringify(answer?.body)).not.toContain('hunter2');
    expect(logger.errors).toHaveLength(1);
  });

  it('does not log answers the caller caused', async () => {
    const logger = recordingLogger();
    const http = new RelayHttp(stubServices().services, { logger });
    await http.handle(post('/sessions', { body: { extra: 1 } }));
    await http.handle(post('/sessions', { headers: {} }));
    expect(logger.errors).toEqual([]);
  });
});

describe('RelayHttp.requireClaim', () => {
  it("resolves to the subject's passed claim", async () => {
    const http = new RelayHttp(stubServices().services);
    const claim = await http.requireClaim({ headers: {}, user: { id: 'adult' } }, 'age_over18_verified');
    expect(claim).toEqual({ claimType: 'age_over18_verified', result: 'passed', verifiedAt: VERIFIED_AT });
  });

  it('rejects with CLAIM_REQUIRED naming the claim type, also for a request without a subject', async () => {
    const http = new RelayHttp(stubServices().services);
    for (const request of [{ headers: {}, user: { id: 'child' } }, { headers: {} }]) {
      await expect(http.requireClaim(request, 'age_over18_verified')).rejects.toMatchObject({
        code: RelayErrorCode.CLAIM_REQUIRED,
        context: { claimType: 'age_over18_verified' },
      });
    }
  });
});
