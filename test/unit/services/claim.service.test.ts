/**
 * ClaimService over a fake Persona transport: no emulator, no HTTP, memory
 * storage. Each test scripts Persona's answers to generate-claim and checks
 * what was sent, what was stored, and what was logged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveRelayOptions } from '../../../src/core/config/index.js';
import { SecretBox } from '../../../src/core/crypto/index.js';
import { RelayErrorCode, isRelayError } from '../../../src/core/errors.js';
import type { RelayLogger } from '../../../src/core/logger.js';
import { RelayMetrics } from '../../../src/core/observability/metrics.js';
import {
  PersonaApi,
  PersonaApiError,
  logAttemptsTo,
  type PersonaHttpClient,
  type PersonaHttpRequest,
  type PersonaHttpResponse,
} from '../../../src/core/persona/index.js';
import { ClaimService } from '../../../src/core/services/claim.service.js';
import { sealedField } from '../../../src/core/services/sealing.js';
import type { PassRecord, RelaySessionRecord, RelayStorage } from '../../../src/core/storage/index.js';
import { inspectedMemoryStorage } from '../../integration/storage/support/storage-inspector.js';

const SUBJECT = 'alice';
const CLAIM_TYPE = 'age_over18_germany';
const RELAY_TOKEN = 'relay_unit7f3a';
const RELAY_SECRET = 'secret-unit-5c1d';
const CLAIM_PAYLOAD = JSON.stringify({ claim_type: CLAIM_TYPE, claim_result: 'passed', methodology: [] });

/** One scripted answer: an HTTP answer, or no answer until the attempt's signal aborts (a timeout). */
type Scripted = { readonly status: number; readonly body?: unknown } | 'hang';

/** What the fake transport saw, and the record's attempt count at that moment. */
interface SentRequest {
  readonly request: PersonaHttpRequest;
  readonly attemptsRecorded: number;
}

/** A Persona that answers generate-claim from a script (then with `fallback`), recording every request. */
class FakePersona implements PersonaHttpClient {
  readonly sent: SentRequest[] = [];
  private readonly script: Scripted[] = [];

  constructor(
    private readonly storage: RelayStorage,
    private readonly fallback: Scripted = { status: 200, body: { 'claim-payload': CLAIM_PAYLOAD, 'token-consumed': true } },
  ) {}

  answer(...answers: Scripted[]): void {
    this.script.push(...answers);
  }

  async send(request: PersonaHttpRequest): Promise<PersonaHttpResponse> {
    const key = request.headers['Idempotency-Key']!;
    const record = await this.storage.redemptions.get(key);
    this.sent.push({ request, attemptsRecorded: record?.attempts ?? 0 });
    const next = this.script.shift() ?? this.fallback;
    if (next === 'hang') {
      return new Promise((_, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    const bodyText =
      next.body === undefined ? '' : JSON.stringify(next.status < 300 ? next.body : { errors: [next.body] });
    return { status: next.status, headers: {}, bodyText };
  }

  keys(): string[] {
    return this.sent.map((entry) => entry.request.headers['Idempotency-Key']!);
  }

  tokens(): string[] {
    return this.sent.map((entry) => entry.request.headers.Authorization!);
  }
}

function capturingLogger(): RelayLogger & { entries: Array<{ level: string; message: string; context?: Record<string, unknown> }> } {
  const entries: Array<{ level: string; message: string; context?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, context?: Record<string, unknown>) => {
    entries.push({ level, message, ...(context ? { context } : {}) });
  };
  return { entries, debug: at('debug'), log: at('log'), warn: at('warn'), error: at('error') };
}

const services: { claims: ClaimService; shutdown: AbortController }[] = [];
afterEach(async () => {
  await Promise.all(
    services.splice(0).map(({ claims, shutdown }) => {
      shutdown.abort();
      return claims.whenStopped();
    }),
  );
});

/** A ClaimService with one stored session and its pre-issued pass, talking to a fake Persona. */
async function setup(retry: { maxRetries?: number; requestTimeoutMs?: number; forbiddenRetryBudgetMs?: number } = {}) {
  const options = resolveRelayOptions({ apiKey: 'persona_production_unit', storageKey: randomBytes(32).toString('base64'), claimType: CLAIM_TYPE });
  const { storage, inspect } = inspectedMemoryStorage();
  const secretBox = SecretBox.fromBase64Keys(options.storageKeys, options.storageKeyId);
  const logger = capturingLogger();
  const persona = new FakePersona(storage);
  const api = new PersonaApi({
    transports: { identified: persona, anonymous: persona },
    retry: { maxRetries: 3, requestTimeoutMs: 50, ...retry },
    sleep: async () => {},
    random: () => 0.5,
    onAttempt: logAttemptsTo(logger),
  });

  const now = new Date();
  const session: RelaySessionRecord = {
    id: randomUUID(),
    subject: SUBJECT,
    claimType: CLAIM_TYPE,
    environment: options.environment,
    relayTokenSealed: '',
    relaySecretSealed: '',
    privateKeySealed: null,
    state: 'open',
    createdAt: now,
    expiresAt: new Date(now.getTime() + 30 * 60_000),
  };
  await storage.sessions.insert({
    ...session,
    relayTokenSealed: secretBox.seal(RELAY_TOKEN, sealedField.relayToken(session.id)),
    relaySecretSealed: secretBox.seal(RELAY_SECRET, sealedField.relaySecret(session.id)),
  });
  const passTokens = new Map<string, string>();
  const addPass = async (): Promise<PassRecord> => {
    const id = randomUUID();
    const token = `pass_${passTokens.size + 1}_${randomBytes(6).toString('hex')}`;
    passTokens.set(id, token);
    const pass: PassRecord = {
      id,
      tokenSealed: secretBox.seal(token, sealedField.passToken(id)),
      keyId: 'k'.repeat(64),
      claimType: CLAIM_TYPE,
      environment: options.environment,
      expiresAt: new Date(now.getTime() + 3_600_000),
      state: 'AVAILABLE',
      sessionId: session.id,
      reservedBy: null,
      createdAt: now,
    };
    await storage.passes.insert(pass);
    return pass;
  };
  const firstPass = await addPass();
  let issuedOnDemand = 0;

  const shutdown = new AbortController();
  const claims = new ClaimService({
    options,
    storage,
    api,
    secretBox,
    sessions: { getOwned: async (_subject, id) => (await storage.sessions.get(id))! },
    passes: {
      whenIssued: async () => undefined,
      issue: async () => {
        issuedOnDemand += 1;
        return addPass();
      },
    },
    logger,
    clock: () => new Date(),
    instanceId: 'unit',
    shutdown: shutdown.signal,
    metrics: new RelayMetrics(),
  });
  services.push({ claims, shutdown });
  return {
    claims,
    storage,
    inspect,
    persona,
    logger,
    sessionId: session.id,
    firstPass,
    tokenOf: (pass: PassRecord) => `PrivateToken token=${passTokens.get(pass.id)}`,
    issuedOnDemand: () => issuedOnDemand,
    redeem: () => claims.redeem(SUBJECT, session.id),
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('ClaimService over a fake Persona', () => {
  it('redeems with one anonymous request and commits the claim, the record and the pass together', async () => {
    const t = await setup();
    await expect(t.redeem()).resolves.toMatchObject({ sessionId: t.sessionId, claimType: CLAIM_TYPE, result: 'passed' });

    expect(t.persona.sent).toHaveLength(1);
    const { request } = t.persona.sent[0]!;
    expect(request).toMatchObject({
      method: 'POST',
      path: `/api/privacy/v1/relays/${RELAY_TOKEN}/generate-claim`,
      body: '{}',
    });
    expect(request.headers).toMatchObject({
      Authorization: t.tokenOf(t.firstPass),
      'Persona-Relay-Secret': RELAY_SECRET,
    });
    const record = await t.storage.redemptions.get(t.persona.keys()[0]!);
    expect(record).toMatchObject({ state: 'SUCCEEDED', attempts: 1, passId: t.firstPass.id });
    expect(await t.storage.passes.get(t.firstPass.id)).toMatchObject({ state: 'CONSUMED' });
    // Asked again: the stored claim, no second request.
    await expect(t.redeem()).resolves.toMatchObject({ result: 'passed' });
    expect(t.persona.sent).toHaveLength(1);
  });

  it('after a 401 marks the pass unusable and starts over with another pass and a new key', async () => {
    const t = await setup();
    t.persona.answer({ status: 401, body: { title: 'Unauthorized', code: 'token_already_redeemed' } });
    await expect(t.redeem()).resolves.toMatchObject({ result: 'passed' });

    const [rejectedKey, acceptedKey] = t.persona.keys();
    expect(t.persona.sent).toHaveLength(2);
    expect(acceptedKey).not.toBe(rejectedKey);
    expect(t.persona.tokens()[0]).toBe(t.tokenOf(t.firstPass));
    expect(t.persona.tokens()[1]).not.toBe(t.tokenOf(t.firstPass));
    expect(t.issuedOnDemand()).toBe(1);
    expect(await t.storage.redemptions.get(rejectedKey!)).toMatchObject({
      state: 'FAILED_FINAL',
      failure: '401 token_already_redeemed',
    });
    expect(await t.storage.passes.get(t.firstPass.id)).toMatchObject({ state: 'UNUSABLE' });
    expect(await t.storage.redemptions.get(acceptedKey!)).toMatchObject({ state: 'SUCCEEDED' });
  });

  it.each([
    ['a 500', { status: 500, body: { title: 'Internal Server Error' } }],
    ['a 507', { status: 507, body: { title: 'Insufficient Storage' } }],
    ['a timed-out attempt', 'hang'],
  ] as const)('retries %s with the same key and pass, and delivers the claim', async (_, first) => {
    const t = await setup();
    t.persona.answer(first);
    await expect(t.redeem()).resolves.toMatchObject({ result: 'passed' });

    expect(t.persona.sent).toHaveLength(2);
    expect(new Set(t.persona.keys()).size).toBe(1);
    expect(new Set(t.persona.tokens())).toEqual(new Set([t.tokenOf(t.firstPass)]));
    expect(await t.storage.redemptions.get(t.persona.keys()[0]!)).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
  });

  it('records every attempt on the redemption before its request reaches Persona', async () => {
    const t = await setup();
    t.persona.answer({ status: 503 }, { status: 429 }, 'hang');
    await t.redeem();
    expect(t.persona.sent.map((entry) => entry.attemptsRecorded)).toEqual([1, 2, 3, 4]);
  });

  it('keeps a redemption whose retries ran out PENDING with its key, lease given up', async () => {
    const t = await setup({ maxRetries: 1 });
    t.persona.answer({ status: 503 }, { status: 503 });
    expect(await failure(t.redeem())).toMatchObject({ status: 503 });
    const record = await t.inspect.redemptions.findLive(t.sessionId);
    expect(record).toMatchObject({ state: 'PENDING', attempts: 2, leaseOwner: null });
    expect(await t.storage.passes.get(t.firstPass.id)).toMatchObject({ state: 'RESERVED' });

    await expect(t.redeem()).resolves.toMatchObject({ result: 'passed' });
    expect(t.persona.keys()).toEqual([record!.key, record!.key, record!.key]);
  });

  it.each([
    { status: 400, code: 'idempotency_error', pass: 'UNUSABLE', error: RelayErrorCode.PERSONA_API },
    { status: 404, code: 'not_found', pass: 'AVAILABLE', error: RelayErrorCode.SESSION_EXPIRED },
    { status: 422, code: 'claim_type_mismatch', pass: 'AVAILABLE', error: RelayErrorCode.PERSONA_API },
  ])('records a final $status without retrying it', async ({ status, code, pass, error }) => {
    const t = await setup();
    t.persona.answer({ status, body: { title: 'final', code } });
    const thrown = await failure(t.redeem());
    expect(isRelayError(thrown, error)).toBe(true);

    expect(t.persona.sent).toHaveLength(1);
    expect(await t.storage.redemptions.get(t.persona.keys()[0]!)).toMatchObject({
      state: 'FAILED_FINAL',
      failure: `${status} ${code}`,
    });
    expect(await t.storage.passes.get(t.firstPass.id)).toMatchObject({ state: pass });
    if (status === 404) expect(await t.storage.sessions.get(t.sessionId)).toMatchObject({ state: 'expired' });
  });

  it.each([501, 505])('treats a %i as final: the server never ran the request, so it is neither retried nor kept', async (status) => {
    const t = await setup();
    t.persona.answer({ status, body: { title: 'refused' } });
    const thrown = await failure(t.redeem());
    expect(thrown).toBeInstanceOf(PersonaApiError);
    expect((thrown as PersonaApiError).status).toBe(status);

    expect(t.persona.sent).toHaveLength(1);
    expect(await t.storage.redemptions.get(t.persona.keys()[0]!)).toMatchObject({
      state: 'FAILED_FINAL',
      failure: String(status),
    });
    // Why the server refused is unclear, so the pass is not offered again.
    expect(await t.storage.passes.get(t.firstPass.id)).toMatchObject({ state: 'UNUSABLE' });
  });

  it('keeps the record PENDING when a final-looking 403 follows an ambiguous attempt', async () => {
    // The first request may have spent the pass: releasing it would hand a spent pass to another session.
    const t = await setup({ forbiddenRetryBudgetMs: 0, maxRetries: 1 });
    t.persona.answer({ status: 502 }, { status: 403, body: { title: 'Forbidden', code: 'relay_not_completed' } });
    expect(isRelayError(await failure(t.redeem()), RelayErrorCode.CLAIM_NOT_READY)).toBe(true);
    expect(await t.inspect.redemptions.findLive(t.sessionId)).toMatchObject({ state: 'PENDING', leaseOwner: null });
    expect(await t.storage.passes.get(t.firstPass.id)).toMatchObject({ state: 'RESERVED' });
  });

  it('settles a 403 after 403s as final: a 403 never spends the pass', async () => {
    const t = await setup({ maxRetries: 1 });
    const forbidden = { status: 403, body: { title: 'Forbidden', code: 'relay_not_completed' } };
    t.persona.answer(forbidden, forbidden);
    expect(isRelayError(await failure(t.redeem()), RelayErrorCode.CLAIM_NOT_READY)).toBe(true);
    expect(t.persona.sent).toHaveLength(2);
    expect(await t.storage.redemptions.get(t.persona.keys()[0]!)).toMatchObject({
      state: 'FAILED_FINAL',
      failure: '403 relay_not_completed',
    });
    expect(await t.storage.passes.get(t.firstPass.id)).toMatchObject({ state: 'AVAILABLE' });
  });

  it('logs each retry without a secret', async () => {
    const t = await setup();
    t.persona.answer({ status: 500, body: { title: 'Internal Server Error' } }, 'hang');
    await t.redeem();

    const retries = t.logger.entries.filter((entry) => entry.level === 'warn');
    expect(retries.map((entry) => entry.context)).toEqual([
      expect.objectContaining({ operation: 'generate-claim', attempt: 1, status: 500, outcome: 'retry', delayMs: 150 }),
      expect.objectContaining({
        operation: 'generate-claim',
        attempt: 2,
        errorCode: RelayErrorCode.PERSONA_TRANSPORT,
        outcome: 'retry',
        delayMs: 300,
      }),
    ]);
    const logged = JSON.stringify(t.logger.entries);
    for (const secret of [RELAY_TOKEN, RELAY_SECRET, t.tokenOf(t.firstPass)]) expect(logged).not.toContain(secret);
  });
});
