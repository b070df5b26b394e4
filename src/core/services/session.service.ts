import { randomUUID } from 'node:crypto';
import type { ResolvedRelayOptions } from '../config/index.js';
import type { EncryptionKeySupply, SecretBox } from '../crypto/index.js';
import { RelayError, RelayErrorCode } from '../errors.js';
import type { RelayLogger } from '../logger.js';
import type { PersonaApi } from '../persona/index.js';
import type { RelaySessionRecord, RelayStorage } from '../storage/index.js';
import type { PrivacyPassService } from './privacy-pass.service.js';
import { sealedField } from './sealing.js';

/** Persona's relay sessions (and their access tokens) live 30 minutes. */
export const RELAY_SESSION_TTL_MS = 30 * 60_000;

const HOUR_MS = 60 * 60_000;
const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

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
  /** Supplies per-relay key pairs (`per-relay` mode); absent in `static` and `none` modes. */
  readonly keySupply?: EncryptionKeySupply;
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
  /** Creations in progress in this process, per subject and in total: counted against the limits with the stored ones. */
  private readonly creating = new Map<string, number>();
  private creatingTotal = 0;

  constructor(private readonly deps: SessionServiceDeps) {}

  /** Creates a relay for `subject` (rate limited: every session costs one billed pass). */
  async create(subject: string, claimType?: string, options: { signal?: AbortSignal } = {}): Promise<CreatedSession> {
    const { options: config } = this.deps;
    assertSubject(subject);
    const type = claimType ?? config.claimType;
    if (!config.allowedClaimTypes.includes(type)) {
      throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'This claim type is not enabled', { context: { claimType: type } });
    }
    const releaseSlot = this.takeCreationSlot(subject);
    try {
      await this.enforceRateLimits(subject);
      return await this.createRelaySession(subject, type, options.signal);
    } finally {
      releaseSlot();
    }
  }

  private async createRelaySession(subject: string, type: string, signal?: AbortSignal): Promise<CreatedSession> {
    const { options: config, storage, api, secretBox, clock } = this.deps;
    const keyPair = await this.nextKeyPair();
    const relay = await api.createRelay(
      { claimType: type, encryptionKeyPem: keyPair?.publicKeyPem ?? null, sandbox: config.environment === 'sandbox' },
      { signal },
    );
    const id = randomUUID();
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
    const claim = await this.deps.storage.claims.getBySession(session.id);
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
   * Counts this creation as in progress, synchronously, before any await, so
   * concurrent requests in this process see each other. Returns the release.
   */
  private takeCreationSlot(subject: string): () => void {
    this.creating.set(subject, (this.creating.get(subject) ?? 0) + 1);
    this.creatingTotal += 1;
    return () => {
      const left = (this.creating.get(subject) ?? 1) - 1;
      if (left === 0) this.creating.delete(subject);
      else this.creating.set(subject, left);
      this.creatingTotal -= 1;
    };
  }

  /**
   * Sessions of the last hour plus creations in progress here (this one
   * included) must stay within the limits. Exact within one process; across
   * instances sharing a database, concurrent creations can still overshoot by
   * the requests in flight elsewhere: a brake on billed passes, not an exact quota.
   */
  private async enforceRateLimits(subject: string): Promise<void> {
    const { storage, options, clock } = this.deps;
    const since = new Date(clock().getTime() - HOUR_MS);
    const [stored, storedTotal] = await Promise.all([
      storage.sessions.countCreatedSince(subject, since),
      storage.sessions.countCreatedSince(null, since),
    ]);
    // The in-progress counts include this creation, hence `>` rather than `>=`.
    const mine = stored + (this.creating.get(subject) ?? 0);
    const all = storedTotal + this.creatingTotal;
    if (mine > options.limits.sessionsPerSubjectPerHour) {
      throw new RelayError(RelayErrorCode.RATE_LIMITED, 'Too many verification sessions for this visitor; try again later', {
        context: { scope: 'subject', limitPerHour: options.limits.sessionsPerSubjectPerHour },
      });
    }
    if (all > options.limits.sessionsPerHour) {
      throw new RelayError(RelayErrorCode.RATE_LIMITED, 'Too many verification sessions; try again later', {
        context: { scope: 'global', limitPerHour: options.limits.sessionsPerHour },
      });
    }
  }

  private async nextKeyPair(): Promise<{ publicKeyPem: string; privateKeyPem: string } | null> {
    const { options, keySupply } = this.deps;
    switch (options.encryption) {
      case 'none':
        return null;
      case 'static':
        return { publicKeyPem: options.staticPublicKeyPem!, privateKeyPem: options.staticPrivateKeyPem! };
      case 'per-relay':
        if (!keySupply) throw new TypeError('per-relay encryption needs an EncryptionKeySupply');
        return keySupply.take();
    }
  }
}

/** Refused with a 400, never a crash: the HTTP layer hashes longer ids, but the services are public API too. */
function assertSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 256) {
    throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'The subject must be a non-empty string of at most 256 characters');
  }
}
