/**
 * The one retry loop for calls to Persona, following the retry policy of Persona's Relay
 * protocol.
 *
 * What is retried is decided by {@link classifyPersonaFailure}; the caller's request,
 * idempotency key and body are sent unchanged on every attempt. Each attempt has one
 * timer, its timeout; the caller's `AbortSignal` cancels the attempt in flight and any
 * wait. A `beforeAttempt` hook runs before each request is sent (a redemption records the
 * attempt there), and `onAttempt` reports how each attempt ended.
 */
import { RelayError, RelayErrorCode, isRelayError, type RelayErrorCodeValue } from '../errors.js';
import {
  PersonaApiError,
  classifyPersonaFailure,
  type PersonaFailureKind,
  type PersonaOperation,
} from './persona-error.js';

/**
 * Limits of the retry loop. Defaults: {@link DEFAULT_RETRY_POLICY}.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most `maxRetries + 1` attempts). */
  readonly maxRetries: number;
  /** Backoff before retry n is `min(maxDelayMs, baseDelayMs × 2^(n−1)) × U(0.5, 1)`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * Longest time one call spends waiting out 429s' `RateLimit-Reset`, all retries together. A 429 whose reset does
   * not fit in what is left ends the call with that 429 at once: waiting less than the reset would only earn
   * another 429, and waiting longer would hold the caller (often a browser request) for minutes.
   */
  readonly rateLimitMaxWaitMs: number;
  /** On generate-claim, a 403 is retried while at most this long has passed since the first attempt. */
  readonly forbiddenRetryBudgetMs: number;
  /** Each attempt is cancelled, and counts as a transport failure, after this long. */
  readonly requestTimeoutMs: number;
}

/** The defaults of Persona's Relay protocol. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxRetries: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  rateLimitMaxWaitMs: 60_000,
  forbiddenRetryBudgetMs: 10_000,
  requestTimeoutMs: 10_000,
});

/**
 * Waits `ms` milliseconds. Should settle early when `signal` aborts; the loop stops
 * waiting on abort either way.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * How an attempt ended:
 * - `success`: the attempt produced the result;
 * - `retry`: it failed in a way that is retried; the next attempt follows after `delayMs`;
 * - `final`: it failed and the failure is returned to the caller;
 * - `aborted`: the caller's signal cancelled it.
 */
export type AttemptOutcome = 'success' | 'retry' | 'final' | 'aborted';

/** What the loop reports after each attempt, for logs and metrics. Never carries a secret. */
export interface AttemptEvent {
  readonly operation: PersonaOperation;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** HTTP status, when Persona answered. */
  readonly status?: number;
  readonly outcome: AttemptOutcome;
  /** The failure's code, when the attempt failed. */
  readonly errorCode?: RelayErrorCodeValue;
  /**
   * Why no usable answer came, when the attempt failed without one: a short upper-case code such as
   * `TIMEOUT` or `ECONNRESET`, never a message.
   */
  readonly reason?: string;
  /** What the failure says about the request, when the attempt failed. */
  readonly failure?: PersonaFailureKind;
  /** Wait before the next attempt, for `retry`. */
  readonly delayMs?: number;
  /** How long the attempt took, from sending the request to its outcome (the wait before a retry excluded). */
  readonly durationMs: number;
}

/**
 * Runs right before an attempt's request is sent, with the attempt's number (1 for the
 * first). It may reject to stop the call: its error is passed on unchanged, nothing is
 * sent and nothing is retried.
 */
export type BeforeAttempt = (attempt: number) => Promise<void>;

/** Options of one run of the loop. */
export interface RetryCallOptions {
  /** Cancels the attempt in flight and any wait. */
  readonly signal?: AbortSignal;
  readonly beforeAttempt?: BeforeAttempt;
  /** Called after every attempt of this run, after the environment's `onAttempt`. */
  readonly onAttempt?: (event: AttemptEvent) => void;
}

/** Injectable effects of the loop, so tests can be deterministic. */
export interface RetryEnvironment {
  readonly sleep: Sleep;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** Milliseconds; only differences are used. */
  readonly now: () => number;
  readonly onAttempt?: (event: AttemptEvent) => void;
}

/**
 * Result of one attempt: the HTTP status (reported in {@link AttemptEvent}) and the value.
 */
export interface AttemptResult<T> {
  readonly status: number;
  readonly value: T;
}

/**
 * A timer-based {@link Sleep} that settles early (rejecting) when `signal` aborts.
 */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Backoff before retry `retryNumber` (1-based): `min(maxDelayMs, baseDelayMs × 2^(n−1)) × U(0.5, 1)`. */
export function backoffDelayMs(retryNumber: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retryNumber - 1));
  return ceiling * (0.5 + 0.5 * random());
}

/**
 * Runs `attempt` until it succeeds, fails finally, runs out of retries or is aborted.
 *
 * `attempt` receives a signal that aborts on the per-attempt timeout or the caller's abort;
 * it must pass it to the HTTP call and must send the same request every time.
 *
 * @throws the last failure when it is not retried or retries are exhausted; a
 *   `RelayError(PERSONA_TRANSPORT)` with `context.reason: 'TIMEOUT'` for a timed-out
 *   attempt; `RelayError(ABORTED)` when `signal` aborts (its `cause` is the previous
 *   failure, if any); the error of `beforeAttempt`, unchanged.
 */
export async function runWithRetries<T>(
  operation: PersonaOperation,
  attempt: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  policy: RetryPolicy,
  environment: RetryEnvironment,
  options: RetryCallOptions = {},
): Promise<T> {
  const { signal, beforeAttempt } = options;
  const report = (event: AttemptEvent): void => {
    notify(environment.onAttempt, event);
    notify(options.onAttempt, event);
  };
  const startedAt = environment.now();
  let rateLimitWaitedMs = 0;
  let lastFailure: unknown;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    if (signal?.aborted) throw abortedError(operation, attemptNumber - 1, lastFailure);
    if (beforeAttempt !== undefined) {
      await beforeAttempt(attemptNumber);
      // The caller may have aborted while the hook ran: send nothing then.
      if (signal?.aborted) throw abortedError(operation, attemptNumber - 1, lastFailure);
    }
    let failure: unknown;
    // Measured on the monotonic clock, not `environment.now`: a duration decides nothing, and the
    // services' (possibly fake) wall clock would distort it.
    const sentAt = performance.now();
    try {
      const result = await runAttempt(operation, attempt, policy.requestTimeoutMs, signal, () =>
        abortedError(operation, attemptNumber, lastFailure),
      );
      const durationMs = performance.now() - sentAt;
      report({ operation, attempt: attemptNumber, status: result.status, outcome: 'success', durationMs });
      return result.value;
    } catch (error) {
      failure = error;
    }

    const durationMs = performance.now() - sentAt;
    const kind = classifyPersonaFailure(failure, operation);
    const { status, reason } = failure instanceof RelayError ? failure.context : {};
    const failureFields = {
      operation,
      attempt: attemptNumber,
      ...(typeof status === 'number' ? { status } : {}),
      ...(failure instanceof RelayError ? { errorCode: failure.code } : {}),
      ...(typeof reason === 'string' ? { reason } : {}),
      failure: kind,
      durationMs,
    };
    if (isRelayError(failure, RelayErrorCode.ABORTED)) {
      report({ ...failureFields, outcome: 'aborted' });
      throw failure;
    }
    const elapsedMs = environment.now() - startedAt;
    const rateLimitWaitMs = rateLimitResetMs(failure);
    const rateLimitBudgetSpent = rateLimitWaitedMs + rateLimitWaitMs > policy.rateLimitMaxWaitMs;
    if (attemptNumber > policy.maxRetries || rateLimitBudgetSpent || !isRetried(kind, elapsedMs, policy)) {
      report({ ...failureFields, outcome: 'final' });
      throw failure;
    }
    rateLimitWaitedMs += rateLimitWaitMs;
    const delayMs = Math.max(backoffDelayMs(attemptNumber, policy, environment.random), rateLimitWaitMs);
    report({ ...failureFields, outcome: 'retry', delayMs });
    lastFailure = failure;
    await waitBeforeRetry(environment.sleep, delayMs, signal, () =>
      abortedError(operation, attemptNumber, failure),
    );
  }
}

/** Ambiguous outcomes always; generate-claim's 403 only while its time budget lasts. */
function isRetried(kind: PersonaFailureKind, elapsedMs: number, policy: RetryPolicy): boolean {
  return kind === 'ambiguous' || (kind === 'forbidden' && elapsedMs <= policy.forbiddenRetryBudgetMs);
}

/** The wait a 429's `RateLimit-Reset` asks for; 0 for any other failure (the backoff alone applies). */
function rateLimitResetMs(failure: unknown): number {
  if (failure instanceof PersonaApiError && failure.status === 429 && failure.rateLimitResetSeconds !== undefined) {
    return failure.rateLimitResetSeconds * 1000;
  }
  return 0;
}

/**
 * One attempt under its own timeout. A cancellation or transport failure that happened
 * because the caller aborted becomes `ABORTED`; one caused by the timeout becomes a
 * `PERSONA_TRANSPORT` timeout, which is retryable.
 */
async function runAttempt<T>(
  operation: PersonaOperation,
  attempt: (signal: AbortSignal) => Promise<AttemptResult<T>>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onAbort: () => RelayError,
): Promise<AttemptResult<T>> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onCallerAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    return await attempt(controller.signal);
  } catch (error) {
    const interrupted =
      isRelayError(error, RelayErrorCode.ABORTED) || isRelayError(error, RelayErrorCode.PERSONA_TRANSPORT);
    if (interrupted && signal?.aborted) throw onAbort();
    if (interrupted && timedOut) {
      throw new RelayError(
        RelayErrorCode.PERSONA_TRANSPORT,
        `Persona ${operation} request timed out after ${timeoutMs} ms`,
        { context: { operation, reason: 'TIMEOUT', timeoutMs } },
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }
}

/** Sleeps, but stops at once when `signal` aborts, even if the injected sleep ignores it. */
async function waitBeforeRetry(
  sleep: Sleep,
  delayMs: number,
  signal: AbortSignal | undefined,
  onAbort: () => RelayError,
): Promise<void> {
  if (signal === undefined) {
    await sleep(delayMs);
    return;
  }
  let stopWaiting: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    stopWaiting = () => resolve('aborted');
    signal.addEventListener('abort', stopWaiting, { once: true });
  });
  try {
    const slept = sleep(delayMs, signal).then(() => 'slept' as const);
    // A sleep that rejects because of the abort is an abort, not a failure of its own.
    const outcome = await Promise.race([slept, aborted]).catch((error: unknown) => {
      if (signal.aborted) return 'aborted' as const;
      throw error;
    });
    if (outcome === 'aborted' || signal.aborted) throw onAbort();
  } finally {
    if (stopWaiting !== undefined) signal.removeEventListener('abort', stopWaiting);
  }
}

function abortedError(operation: PersonaOperation, attempts: number, previousFailure: unknown): RelayError {
  return new RelayError(RelayErrorCode.ABORTED, `Persona ${operation} was aborted`, {
    context: { operation, attempts },
    ...(previousFailure === undefined ? {} : { cause: previousFailure }),
  });
}

/** Reports an attempt; a failing observer (e.g. a broken logger) must not change the call's outcome. */
function notify(observer: ((event: AttemptEvent) => void) | undefined, event: AttemptEvent): void {
  try {
    observer?.(event);
  } catch {
    // Deliberately ignored: observability must not turn a success into a failure.
  }
}
