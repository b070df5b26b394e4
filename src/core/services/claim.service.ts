import { createPrivateKey, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { ResolvedRelayOptions } from '../config/index.js';
import type { SecretBox } from '../crypto/index.js';
import { RelayError, RelayErrorCode } from '../errors.js';
import type { RelayLogger } from '../logger.js';
import { describeError } from '../logger.js';
import { PersonaApiError } from '../persona/index.js';
import type { PersonaApi } from '../persona/index.js';
import { readClaimPayload } from '../protocol/index.js';
import type {
  PassRecord,
  RedemptionRecord,
  RelaySessionRecord,
  RelayStorage,
  VerifiedClaimRecord,
} from '../storage/index.js';
import type { PrivacyPassService } from './privacy-pass.service.js';
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
  readonly api: PersonaApi;
  readonly secretBox: SecretBox;
  readonly sessions: SessionService;
  readonly passes: PrivacyPassService;
  readonly logger: RelayLogger;
  readonly clock: () => Date;
  /** Identifies this process in redemption leases. */
  readonly instanceId: string;
}

/** How many passes one redemption may try when Persona rejects a pass (401). */
const MAX_PASSES_PER_REDEMPTION = 3;
/** How often a caller waiting for another instance's redemption looks again. */
const WAIT_POLL_MS = 100;

/** A redemption this process holds the lease of, with what it needs to drive it. */
interface Lease {
  readonly record: RedemptionRecord;
  readonly pass: PassRecord;
}

/**
 * Reads claims from Persona exactly once per session (design.md §5):
 *
 * 1. one pass is reserved and the idempotency record (new UUIDv4 key, pass,
 *    session) is committed **before** the first request to Persona;
 * 2. every attempt, in this process or after a crash in another, sends the
 *    same key, pass, relay token and secret;
 * 3. a concurrent call for the same session waits for the first instead of
 *    sending its own request;
 * 4. the response, the pass state and the claim are committed together;
 * 5. a record whose lease ran out is resumed by any instance, until the replay
 *    window closes; then it becomes UNKNOWN and is reported, never retried.
 *
 * @example
 * ```ts
 * // the browser reported onComplete for sessionId
 * const claim = await claims.redeem(user.id, sessionId);
 * if (claim.result === 'passed') grantAccess();
 * ```
 */
export class ClaimService {
  constructor(private readonly deps: ClaimServiceDeps) {}

  /**
   * Reads the claim of one of `subject`'s sessions. Calling it again returns
   * the stored answer without another redemption at Persona.
   */
  async redeem(subject: string, sessionId: string, options: { signal?: AbortSignal } = {}): Promise<RedeemedClaim> {
    const session = await this.deps.sessions.getOwned(subject, sessionId);
    const stored = await this.deps.storage.claims.getBySession(session.id);
    if (stored) return toClaimResult(stored);
    await this.deps.passes.whenIssued(session.id);

    for (let round = 1; ; round += 1) {
      const lease = await this.takeLease(session, options.signal);
      if ('claim' in lease) return lease.claim;
      const outcome = await this.drive(session, lease, options.signal);
      if (outcome !== 'pass-rejected') return outcome;
      if (round >= MAX_PASSES_PER_REDEMPTION) {
        throw new RelayError(RelayErrorCode.NO_PASS_AVAILABLE, 'Persona rejected every Privacy Pass presented', {
          context: { sessionId: session.id, passesTried: round },
        });
      }
    }
  }

  /** Claims held by `subject`, newest first. */
  async claimsOf(subject: string): Promise<SubjectClaim[]> {
    const claims = await this.deps.storage.claims.listBySubject(subject);
    return claims.map((c) => ({ claimType: c.claimType, result: c.result, verifiedAt: c.verifiedAt }));
  }

  /** True when `subject` holds a passed claim of `claimType`. */
  hasClaim(subject: string, claimType: string): Promise<boolean> {
    return this.deps.storage.claims.hasPassed(subject, claimType);
  }

  /** The newest passed claim of `claimType` held by `subject`, if any. */
  async passedClaim(subject: string, claimType: string): Promise<SubjectClaim | undefined> {
    const claims = await this.claimsOf(subject);
    return claims.find((c) => c.claimType === claimType && c.result === 'passed');
  }

  /**
   * Resumes PENDING redemptions whose lease ran out (a crashed or stalled
   * instance), with their stored key and pass. Returns how many were driven.
   */
  async resumeStale(limit = 20): Promise<number> {
    const { storage, clock, options, instanceId } = this.deps;
    const records = await storage.redemptions.listResumable(clock(), limit);
    let driven = 0;
    for (const stale of records) {
      const now = clock();
      const record = await storage.redemptions.acquireLease(stale.key, instanceId, now, leaseEnd(now, options));
      if (!record) continue;
      const session = await storage.sessions.get(record.sessionId);
      const pass = await storage.passes.get(record.passId);
      if (!session || !pass) continue; // cannot happen with referential integrity; nothing safe to do
      driven += 1;
      try {
        await this.drive(session, { record, pass });
      } catch (error) {
        this.deps.logger.warn('resumed redemption did not finish', { idempotencyKey: record.key, ...describeError(error) });
      }
    }
    return driven;
  }

  /** Starts a redemption or joins the existing one; returns a lease to drive or the finished claim. */
  private async takeLease(session: RelaySessionRecord, signal?: AbortSignal): Promise<Lease | { claim: RedeemedClaim }> {
    const { storage, clock, options, instanceId } = this.deps;
    let issuedOnDemand = false;
    const waitUntil = clock().getTime() + options.redemptionWaitMs;
    for (;;) {
      signal?.throwIfAborted();
      const now = clock();
      const begun = await storage.redemptions.begin({
        sessionId: session.id,
        claimType: session.claimType,
        environment: session.environment,
        usableAfter: new Date(now.getTime() + options.tokenExpiryMarginMs),
        key: randomUUID(),
        leaseOwner: instanceId,
        leaseExpiresAt: leaseEnd(now, options),
        now,
      });
      if (begun.kind === 'started') return { record: begun.record, pass: begun.pass };

      if (begun.kind === 'no-pass') {
        if (issuedOnDemand) {
          throw new RelayError(RelayErrorCode.NO_PASS_AVAILABLE, 'No usable Privacy Pass could be obtained');
        }
        // The at-creation pass is missing (its issuance failed or ran elsewhere): issue one now.
        this.deps.logger.warn('no pre-issued pass for redemption; issuing on demand', { sessionId: session.id });
        await this.deps.passes.issue({ claimType: session.claimType, environment: session.environment, signal });
        issuedOnDemand = true;
        continue;
      }

      const existing = begun.record;
      if (existing.state === 'SUCCEEDED') return { claim: await this.storedClaim(session, existing) };
      const resumed = await storage.redemptions.acquireLease(existing.key, instanceId, now, leaseEnd(now, options));
      if (resumed) {
        const pass = await storage.passes.get(resumed.passId);
        if (pass) return { record: resumed, pass };
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

  /** The claim of a SUCCEEDED record: from the claims table, or re-read from the stored response. */
  private async storedClaim(session: RelaySessionRecord, record: RedemptionRecord): Promise<RedeemedClaim> {
    const claim = await this.deps.storage.claims.getBySession(session.id);
    if (claim) return toClaimResult(claim);
    // The response was stored but could not be read then (for example a decryption failure): try again.
    const response = JSON.parse(this.deps.secretBox.openText(record.responseSealed!, sealedField.response(record.key))) as {
      claimPayload: string;
    };
    return toClaimResult(this.readClaim(session, response.claimPayload, record.updatedAt));
  }

  /**
   * Sends the redemption with the record's key and pass and stores the
   * outcome. Returns the claim, or `'pass-rejected'` when Persona refused the
   * pass (401) and the caller should start over with another one.
   */
  private async drive(session: RelaySessionRecord, lease: Lease, signal?: AbortSignal): Promise<RedeemedClaim | 'pass-rejected'> {
    const { storage, secretBox, clock, options, api, instanceId } = this.deps;
    const { record, pass } = lease;
    if (clock().getTime() - record.createdAt.getTime() > options.replayWindowMs) {
      await storage.redemptions.markUnknown(record.key, 'replay window closed before an answer was stored', clock());
      this.deps.logger.error('redemption outcome unknown: replay window closed', { idempotencyKey: record.key, sessionId: session.id });
      throw new RelayError(RelayErrorCode.REDEMPTION_UNKNOWN, 'The outcome of this redemption could not be established', {
        context: { sessionId: session.id },
      });
    }

    let response: { claimPayload: string; tokenConsumed: boolean };
    try {
      response = await api.generateClaim(
        {
          relayToken: secretBox.openText(session.relayTokenSealed, sealedField.relayToken(session.id)),
          relaySecret: secretBox.openText(session.relaySecretSealed, sealedField.relaySecret(session.id)),
          token: secretBox.openText(pass.tokenSealed, sealedField.passToken(pass.id)),
        },
        { idempotencyKey: record.key, signal },
      );
    } catch (error) {
      return this.onRedemptionError(session, record, error);
    }

    // Read the claim before committing, but commit the response even when it cannot be read:
    // the claim is then still recoverable from the stored ciphertext.
    const now = clock();
    let claim: VerifiedClaimRecord | null = null;
    let readError: unknown;
    try {
      claim = this.readClaim(session, response.claimPayload, now);
    } catch (error) {
      readError = error;
    }
    const committed = await storage.redemptions.succeed({
      key: record.key,
      responseSealed: secretBox.seal(JSON.stringify(response), sealedField.response(record.key)),
      passOutcome: response.tokenConsumed ? 'consumed' : 'released',
      claim,
      now,
    });
    if (!committed) {
      // Another instance stored the same (idempotent) response first.
      const stored = await storage.claims.getBySession(session.id);
      if (stored) return toClaimResult(stored);
    }
    if (readError) {
      this.deps.logger.error('claim response stored but unreadable', { sessionId: session.id, ...describeError(readError) });
      throw readError;
    }
    this.deps.logger.debug('claim redeemed', { sessionId: session.id, instance: instanceId, tokenConsumed: response.tokenConsumed });
    return toClaimResult(claim!);
  }

  /** Applies design.md §5 rules 4–6 to a failed redemption call. */
  private async onRedemptionError(session: RelaySessionRecord, record: RedemptionRecord, error: unknown): Promise<'pass-rejected'> {
    const { storage, clock, instanceId } = this.deps;
    if (!(error instanceof PersonaApiError) || isStillAmbiguous(error)) {
      // Transport failure, timeout, 5xx, 409, 429 after the client's retries, or our own abort:
      // the request may have been processed. Keep the record PENDING with its key and pass for a resume.
      await storage.redemptions.releaseLease(record.key, instanceId);
      throw error;
    }
    const failure = `${error.status}${error.personaCode ? ` ${error.personaCode}` : ''}`;
    const now = clock();
    switch (error.status) {
      case 401:
        // The pass is spent, expired or invalid: never present it again; start over with another pass and key.
        await storage.redemptions.fail({ key: record.key, failure, passOutcome: 'unusable', now });
        this.deps.logger.warn('Persona rejected a Privacy Pass', { sessionId: session.id, personaCode: error.personaCode });
        return 'pass-rejected';
      case 403:
        if (error.personaCode === 'relay_expired') {
          await storage.redemptions.fail({ key: record.key, failure, passOutcome: 'released', sessionState: 'expired', now });
          throw new RelayError(RelayErrorCode.SESSION_EXPIRED, 'The verification session expired', { cause: error });
        }
        await storage.redemptions.fail({ key: record.key, failure, passOutcome: 'released', now });
        throw new RelayError(RelayErrorCode.CLAIM_NOT_READY, 'The verification has not finished yet', { cause: error });
      case 404:
        await storage.redemptions.fail({ key: record.key, failure, passOutcome: 'released', sessionState: 'expired', now });
        throw new RelayError(RelayErrorCode.SESSION_EXPIRED, 'Persona no longer knows this verification session', { cause: error });
      case 422:
        // Checked before the pass is spent (claim type or environment mismatch): the pass stays good.
        await storage.redemptions.fail({ key: record.key, failure, passOutcome: 'released', now });
        throw error;
      default:
        // 400 (idempotency misuse) and anything unexpected: the pass's fate is unclear, so it is never reused.
        await storage.redemptions.fail({ key: record.key, failure, passOutcome: 'unusable', now });
        throw error;
    }
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
}

/** An error Persona's client gave up on that may still have been processed (403s are final once the budget is spent). */
function isStillAmbiguous(error: PersonaApiError): boolean {
  return error.status === 409 || error.status === 429 || error.status >= 500;
}

function leaseEnd(now: Date, options: ResolvedRelayOptions): Date {
  return new Date(now.getTime() + options.redemptionLeaseMs);
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
