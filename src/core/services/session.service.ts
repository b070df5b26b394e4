import { randomUUID } from 'node:crypto';
import type { ResolvedRelayOptions } from '../config/index.js';
import type { EncryptionKeyPair, SecretBox } from '../crypto/index.js';
import { RelayError, RelayErrorCode } from '../errors.js';
import { describeError, type RelayLogger } from '../logger.js';
import type { RelayMetrics } from '../observability/metrics.js';
import type { PersonaApi } from '../persona/index.js';
import type { RelaySessionRecord, RelayStorage, SessionLimitScope } from '../storage/index.js';
import type { KeyReserve } from './key-reserve.js';
import type { PrivacyPassService } from './privacy-pass.service.js';
import { sealedField } from './sealing.js';

/** Persona's relay sessions (and their access tokens) live 30 minutes. */
export const RELAY_SESSION_TTL_MS = 30 * 60_000;

const HOUR_MS = 60 * 60_000;
const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What a visitor over a limit is told; which limit it was goes to the error's context. */
const RATE_LIMITED_MESSAGE: Readonly<Record<SessionLimitScope, string>> = {
  subject: 'Too many verification sessions for this visitor; try again later',
  client: 'Too many verification sessions from this network; try again later',
  global: 'Too many verification sessions; try again later',
};

/** What the browser receives when a session is created: nothing secret but the access token. */
export interface CreatedSession {
  readonly sessionId: string;
  /** Persona's `relay-session-access-token` for the widget. */
  readonly accessToken: string;
  readonly claimType: string;
  readonly expiresAt: Date;
}

/** Public view of a session. */
export interface SessionView {
  readonly sessionId: string;
  readonly claimType: string;
  /** `pending` until a claim was read, `claimed` after, `expired` when Persona's relay session ran out first. */
  readonly state: 'pending' | 'claimed' | 'expired';
  readonly claim?: {
    readonly result: 'passed' | 'failed';
    readonly methodology?: ReadonlyArray<{ method: string; result: 'passed' | 'failed' }>;
    readonly verifiedAt: Date;
  };
}

/** Dependencies of {@link SessionService}. */
export interface SessionServiceDeps {
  readonly options: ResolvedRelayOptions;
  readonly storage: RelayStorage;
  readonly api: PersonaApi;
  readonly secretBox: SecretBox;
  readonly passes: PrivacyPassService;
  readonly logger: RelayLogger;
  readonly clock: () => Date;
  /** Hands out per-relay key pairs (`per-relay` mode); absent in `static` and `none` modes. */
  readonly keyReserve?: KeyReserve;
  readonly metrics: Pick<RelayMetrics, 'recordRateLimited'>;
}

/**
 * Creates relay sessions at Persona (anonymously), keeps the relay token,
 * secret and payload key sealed on the server and hands the browser only the
 * access token.
 *
 * @example
 * ```ts
 * const { sessionId, accessToken } = await sessions.create(user.id, 'age_over18_verified');
 * // send both to the browser; mount Persona's widget with accessToken
 * ```
 */
export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  /**
   * Creates a relay for `subject` (rate limited: every session costs one billed pass). `client` identifies
   * the requester's address for the per-client limit (the HTTP layer passes its IPv4 address or IPv6 /64);
   * without one, only the per-subject and global limits apply. Over a limit: `RATE_LIMITED` with
   * `context.scope` and `context.retryAfterSeconds`. With `per-relay` encryption and no key pair ready within
   * `keyWaitMs`: `RELAY_BUSY` with `context.retryAfterSeconds`.
   */
  async create(
    subject: string,
    claimType?: string,
    options: { signal?: AbortSignal; client?: string } = {},
  ): Promise<CreatedSession> {
    const { options: config } = this.deps;
    assertSubject(subject);
    const type = claimType ?? config.claimType;
    if (!config.allowedClaimTypes.includes(type)) {
      throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'This claim type is not enabled', { context: { claimType: type } });
    }
    const id = randomUUID();
    await this.takeCreationSlot(id, subject, options.client ?? null);
    try {
      return await this.createRelaySession(id, subject, type, options.signal);
    } catch (error) {
      // Nothing was billed yet (the pass is bought after this point), so the slot goes back.
      await this.deps.storage.sessionSlots.release(id).catch((releaseError: unknown) => {
        this.deps.logger.warn('could not give a session slot back', { sessionId: id, ...describeError(releaseError) });
      });
      throw error;
    }
  }

  private async createRelaySession(id: string, subject: string, type: string, signal?: AbortSignal): Promise<CreatedSession> {
    const { options: config, storage, api, secretBox, clock } = this.deps;
    const keyPair = await this.nextKeyPair(signal);
    const relay = await api.createRelay(
      { claimType: type, encryptionKeyPem: keyPair?.publicKeyPem ?? null, sandbox: config.environment === 'sandbox' },
      { signal },
    );
    const createdAt = clock();
    const session: RelaySessionRecord = {
      id,
      subject,
      claimType: type,
      environment: config.environment,
      relayTokenSealed: secretBox.seal(relay.relayToken, sealedField.relayToken(id)),
      relaySecretSealed: secretBox.seal(relay.relaySecret, sealedField.relaySecret(id)),
      privateKeySealed: keyPair ? secretBox.seal(keyPair.privateKeyPem, sealedField.privateKey(id)) : null,
      state: 'open',
      createdAt,
      expiresAt: new Date(createdAt.getTime() + RELAY_SESSION_TTL_MS),
    };
    await storage.sessions.insert(session);
    this.deps.logger.debug('relay session created', { sessionId: id, claimType: type });

    if (config.issuance === 'at-creation') {
      this.deps.passes.issueInBackground({
        claimType: type,
        environment: config.environment,
        relay: { sessionId: id, relayToken: relay.relayToken, relaySecret: relay.relaySecret },
      });
    }
    return { sessionId: id, accessToken: relay.accessToken, claimType: type, expiresAt: session.expiresAt };
  }

  /** The session if it exists and belongs to `subject`; otherwise `SESSION_NOT_FOUND` (never "exists but not yours"). */
  async getOwned(subject: string, sessionId: string): Promise<RelaySessionRecord> {
    assertSubject(subject);
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'A session id is a UUIDv4');
    }
    const session = await this.deps.storage.sessions.get(sessionId);
    if (!session || session.subject !== subject) {
      throw new RelayError(RelayErrorCode.SESSION_NOT_FOUND, 'No such session');
    }
    return session;
  }

  /** Public view of one of `subject`'s sessions. */
  async get(subject: string, sessionId: string): Promise<SessionView> {
    const session = await this.getOwned(subject, sessionId);
    // Only a claimed session can have a stored claim.
    const claim = session.state === 'claimed' ? await this.deps.storage.claims.getBySession(session.id) : null;
    const expired = session.state === 'expired' || (session.state === 'open' && this.deps.clock() >= session.expiresAt);
    return {
      sessionId: session.id,
      claimType: session.claimType,
      // Derived from the claim itself: a response stored but not yet readable still counts as pending.
      state: claim ? 'claimed' : expired ? 'expired' : 'pending',
      ...(claim
        ? {
            claim: {
              result: claim.result,
              ...(claim.methodology ? { methodology: claim.methodology } : {}),
              verifiedAt: claim.verifiedAt,
            },
          }
        : {}),
    };
  }

  /**
   * Takes this creation's slot in the ledger the limits count, in one atomic
   * step of the storage, so the limits hold exactly even across instances
   * sharing the database and under concurrent requests.
   */
  private async takeCreationSlot(id: string, subject: string, client: string | null): Promise<void> {
    const { storage, options, clock } = this.deps;
    const now = clock();
    const decision = await storage.sessionSlots.take({
      id,
      subject,
      client,
      now,
      windowMs: HOUR_MS,
      limits: {
        perSubject: options.limits.sessionsPerSubjectPerHour,
        perClient: options.limits.sessionsPerClientPerHour,
        global: options.limits.sessionsPerHour,
      },
    });
    if (decision.kind === 'taken') return;
    this.deps.metrics.recordRateLimited(decision.scope);
    const retryAfterSeconds = Math.max(1, Math.ceil((decision.freesAt.getTime() - now.getTime()) / 1000));
    throw new RelayError(RelayErrorCode.RATE_LIMITED, RATE_LIMITED_MESSAGE[decision.scope], {
      context: { scope: decision.scope, retryAfterSeconds },
    });
  }

  private async nextKeyPair(signal?: AbortSignal): Promise<EncryptionKeyPair | null> {
    const { options, keyReserve } = this.deps;
    switch (options.encryption) {
      case 'none':
        return null;
      case 'static':
        return { publicKeyPem: options.staticPublicKeyPem!, privateKeyPem: options.staticPrivateKeyPem! };
      case 'per-relay':
        if (!keyReserve) throw new TypeError('per-relay encryption needs a KeyReserve');
        return keyReserve.take(signal);
    }
  }
}

/** Refused with a 400, never a crash: the HTTP layer hashes longer ids, but the services are public API too. */
function assertSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 256) {
    throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'The subject must be a non-empty string of at most 256 characters');
  }
}
