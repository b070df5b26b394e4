/** node:http specifics the shared contract does not cover (the contract itself runs in test/contract). */
import { describe, expect, it } from 'vitest';
import { RelayErrorCode } from '../../../../src/core/errors.js';
import type { RelayNodeRequest } from '../../../../src/http/node.js';
import { createClaimCheck, createRelayHandler } from '../../../../src/http/node.js';
import { postJson, serve } from '../support/serve.js';
import { stubServices } from '../support/stub-services.js';

describe('createRelayHandler (node:http)', () => {
  it('answers a JSON 404 for other paths when there is no next', async () => {
    const relay = createRelayHandler({ services: stubServices().services });
    const base = await serve((req, res) => void relay(req, res));
    const answer = await fetch(`${base}/elsewhere`);
    expect({ status: answer.status, body: await answer.json() }).toEqual({
      status: 404,
      body: { code: 'ERR_RELAY_ROUTE_NOT_FOUND', message: 'Not found' },
    });
    expect((await postJson(`${base}/relay/sessions`, {})).status).toBe(201);
  });

  it('serves at the root with an empty prefix', async () => {
    const relay = createRelayHandler({ services: stubServices().services, prefix: '/' });
    const base = await serve((req, res) => void relay(req, res));
    expect((await postJson(`${base}/sessions`, {})).status).toBe(201);
    expect((await fetch(`${base}/claims`)).status).toBe(200);
  });

  it("keeps cookies the app set before the relay's", async () => {
    const relay = createRelayHandler({ services: stubServices().services });
    const base = await serve((req, res) => {
      res.setHeader('Set-Cookie', 'theme=dark');
      void relay(req, res);
    });
    const answer = await postJson(`${base}/relay/sessions`, {});
    expect(answer.headers.getSetCookie()).toEqual(['theme=dark', expect.stringMatching(/^relay_sid=/)]);
  });

  describe('requireClaim', () => {
    it('resolves to the claim, or answers 403 itself and resolves to undefined', async () => {
      const relay = createRelayHandler({ services: stubServices().services });
      const requireAdult = relay.requireClaim('age_over18_verified');
      const base = await serve(async (req: RelayNodeRequest, res) => {
        req.user = { id: String(req.headers['x-user']) };
        const claim = await requireAdult(req, res);
        if (claim) res.end(claim.claimType);
      });
      const ok = await fetch(base, { headers: { 'x-user': 'adult' } });
      expect(await ok.text()).toBe('age_over18_verified');
      const denied = await fetch(base, { headers: { 'x-user': 'child' } });
      expect({ status: denied.status, body: await denied.json() }).toEqual({
        status: 403,
        body: { code: 'ERR_RELAY_CLAIM_REQUIRED', claimType: 'age_over18_verified', message: 'A verified claim is required' },
      });
    });

    it("createClaimCheck rejects instead, and accepts the handler's visitor cookies", async () => {
      const { services } = stubServices();
      // No configured secret: the handler signs with a per-process one, which the check must share.
      const relay = createRelayHandler({ services: { ...services, options: { ...services.options, cookieSecret: undefined } } });
      const check = createClaimCheck(relay, 'age_over18_verified');
      const base = await serve((req, res) => void relay(req, res));
      const cookie = (await postJson(`${base}/relay/sessions`, {})).headers.getSetCookie()[0]!.split(';')[0]!;

      const visitor = relay.http.subject({ headers: { cookie } }, false).subject;
      expect(visitor).toMatch(/^visitor:/);
      services.claims.passedClaim = async (subject: string, claimType: string) =>
        subject === visitor ? { claimType, result: 'passed', verifiedAt: new Date() } : undefined;
      await expect(check({ headers: { cookie } } as RelayNodeRequest)).resolves.toMatchObject({ result: 'passed' });
      await expect(check({ headers: {} } as RelayNodeRequest)).rejects.toMatchObject({ code: RelayErrorCode.CLAIM_REQUIRED });
    });
  });
});
