import { createPrivateKey, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { ResolvedRelayOptions } from '../config/index.js';
import type { SecretBox } from '../crypto/index.js';
import { RelayError, RelayErrorCode } from '../errors.js';
import type { RelayLogger } from '../logger.js';
import { describeError } from '../logger.js';
import type { RelayMetrics } from '../observability/metrics.js';
import type { GeneratedClaim, PersonaApi } from '../persona/index.js';
import { readClaimPayload } from '../protocol/index.js';
import type {
  PassRecord,
  RedemptionRecord,
  RelaySessionRecord,
  RelayStorage,
  VerifiedClaimRecord,
} from '../storage/index.js';
import type { PrivacyPassService } from './privacy-pass.service.js';
import { LeaseLost, leaseEnd, leaseIsFree, startAttempt } from './redemption-attempts.js';
import { classifyRedemptionFailure } from './redemption-failures.js';
import { sealedField } from './sealing.js';
import type { SessionService } from './session.service.js';

/** A claim as the platform sees it. */
export interface RedeemedClaim {
  readonly sessionId: string;
  readonly claimType: string;
  readonly result: 'passed' | 'failed';
  readonly methodology?: ReadonlyArray<{ method: string; result: 'passed' | 'failed' }>;
  readonly verifiedAt: Date;
}

/** One of a subject's claims, as listed by {@link ClaimService.claimsOf}. */
export interface SubjectClaim {
  readonly claimType: string;
  readonly result: 'passed' | 'failed';
  readonly verifiedAt: Date;
}

/** Dependencies of {@link ClaimService}. */
export interface ClaimServiceDeps {
  readonly options: ResolvedRelayOptions;
  readonly storage: RelayStorage;
  /**
   * Persona client for generate-claim. Its retry loop runs the service's hook
   * before each request, so every request is recorded on the redemption
   * before it is sent.
   */
  readonly api: PersonaApi;
  readonly secretBox: SecretBox;
  readonly sessions: Pick<SessionService, 'getOwned'>;
  readonly passes: Pick<PrivacyPassService, 'whenIssued' | 'issue'>;
  readonly logger: RelayLogger;
  readonly clock: () => Date;
  /** Identifies this process in redemption leases. */
  readonly instanceId: string;
  /** The services' shutdown signal: aborting it stops every redemption's requests and waits. */
  readonly shutdown: AbortSignal;
  readonly metrics: Pick<RelayMetrics, 'recordRedemption'>;
}

/** How many passes one redemption may try when Persona rejects a pass (401). */
const MAX_PASSES_PER_REDEMPTION = 3;
/** How often a caller waiting for another instance's redemption looks again. */
const WAIT_POLL_MS = 100;

/** A PENDING redemption with its pass, ready to be driven. */
interface Redemption {
  readonly record: RedemptionRecord;
  readonly pass: PassRecord;
  /** Begun just now with its first attempt counted and the lease held: that attempt needs no lease taking. */
  readonly firstAttemptCounted?: boolean;
}

/** What driving a redemption led to, when it did not produce a claim. */
type DriveSetback =
  /** Persona rejected the pass (401): start over with another pass and a new key. */
  | 'pass-rejected'
  /** Another caller or instance holds the lease (or finished the record): wait for it. */
  | 'lease-lost';

/** A redemption running in this process: a caller's (joined by concurrent callers) or a background resume. */
interface Flight {
  readonly kind: 'redeem' | 'resume';
  readonly done: Promise<RedeemedClaim | undefined>;
}

/**
 * Reads claims from Persona exactly once per session:
 *
 * 1. one pass is reserved and the idempotency record (new UUIDv4 key, pass,
 *    session) is committed **before** the first request to Persona;
 * 2. every attempt, in this process or after a crash in another, sends the
 *    same key, pass, relay token and secret; each one is counted on the
 *    record (`attempts`) and renews the driver's lease right before it is sent;
 * 3. concurrent calls for one session share one redemption: in this process
 *    they join the running call, across instances they wait for the lease
 *    holder; a waiter never sends its own request;
 * 4. only ambiguous outcomes (transport error, timeout, undecodable 2xx, 409,
 *    429, 5xx but 501 and 505) and a 403 within `retry.forbiddenRetryBudgetMs` are
 *    retried, in the Persona client's retry loop, with
 *    backoff and `RateLimit-Reset`; when the retries run out the record stays
 *    PENDING with its key for the next call or {@link ClaimService.resumeStale};
 * 5. the response, the pass state and the claim are committed together;
 *    `token-consumed: false` returns the pass to the pool;
 * 6. a 401 marks the pass unusable and the redemption starts over with another
 *    pass and a new key;
 * 7. a record whose lease ran out is resumed by any instance, until the
 *    replay window closes; then it becomes UNKNOWN, is logged as an error and
 *    answered with `REDEMPTION_UNKNOWN`, and its key is never sent again. A
 *    later call for the same session starts a new redemption (with a new
 *    pass): that is the user asking again, not a silent retry, and costs no
 *    more than the new session they would otherwise need.
 *
 * @example
 * ```ts
 * // the browser reported onComplete for sessionId
 * const claim = await claims.redeem(user.id, sessionId);
 * if (claim.result === 'passed') grantAccess();
 * ```
 */
export class ClaimService {
  /** Redemptions running in this process, by session id. */
  private readonly flights = new Map<string, Flight>();

  constructor(private readonly deps: ClaimServiceDeps) {}

  /**
   * Reads the claim of one of `subject`'s sessions. Calling it again returns
   * the stored answer without another redemption at Persona. Concurrent calls
   * for one session in this process share one redemption (and its outcome).
   *
   * @throws RelayError `SESSION_NOT_FOUND` (unknown or another subject's
   *   session), `CLAIM_NOT_READY`, `SESSION_EXPIRED`, `REDEMPTION_IN_PROGRESS`,
   *   `REDEMPTION_UNKNOWN`, `NO_PASS_AVAILABLE`, or the Persona error that ended
   *   an ambiguous redemption (which stays resumable)
   */
  async redeem(subject: string, sessionId: string, options: { signal?: AbortSignal } = {}): Promise<RedeemedClaim> {
    const session = await this.deps.sessions.getOwned(subject, sessionId);
    // Only a claimed session can have a stored claim: an open one goes straight to the redemption,
    // which finds a claim stored meanwhile through the session's SUCCEEDED record.
    for (let mayHaveClaim = session.state === 'claimed'; ; mayHaveClaim = true) {
      const stored = mayHaveClaim ? await this.deps.storage.claims.getBySession(session.id) : null;
      if (stored) return toClaimResult(stored);
      const running = this.flights.get(session.id);
      if (running?.kind === 'redeem') return (await running.done)!;
      if (running) {
        // A background resume of this session: let it finish, then look again.
        await running.done.catch(() => undefined);
        continue;
      }
      const signal = options.signal ? AbortSignal.any([options.signal, this.deps.shutdown]) : this.deps.shutdown;
      const claim = await this.fly(session.id, 'redeem', () => this.redeemSession(session, signal));
      return claim!;
    }
  }

  /** Claims held by `subject`, newest first. */
  async claimsOf(subject: string): Promise<SubjectClaim[]> {
    const claims = await this.deps.storage.claims.listBySubject(subject);
    return claims.map(toSubjectClaim);
  }

  /** True when `subject` holds a passed claim of `claimType`. */
  hasClaim(subject: string, claimType: string): Promise<boolean> {
    return this.deps.storage.claims.hasPassed(subject, claimType);
  }

  /** The newest passed claim of `claimType` held by `subject`, if any. */
  async passedClaim(subject: string, claimType: string): Promise<SubjectClaim | undefined> {
    const claim = await this.deps.storage.claims.findPassed(subject, claimType);
    return claim === null ? undefined : toSubjectClaim(claim);
  }

  /**
   * Resumes PENDING redemptions whose lease ran out (a crashed or stalled
   * instance), with their stored key and pass. Sessions this process is
   * already redeeming are left alone. Returns how many records it drove.
   */
  async resumeStale(limit = 20): Promise<number> {
    const { storage, clock } = this.deps;
    const records = await storage.redemptions.listResumable(clock(), limit);
    let driven = 0;
    for (const stale of records) {
      const session = await storage.sessions.get(stale.sessionId);
      const pass = await storage.passes.get(stale.passId);
      if (!session || !pass) continue; // cannot happen with referential integrity; nothing safe to do
      // Checked right before registering the flight (no await in between), so a request redeeming
      // this session in this process keeps it to itself.
      if (this.flights.has(stale.sessionId)) continue;
      driven += 1;
      try {
        await this.fly(session.id, 'resume', async () => {
          const outcome = await this.drive(session, { record: stale, pass }, this.newLeaseOwner(), this.deps.shutdown);
          // A setback is left for the next redeem call, which starts over when needed.
          return typeof outcome === 'string' ? undefined : outcome;
        });
      } catch (error) {
        this.deps.logger.warn('resumed redemption did not finish', { idempotencyKey: stale.key, ...describeError(error) });
      }
    }
    return driven;
  }

  /**
   * Waits for the redemptions running in this process to settle once the
   * shutdown signal has aborted them. Each one stays PENDING with its key and
   * its lease given up, so another instance (or this one after a restart)
   * resumes it at once.
   */
  async whenStopped(): Promise<void> {
    await Promise.allSettled([...this.flights.values()].map((flight) => flight.done));
  }

  /** Runs `work` as this process's only redemption of the session. */
  private fly(sessionId: string, kind: Flight['kind'], work: () => Promise<RedeemedClaim | undefined>): Promise<RedeemedClaim | undefined> {
    const done = work().finally(() => {
      if (this.flights.get(sessionId)?.done === done) this.flights.delete(sessionId);
    });
    this.flights.set(sessionId, { kind, done });
    return done;
  }

  private async redeemSession(session: RelaySessionRecord, signal?: AbortSignal): Promise<RedeemedClaim> {
    await this.deps.passes.whenIssued(session.id);
    const owner = this.newLeaseOwner();
    let passesTried = 0;
    for (;;) {
      const next = await this.nextRedemption(session, owner, signal);
      if ('claim' in next) return next.claim;
      const outcome = await this.drive(session, next, owner, signal);
      if (outcome === 'lease-lost') continue; // someone else drives it: nextRedemption waits for them
      if (outcome !== 'pass-rejected') return outcome;
      passesTried += 1;
      if (passesTried >= MAX_PASSES_PER_REDEMPTION) {
        throw new RelayError(RelayErrorCode.NO_PASS_AVAILABLE, 'Persona rejected every Privacy Pass presented', {
          context: { sessionId: session.id, passesTried },
        });
      }
    }
  }

  /**
   * Starts a redemption (committing its record before anything is sent) or
   * finds the session's existing one: the stored claim when it succeeded, the
   * record to drive when it is PENDING and nobody holds its lease; otherwise
   * waits for the lease holder, up to `redemption.waitMs`.
   */
  private async nextRedemption(
    session: RelaySessionRecord,
    owner: string,
    signal?: AbortSignal,
  ): Promise<Redemption | { claim: RedeemedClaim }> {
    const { storage, clock, options } = this.deps;
    let issuedOnDemand = false;
    const waitUntil = clock().getTime() + options.redemption.waitMs;
    for (;;) {
      signal?.throwIfAborted();
      const now = clock();
      const begun = await storage.redemptions.begin({
        sessionId: session.id,
        claimType: session.claimType,
        environment: session.environment,
        usableAfter: new Date(now.getTime() + options.tokenExpiryMarginMs),
        key: randomUUID(),
        leaseOwner: owner,
        leaseExpiresAt: leaseEnd(now, options),
        now,
        countsFirstAttempt: true,
      });
      if (begun.kind === 'started') return { record: begun.record, pass: begun.pass, firstAttemptCounted: true };

      if (begun.kind === 'no-pass') {
        if (issuedOnDemand) {
          throw new RelayError(RelayErrorCode.NO_PASS_AVAILABLE, 'No usable Privacy Pass could be obtained', {
            context: { sessionId: session.id },
          });
        }
        await this.issueOnDemand(session, signal);
        issuedOnDemand = true;
        continue;
      }

      const existing = begun.record;
      if (existing.state === 'SUCCEEDED') return { claim: await this.storedClaim(session, existing) };
      if (leaseIsFree(existing, now)) {
        const pass = await storage.passes.get(existing.passId);
        if (pass) return { record: existing, pass };
      }
      // Another caller or instance is driving this session's redemption: wait for it, never send our own.
      if (clock().getTime() >= waitUntil) {
        throw new RelayError(RelayErrorCode.REDEMPTION_IN_PROGRESS, 'This session is being redeemed; try again shortly', {
          context: { sessionId: session.id },
        });
      }
      await delay(WAIT_POLL_MS, undefined, { signal });
    }
  }

  /** The claim of a SUCCEEDED record: from the claims table, or read (and then stored) from the stored response. */
  private async storedClaim(session: RelaySessionRecord, record: RedemptionRecord): Promise<RedeemedClaim> {
    const { storage, secretBox } = this.deps;
    const claim = await storage.claims.getBySession(session.id);
    if (claim) return toClaimResult(claim);
    // The response was stored but could not be read then (for example a decryption failure): try again,
    // and keep the claim this time so guards and claim lists see it.
    const response = JSON.parse(secretBox.openText(record.responseSealed!, sealedField.response(record.key))) as {
      claimPayload: string;
    };
    const read = this.readClaim(session, response.claimPayload, record.updatedAt);
    await storage.claims.record(read);
    return toClaimResult(read);
  }

  /**
   * Sends the redemption with the record's key and pass (retrying ambiguous
   * outcomes) and stores the outcome. Returns the claim or a setback.
   */
  private async drive(
    session: RelaySessionRecord,
    redemption: Redemption,
    owner: string,
    signal?: AbortSignal,
  ): Promise<RedeemedClaim | DriveSetback> {
    const { storage, secretBox, clock, api } = this.deps;
    const { record, pass } = redemption;
    // A resumed record had requests whose outcome was never stored: any of them may have been processed.
    const firstAttemptCounted = redemption.firstAttemptCounted === true;
    let earlierAttemptMayHaveBeenProcessed = !firstAttemptCounted && record.attempts > 0;
    let response: GeneratedClaim;
    try {
      const input = {
        relayToken: secretBox.openText(session.relayTokenSealed, sealedField.relayToken(session.id)),
        relaySecret: secretBox.openText(session.relaySecretSealed, sealedField.relaySecret(session.id)),
        token: secretBox.openText(pass.tokenSealed, sealedField.passToken(pass.id)),
      };
      // Every attempt sends the same key, pass, relay token and secret.
      response = await api.generateClaim(input, {
        idempotencyKey: record.key,
        signal,
        // `begin` counted a fresh record's first attempt and took the lease for it; any other attempt takes or renews it.
        beforeAttempt: async (attempt) => {
          if (attempt > 1 || !firstAttemptCounted) await startAttempt(this.deps, session, record, owner);
        },
        onAttempt: (event) => {
          if (event.failure === 'ambiguous') earlierAttemptMayHaveBeenProcessed = true;
        },
      });
    } catch (error) {
      if (error instanceof LeaseLost) return 'lease-lost';
      return this.onRedemptionError(session, record, owner, error, earlierAttemptMayHaveBeenProcessed);
    }

    // Read the claim before committing, but commit the response even when it cannot be read:
    // the claim is then still recoverable from the stored response (see storedClaim).
    const now = clock();
    let claim: VerifiedClaimRecord | null = null;
    let readError: unknown;
    try {
      claim = this.readClaim(session, response.claimPayload, now);
    } catch (error) {
      readError = error;
    }
    const stored = { claimPayload: response.claimPayload, tokenConsumed: response.tokenConsumed };
    const committed = await storage.redemptions.succeed({
      key: record.key,
      responseSealed: secretBox.seal(JSON.stringify(stored), sealedField.response(record.key)),
      passOutcome: response.tokenConsumed ? 'consumed' : 'released',
      claim,
      now,
    });
    if (committed) this.deps.metrics.recordRedemption(session, response.tokenConsumed ? 'succeeded' : 'refunded');
    if (!committed) {
      // Someone finished the record first: another instance that resumed it after our lease ran out
      // (it stored the same idempotent answer), or the replay window closed under us.
      const existing = await storage.claims.getBySession(session.id);
      if (existing) return toClaimResult(existing);
      if (claim) await storage.claims.record(claim);
    }
    if (readError) {
      this.deps.logger.error('claim response stored but unreadable', { sessionId: session.id, ...describeError(readError) });
      throw readError;
    }
    this.deps.logger.debug('claim redeemed', { sessionId: session.id, tokenConsumed: response.tokenConsumed });
    return toClaimResult(claim!);
  }

  /**
   * Acts on a failed redemption: an ambiguous outcome, or a final one after an attempt that may have been
   * processed, keeps the record PENDING with its key and pass; any other failure is recorded as final, and when
   * Persona rejected the pass the caller starts over with another pass and key.
   */
  private async onRedemptionError(
    session: RelaySessionRecord,
    record: RedemptionRecord,
    owner: string,
    error: unknown,
    earlierAttemptMayHaveBeenProcessed: boolean,
  ): Promise<'pass-rejected'> {
    const { storage, clock } = this.deps;
    const verdict = classifyRedemptionFailure(error);
    if (verdict.kind === 'rethrow') throw error;
    if (verdict.kind === 'ambiguous') {
      // The request may have been processed: keep the record PENDING with its key and pass, and give
      // the lease up so the next call (here or in another instance) resumes it at once.
      await storage.redemptions.releaseLease(record.key, owner);
      this.deps.metrics.recordRedemption(session, 'pending');
      throw error;
    }
    if (verdict.kind === 'final' && earlierAttemptMayHaveBeenProcessed) {
      // An earlier request under this key may have spent the pass and produced the claim; this later
      // 403/404/422 proves neither. Keep the record PENDING: the next call retries the same key, and
      // Persona replays the stored answer if there is one, so no pass is released that might be spent.
      await storage.redemptions.releaseLease(record.key, owner);
      this.deps.metrics.recordRedemption(session, 'pending');
      throw verdict.error;
    }
    await storage.redemptions.fail({
      key: record.key,
      failure: verdict.failure,
      passOutcome: verdict.passOutcome,
      ...(verdict.sessionState ? { sessionState: verdict.sessionState } : {}),
      now: clock(),
    });
    this.deps.metrics.recordRedemption(session, verdict.kind === 'pass-rejected' ? 'pass_rejected' : 'failed_final');
    if (verdict.kind === 'pass-rejected') {
      this.deps.logger.warn('Persona rejected a Privacy Pass', { sessionId: session.id, failure: verdict.failure });
      return 'pass-rejected';
    }
    throw verdict.error;
  }

  private readClaim(session: RelaySessionRecord, claimPayload: string, verifiedAt: Date): VerifiedClaimRecord {
    const privateKey = session.privateKeySealed
      ? createPrivateKey(this.deps.secretBox.openText(session.privateKeySealed, sealedField.privateKey(session.id)))
      : undefined;
    const payload = readClaimPayload(claimPayload, { privateKey, expectedClaimType: session.claimType });
    return {
      sessionId: session.id,
      subject: session.subject,
      claimType: payload.claimType,
      result: payload.result,
      methodology: payload.methodology ?? null,
      verifiedAt,
    };
  }

  /** The relay of a session, for issuing a pass bound to it. */
  /**
   * No usable pass for this session. With `at-creation` issuance its own pass is missing (its issuance failed, or
   * runs in another instance that has not finished): one is issued now, on the request path, tied to this relay
   * like any at-creation pass. With a pool, issuing now would put an identified, billed call right before this
   * anonymous redemption, the pairing pool mode exists to prevent: `pool.whenDry` decides, and either way the
   * warning (a stable message, for alerts) says the pool is too small.
   */
  private async issueOnDemand(session: RelaySessionRecord, signal?: AbortSignal): Promise<void> {
    const { options, logger } = this.deps;
    const context = { sessionId: session.id, claimType: session.claimType, environment: session.environment };
    if (options.issuance === 'pool' && options.pool.whenDry === 'refuse') {
      logger.warn('pass pool dry; redemption refused until the next refill', context);
      throw new RelayError(RelayErrorCode.NO_PASS_AVAILABLE, 'No Privacy Pass is available; try again shortly', {
        context: { sessionId: session.id },
      });
    }
    logger.warn(
      options.issuance === 'pool'
        ? 'pass pool dry; issuing on demand on the request path'
        : 'no pre-issued pass for redemption; issuing on demand',
      context,
    );
    await this.deps.passes.issue({
      claimType: session.claimType,
      environment: session.environment,
      relay: this.issuanceRelay(session),
      signal,
    });
  }

  private issuanceRelay(session: RelaySessionRecord) {
    const { secretBox } = this.deps;
    return {
      sessionId: session.id,
      relayToken: secretBox.openText(session.relayTokenSealed, sealedField.relayToken(session.id)),
      relaySecret: secretBox.openText(session.relaySecretSealed, sealedField.relaySecret(session.id)),
    };
  }

  /**
   * A lease owner per driving call, not per process: two callers in one
   * process (a request and a background resume) must not both count as the
   * holder of one lease.
   */
  private newLeaseOwner(): string {
    return `${this.deps.instanceId}/${randomUUID()}`;
  }
}

function toClaimResult(claim: VerifiedClaimRecord): RedeemedClaim {
  return {
    sessionId: claim.sessionId,
    claimType: claim.claimType,
    result: claim.result,
    ...(claim.methodology ? { methodology: claim.methodology } : {}),
    verifiedAt: claim.verifiedAt,
  };
}

function toSubjectClaim(claim: VerifiedClaimRecord): SubjectClaim {
  return { claimType: claim.claimType, result: claim.result, verifiedAt: claim.verifiedAt };
}
