import { describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode, isRelayError } from '../../../src/core/errors.js';
import {
  DEFAULT_RETRY_POLICY,
  PersonaApiError,
  abortableSleep,
  backoffDelayMs,
  runWithRetries,
  type AttemptEvent,
  type RetryEnvironment,
} from '../../../src/core/persona/index.js';

describe('backoffDelayMs', () => {
  it('doubles from 200 ms up to 5 s, scaled by U(0.5, 1)', () => {
    const low = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelayMs(n, DEFAULT_RETRY_POLICY, () => 0));
    expect(low).toEqual([100, 200, 400, 800, 1600, 2500, 2500, 2500]);
    const high = [1, 6].map((n) => backoffDelayMs(n, DEFAULT_RETRY_POLICY, () => 0.999_999));
    expect(high[0]).toBeCloseTo(200, 3);
    expect(high[1]).toBeCloseTo(5000, 2);
  });
});

describe('DEFAULT_RETRY_POLICY', () => {
  it('matches the documented retry defaults', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxRetries: 3,
      baseDelayMs: 200,
      maxDelayMs: 5000,
      rateLimitMaxWaitMs: 60_000,
      forbiddenRetryBudgetMs: 10_000,
      requestTimeoutMs: 10_000,
    });
  });
});

describe('runWithRetries', () => {
  const environment = (events: AttemptEvent[] = []): RetryEnvironment => ({
    sleep: async () => {},
    random: () => 0,
    now: () => 0,
    onAttempt: (event) => events.push(event),
  });

  it('hands each attempt a signal that the per-attempt timeout aborts', async () => {
    const signals: AbortSignal[] = [];
    const error = await runWithRetries(
      'create-relay',
      (signal) => {
        signals.push(signal);
        return new Promise<never>((_, reject) => {
          signal.addEventListener('abort', () =>
            reject(new RelayError(RelayErrorCode.ABORTED, 'cancelled')),
          );
        });
      },
      { ...DEFAULT_RETRY_POLICY, requestTimeoutMs: 10, maxRetries: 1 },
      environment(),
    ).catch((caught: unknown) => caught);
    expect(signals).toHaveLength(2);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    expect(isRelayError(error, RelayErrorCode.PERSONA_TRANSPORT)).toBe(true);
    expect((error as RelayError).context).toEqual({ operation: 'create-relay', reason: 'TIMEOUT', timeoutMs: 10 });
  });

  it('does not retry errors that are not outcomes of the request, and passes them through unchanged', async () => {
    const events: AttemptEvent[] = [];
    const original = new TypeError('bug');
    let attempts = 0;
    const error = await runWithRetries(
      'generate-claim',
      async () => {
        attempts += 1;
        throw original;
      },
      DEFAULT_RETRY_POLICY,
      environment(events),
    ).catch((caught: unknown) => caught);
    expect(error).toBe(original);
    expect(attempts).toBe(1);
    expect(events).toEqual([
      { operation: 'generate-claim', attempt: 1, outcome: 'final', failure: 'unknown', durationMs: expect.any(Number) },
    ]);
  });

  it("reports each attempt's duration, measured around the request alone (not the wait before a retry)", async () => {
    const WAIT_MS = 300;
    const events: AttemptEvent[] = [];
    let attempts = 0;
    await runWithRetries(
      'create-relay',
      async () => {
        attempts += 1;
        await new Promise((resolve) => setTimeout(resolve, attempts === 1 ? 40 : 0));
        if (attempts === 1) throw new PersonaApiError({ operation: 'create-relay', status: 503, title: 'Unavailable' });
        return { status: 201, value: 'ok' };
      },
      DEFAULT_RETRY_POLICY,
      { ...environment(events), sleep: () => new Promise((resolve) => setTimeout(resolve, WAIT_MS)) },
    );
    expect(events.map((event) => event.outcome)).toEqual(['retry', 'success']);
    // Neither attempt's duration includes the wait between them.
    expect(events[0]!.durationMs).toBeGreaterThanOrEqual(35);
    expect(events[0]!.durationMs).toBeLessThan(WAIT_MS);
    expect(events[1]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(events[1]!.durationMs).toBeLessThan(WAIT_MS);
  });

  it("names a transport failure's short reason in the event, and nothing for an HTTP answer", async () => {
    const events: AttemptEvent[] = [];
    const failures = [
      new RelayError(RelayErrorCode.PERSONA_TRANSPORT, 'Persona create-relay request failed: ECONNRESET', {
        context: { operation: 'create-relay', reason: 'ECONNRESET' },
      }),
      new PersonaApiError({ operation: 'create-relay', status: 400, title: 'Bad Request' }),
    ];
    await runWithRetries(
      'create-relay',
      async () => {
        throw failures.shift();
      },
      DEFAULT_RETRY_POLICY,
      environment(events),
    ).catch(() => undefined);
    expect(events.map(({ outcome, reason, status }) => ({ outcome, reason, status }))).toEqual([
      { outcome: 'retry', reason: 'ECONNRESET', status: undefined },
      { outcome: 'final', reason: undefined, status: 400 },
    ]);
  });

  it('reports a timed-out attempt with the reason TIMEOUT', async () => {
    const events: AttemptEvent[] = [];
    await runWithRetries(
      'create-relay',
      (signal) =>
        new Promise<never>((_, reject) => {
          signal.addEventListener('abort', () => reject(new RelayError(RelayErrorCode.ABORTED, 'cancelled')));
        }),
      { ...DEFAULT_RETRY_POLICY, requestTimeoutMs: 10, maxRetries: 0 },
      environment(events),
    ).catch(() => undefined);
    expect(events).toEqual([expect.objectContaining({ outcome: 'final', reason: 'TIMEOUT', errorCode: RelayErrorCode.PERSONA_TRANSPORT })]);
  });

  it('retries a 403 only on generate-claim', async () => {
    for (const [operation, expectedAttempts] of [
      ['generate-claim', 4],
      ['create-privacy-pass', 1],
    ] as const) {
      let attempts = 0;
      await runWithRetries(
        operation,
        async () => {
          attempts += 1;
          throw new PersonaApiError({ operation, status: 403, title: 'Forbidden' });
        },
        DEFAULT_RETRY_POLICY,
        environment(),
      ).catch(() => undefined);
      expect(attempts).toBe(expectedAttempts);
    }
  });
});

describe('abortableSleep', () => {
  it('resolves after the delay', async () => {
    await expect(abortableSleep(1)).resolves.toBeUndefined();
  });

  it('rejects at once when aborted', async () => {
    const controller = new AbortController();
    const pending = abortableSleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(abortableSleep(1, AbortSignal.abort(new Error('early')))).rejects.toThrow('early');
  });
});

describe('runWithRetries hooks', () => {
  const environment: RetryEnvironment = { sleep: async () => {}, random: () => 0, now: () => 0 };
  const unavailable = () => new PersonaApiError({ operation: 'generate-claim', status: 503, title: 'Service Unavailable' });

  it('runs beforeAttempt before every attempt, with its number', async () => {
    const log: string[] = [];
    const value = await runWithRetries(
      'generate-claim',
      async () => {
        log.push('send');
        if (log.length < 4) throw unavailable();
        return { status: 200, value: 'claim' };
      },
      DEFAULT_RETRY_POLICY,
      environment,
      {
        beforeAttempt: async (attempt) => {
          log.push(`before ${attempt}`);
        },
      },
    );
    expect(value).toBe('claim');
    expect(log).toEqual(['before 1', 'send', 'before 2', 'send']);
  });

  it('stops when beforeAttempt throws: its error unchanged, nothing sent, nothing retried', async () => {
    const refusal = new Error('lease lost');
    let sent = 0;
    const events: AttemptEvent[] = [];
    const error = await runWithRetries(
      'generate-claim',
      async () => {
        sent += 1;
        throw unavailable();
      },
      DEFAULT_RETRY_POLICY,
      { ...environment, onAttempt: (event) => events.push(event) },
      {
        beforeAttempt: async (attempt) => {
          if (attempt === 2) throw refusal;
        },
      },
    ).catch((caught: unknown) => caught);
    expect(error).toBe(refusal);
    expect(sent).toBe(1);
    expect(events.map((event) => event.outcome)).toEqual(['retry']);
  });

  it('sends nothing when the caller aborts while beforeAttempt runs', async () => {
    const controller = new AbortController();
    let sent = 0;
    const error = await runWithRetries(
      'generate-claim',
      async () => {
        sent += 1;
        return { status: 200, value: 'claim' };
      },
      DEFAULT_RETRY_POLICY,
      environment,
      {
        signal: controller.signal,
        beforeAttempt: async () => controller.abort(),
      },
    ).catch((caught: unknown) => caught);
    expect(isRelayError(error, RelayErrorCode.ABORTED)).toBe(true);
    expect(sent).toBe(0);
  });

  it('reports every attempt to the environment and to the call, with what the failure says', async () => {
    const fromEnvironment: AttemptEvent[] = [];
    const fromCall: AttemptEvent[] = [];
    let attempts = 0;
    await runWithRetries(
      'generate-claim',
      async () => {
        attempts += 1;
        if (attempts === 1) throw unavailable();
        if (attempts === 2) throw new PersonaApiError({ operation: 'generate-claim', status: 403, title: 'Forbidden' });
        return { status: 200, value: 'claim' };
      },
      DEFAULT_RETRY_POLICY,
      { ...environment, onAttempt: (event) => fromEnvironment.push(event) },
      {
        onAttempt: (event) => {
          fromCall.push(event);
          throw new Error('a broken observer changes nothing');
        },
      },
    );
    expect(fromCall).toEqual(fromEnvironment);
    expect(fromCall.map((event) => [event.outcome, event.failure])).toEqual([
      ['retry', 'ambiguous'],
      ['retry', 'forbidden'],
      ['success', undefined],
    ]);
  });
});

describe('runWithRetries · RateLimit-Reset budget', () => {
  const rateLimited = (resetSeconds: number) =>
    new PersonaApiError({ operation: 'generate-claim', status: 429, title: 'Too Many Requests', rateLimitResetSeconds: resetSeconds });

  /** Runs a generate-claim whose attempts answer `answers` in turn (a number = a 429 with that reset, `ok` = success). */
  async function run(answers: ReadonlyArray<number | 'ok'>, rateLimitMaxWaitMs = DEFAULT_RETRY_POLICY.rateLimitMaxWaitMs) {
    const delays: number[] = [];
    const events: AttemptEvent[] = [];
    let attempts = 0;
    const outcome = await runWithRetries(
      'generate-claim',
      async () => {
        const answer = answers[attempts]!;
        attempts += 1;
        if (answer === 'ok') return { status: 200, value: 'claim' };
        throw rateLimited(answer);
      },
      { ...DEFAULT_RETRY_POLICY, rateLimitMaxWaitMs },
      { sleep: async (ms) => void delays.push(ms), random: () => 0, now: () => 0, onAttempt: (event) => events.push(event) },
    ).catch((caught: unknown) => caught);
    return { outcome, delays, attempts, events };
  }

  it('waits out resets that fit in rateLimitMaxWaitMs, all retries together', async () => {
    const { outcome, delays } = await run([20, 20, 20, 'ok']);
    expect(outcome).toBe('claim');
    expect(delays).toEqual([20_000, 20_000, 20_000]);
  });

  it('a reset longer than rateLimitMaxWaitMs ends the call at once with that 429, without waiting', async () => {
    const { outcome, delays, attempts, events } = await run([3_600, 'ok']);
    expect(outcome).toBeInstanceOf(PersonaApiError);
    expect((outcome as PersonaApiError).status).toBe(429);
    expect(delays).toEqual([]);
    expect(attempts).toBe(1);
    expect(events.map((event) => event.outcome)).toEqual(['final']);
  });

  it('stops when the next reset would overrun what is left of the budget (no 3 × 59 s hold)', async () => {
    const { outcome, delays, attempts } = await run([59, 59, 59, 'ok']);
    expect((outcome as PersonaApiError).status).toBe(429);
    expect(delays).toEqual([59_000]);
    expect(attempts).toBe(2);
  });

  it('bounds the total wait by rateLimitMaxWaitMs plus the backoffs, whatever the resets', async () => {
    for (const resets of [[1, 1, 1], [30, 29, 2], [60, 1, 1], [0, 61, 0], [45, 10, 5]]) {
      const { delays } = await run([...resets, 'ok'], 60_000);
      const backoffs = [1, 2, 3].map((n) => backoffDelayMs(n, DEFAULT_RETRY_POLICY, () => 0));
      expect(delays.reduce((sum, ms) => sum + ms, 0), String(resets)).toBeLessThanOrEqual(60_000 + backoffs.reduce((a, b) => a + b));
    }
  });

  it('rateLimitMaxWaitMs 0 turns waiting on a reset off; a 429 without reset still backs off', async () => {
    expect((await run([1, 'ok'], 0)).delays).toEqual([]);
    const { outcome, delays } = await run([0, 'ok'], 0);
    expect(outcome).toBe('claim');
    expect(delays).toEqual([100]);
  });
});
