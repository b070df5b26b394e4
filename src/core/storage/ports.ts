/**
 * Storage ports: what the core services need from a database.
 *
 * Implementations: in-memory (`src/core/storage/memory`) and TypeORM
 * (`src/typeorm`). Every method is one atomic unit: an implementation must
 * make each call all-or-nothing and safe under concurrent callers, including
 * several app instances sharing one PostgreSQL database.
 *
 * Secret fields (suffix `Sealed`) hold {@link SecretBox} output, never
 * plaintext: the services seal before storing and open after loading, so no
 * store ever sees a relay token, relay secret, private key, Privacy Pass or
 * Persona response in the clear.
 */
import type { RelayEnvironment } from '../config/index.js';

/** Lifecycle of a relay session as stored. */
export type SessionState = 'open' | 'claimed' | 'expired';

/** A relay session created at Persona for one subject. */
export interface RelaySessionRecord {
  /** Our public session id (UUIDv4): the only id the browser sees. */
  readonly id: string;
  /** Who created it (user id or anonymous-visitor id). */
  readonly subject: string;
  readonly claimType: string;
  readonly environment: RelayEnvironment;
  /** Persona's relay token, sealed. */
  readonly relayTokenSealed: string;
  /** Persona's relay secret, sealed. */
  readonly relaySecretSealed: string;
  /**
   * PKCS#8 PEM of the payload decryption key, sealed; `null` for plaintext
   * relays, and deleted (`null`) once the relay's claim has been read.
   */
  readonly privateKeySealed: string | null;
  readonly state: SessionState;
  readonly createdAt: Date;
  /** When Persona's relay session (and access token) expires: creation + 30 minutes. */
  readonly expiresAt: Date;
}

/** State of a pre-issued Privacy Pass. */
export type PassState = 'AVAILABLE' | 'RESERVED' | 'CONSUMED' | 'EXPIRED' | 'UNUSABLE';

/** A Privacy Pass issued ahead of its redemption. */
export interface PassRecord {
  readonly id: string;
  /** The b64url Privacy Pass token, sealed. */
  readonly tokenSealed: string;
  /** Persona's `token-key-id` the pass was signed under. */
  readonly keyId: string;
  readonly claimType: string;
  readonly environment: RelayEnvironment;
  /** The challenge's `expires_at`: the pass is useless from then on. */
  readonly expiresAt: Date;
  readonly state: PassState;
  /**
   * The session the pass was issued for (`at-creation`), preferred by that
   * session's redemption; `null` for pooled or released passes, usable by any
   * session of the same claim type and environment.
   */
  readonly sessionId: string | null;
  /** Idempotency key of the redemption holding the reservation. */
  readonly reservedBy: string | null;
  readonly createdAt: Date;
}

/** State of one logical redemption (one relay + one pass + one idempotency key). */
export type RedemptionState = 'PENDING' | 'SUCCEEDED' | 'FAILED_FINAL' | 'UNKNOWN';

/** The idempotency record of a redemption: persisted before the first request to Persona. */
export interface RedemptionRecord {
  /** The `Idempotency-Key` (UUIDv4) sent on every attempt. */
  readonly key: string;
  readonly sessionId: string;
  readonly passId: string;
  readonly state: RedemptionState;
  /** Requests sent to Persona for this record so far, retries and resumes included (see `acquireLease`). */
  readonly attempts: number;
  /** Instance currently driving the redemption. */
  readonly leaseOwner: string | null;
  /** Until when the lease holder may act; afterwards any instance may resume. */
  readonly leaseExpiresAt: Date | null;
  /** Persona's 2xx response (`{claimPayload, tokenConsumed}` JSON), sealed; set once on success. */
  readonly responseSealed: string | null;
  /** Secret-free reason for FAILED_FINAL / UNKNOWN (status and Persona error code). */
  readonly failure: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A claim read from Persona and validated, owned by a subject. */
export interface VerifiedClaimRecord {
  readonly sessionId: string;
  readonly subject: string;
  readonly claimType: string;
  readonly result: 'passed' | 'failed';
  readonly methodology: ReadonlyArray<{ method: string; result: 'passed' | 'failed' }> | null;
  readonly verifiedAt: Date;
}

/** Relay sessions. */
export interface SessionStore {
  insert(session: RelaySessionRecord): Promise<void>;
  get(id: string): Promise<RelaySessionRecord | null>;
  /**
   * Deletes the payload keys of relays that are over: sets `privateKeySealed`
   * to `null` on sessions with `expiresAt < expiredBefore` that have no
   * PENDING redemption (a PENDING one may still need the key to read the
   * payload Persona returns). Returns how many keys were deleted.
   */
  forgetKeys(expiredBefore: Date): Promise<number>;
}

/** A per-relay RSA key pair generated ahead of time, waiting in the key reserve. */
export interface ReservedKeyPairRecord {
  /** UUIDv4; the sealed private key is bound to it. */
  readonly id: string;
  /** SPKI PEM, sent to Persona as the relay's `encryption-key-pem`. */
  readonly publicKeyPem: string;
  /** PKCS#8 PEM of the private key, sealed. */
  readonly privateKeySealed: string;
  readonly modulusBits: number;
  readonly createdAt: Date;
}

/**
 * Key pairs for per-relay payload encryption, generated ahead and shared by
 * every instance on the database, so that a restart keeps a warm reserve.
 */
export interface KeyReserveStore {
  add(records: readonly ReservedKeyPairRecord[]): Promise<void>;
  /**
   * Removes the oldest key pair of this size and returns it, in ONE atomic
   * statement (`DELETE … RETURNING` on a `SKIP LOCKED` pick): each key pair
   * is handed out once, whatever the number of instances taking at the same
   * time. `null` when none is left.
   */
  take(modulusBits: number): Promise<ReservedKeyPairRecord | null>;
  /** Key pairs of this size in the reserve. */
  count(modulusBits: number): Promise<number>;
}

/** The limit a session creation would exceed: per subject, per client address, or in total. */
export type SessionLimitScope = 'subject' | 'client' | 'global';

/** How many slots each scope may hold within the window. */
export interface SessionSlotLimits {
  readonly perSubject: number;
  readonly perClient: number;
  readonly global: number;
}

/** A request for one session-creation slot (see {@link SessionSlotStore.take}). */
export interface SessionSlotRequest {
  /** Id of the slot: the id of the session it is for. */
  readonly id: string;
  readonly subject: string;
  /** The client's address bucket; `null` when unknown, and then no per-client limit applies. */
  readonly client: string | null;
  readonly now: Date;
  /** Slots taken less than this long before `now` count against the limits. */
  readonly windowMs: number;
  readonly limits: SessionSlotLimits;
}

/** What {@link SessionSlotStore.take} decided. */
export type SessionSlotDecision =
  | { readonly kind: 'taken' }
  /** Nothing was stored; `freesAt` is when the window lets this scope take a slot again. */
  | { readonly kind: 'refused'; readonly scope: SessionLimitScope; readonly freesAt: Date };

/**
 * The ledger behind the session-creation limits. Every session costs a billed
 * pass, so the limits must hold exactly across instances sharing a database:
 * counting and taking happen in one atomic step, never read-then-write across
 * calls.
 */
export interface SessionSlotStore {
  /**
   * In ONE atomic step: forgets slots older than the window, counts the
   * subject's, the client's and all slots left, and takes the slot only if
   * none of the three is at its limit. Scopes are checked in the order
   * subject, client, global; the first one at its limit is reported.
   */
  take(request: SessionSlotRequest): Promise<SessionSlotDecision>;
  /** Gives a slot back (its creation failed before anything was billed); an unknown id changes nothing. */
  release(id: string): Promise<void>;
}

/** Pre-issued Privacy Passes. */
export interface PassStore {
  insert(pass: PassRecord): Promise<void>;
  get(id: string): Promise<PassRecord | null>;
  /** AVAILABLE passes of this kind that stay usable after `usableAfter`. */
  countAvailable(claimType: string, environment: RelayEnvironment, usableAfter: Date): Promise<number>;
  /**
   * Marks AVAILABLE passes with `expiresAt <= usableAfter` as EXPIRED (waste).
   * Returns how many were expired.
   */
  expireUnusable(usableAfter: Date): Promise<number>;
  /**
   * Detaches AVAILABLE passes bound to sessions that can no longer use them
   * (state `claimed` or `expired`, or created before `createdBefore`, i.e.
   * past the relay's lifetime), so any session may use them. An at-creation
   * pass that arrived after its session was redeemed with another pass, or
   * whose user never finished, is thus reused rather than left to expire.
   * Returns how many were detached.
   */
  unbindFinished(createdBefore: Date): Promise<number>;
  /**
   * Binds one unbound AVAILABLE pass of this kind that stays usable past
   * `usableAfter` (earliest expiry first) to `sessionId`, in one atomic
   * statement, and returns it; `null` when there is none. A pass Persona
   * refunded (`token-consumed: false`) is reused this way instead of buying
   * a new one for the next session.
   */
  adoptUnbound(input: {
    readonly sessionId: string;
    readonly claimType: string;
    readonly environment: RelayEnvironment;
    readonly usableAfter: Date;
  }): Promise<PassRecord | null>;
}

/** What {@link RedemptionStore.begin} found or did. */
export type BeginRedemptionResult =
  /** A new PENDING record was committed with a freshly reserved pass; the caller holds its lease. */
  | { readonly kind: 'started'; readonly record: RedemptionRecord; readonly pass: PassRecord }
  /** The session already has a PENDING or SUCCEEDED redemption: nothing was changed. */
  | { readonly kind: 'existing'; readonly record: RedemptionRecord }
  /** No AVAILABLE pass of this kind stays usable past `usableAfter`: nothing was changed. */
  | { readonly kind: 'no-pass' };

/** Input of {@link RedemptionStore.begin}. */
export interface BeginRedemptionInput {
  readonly sessionId: string;
  readonly claimType: string;
  readonly environment: RelayEnvironment;
  /** Only passes with `expiresAt > usableAfter` may be reserved (now + safety margin). */
  readonly usableAfter: Date;
  /** New idempotency key (UUIDv4) for the record. */
  readonly key: string;
  readonly leaseOwner: string;
  readonly leaseExpiresAt: Date;
  readonly now: Date;
  /**
   * True when the caller sends its first request to Persona right after a
   * `started` answer: the new record then counts that attempt (`attempts`
   * 1, as {@link RedemptionStore.acquireLease} would have), so no lease
   * needs taking before it. Default false: `attempts` 0.
   */
  readonly countsFirstAttempt?: boolean;
}

/** What happens to the reserved pass when a redemption ends. */
export type PassOutcome =
  /** Persona spent it (`token-consumed: true`). */
  | 'consumed'
  /** Persona did not spend it (`token-consumed: false`, or a failure before spending): back to AVAILABLE, unbound. */
  | 'released'
  /** Persona rejected it (401) or its fate is uncertain: never presented again. */
  | 'unusable';

/** Crash-safe redemption records: one live redemption per session, committed before Persona is called. */
export interface RedemptionStore {
  /**
   * In ONE atomic step: if the session has a PENDING or SUCCEEDED redemption,
   * return it; otherwise reserve one AVAILABLE pass (preferring one bound to
   * this session, then unbound ones, earliest expiry first; `UPDATE … RETURNING`
   * / `SKIP LOCKED`, never read-then-write) and insert a PENDING record holding
   * the lease. At most one PENDING record per session may exist, even when
   * instances race; a racer of the same session gets the winner's record,
   * never a `no-pass` caused by the pass the winner is reserving.
   */
  begin(input: BeginRedemptionInput): Promise<BeginRedemptionResult>;
  get(key: string): Promise<RedemptionRecord | null>;
  /**
   * Takes the lease of a PENDING record if it is free (`leaseExpiresAt <= now`)
   * or already held by `owner`, renews it until `leaseExpiresAt`, and counts
   * one attempt. The services call it right before every request they send
   * to Persona for this record, so `attempts` is the number of requests sent
   * (or about to be sent when the process died). Returns the updated record,
   * or `null` if someone else holds the lease or the record is no longer PENDING.
   */
  acquireLease(key: string, owner: string, now: Date, leaseExpiresAt: Date): Promise<RedemptionRecord | null>;
  /** Gives the lease up early (after an ambiguous outcome), so any instance may resume at once. */
  releaseLease(key: string, owner: string): Promise<void>;
  /**
   * In ONE atomic step, only if the record is still PENDING: store the sealed
   * response, set SUCCEEDED, apply the pass outcome, mark the session claimed
   * and insert the verified claim (when it could be read; `null` keeps the
   * response, and the session's private key, for a later read after a
   * decryption or validation failure). A read claim finishes the relay, so
   * the session's private key is deleted with it.
   * Returns false if the record was not PENDING (someone else finished it).
   */
  succeed(input: {
    readonly key: string;
    readonly responseSealed: string;
    readonly passOutcome: 'consumed' | 'released';
    readonly claim: VerifiedClaimRecord | null;
    readonly now: Date;
  }): Promise<boolean>;
  /**
   * In ONE atomic step, only if PENDING: set FAILED_FINAL with a secret-free
   * reason and apply the pass outcome; optionally set the session state.
   */
  fail(input: {
    readonly key: string;
    readonly failure: string;
    readonly passOutcome: PassOutcome;
    readonly sessionState?: SessionState;
    readonly now: Date;
  }): Promise<boolean>;
  /** PENDING past the replay window: set UNKNOWN (the pass stays RESERVED, never presented again). */
  markUnknown(key: string, failure: string, now: Date): Promise<boolean>;
  /** PENDING records whose lease has run out (`leaseExpiresAt <= now`), oldest first. */
  listResumable(now: Date, limit: number): Promise<RedemptionRecord[]>;
}

/** Verified claims per subject. */
export interface ClaimStore {
  getBySession(sessionId: string): Promise<VerifiedClaimRecord | null>;
  listBySubject(subject: string): Promise<VerifiedClaimRecord[]>;
  /** True if the subject holds a `passed` claim of this type. */
  hasPassed(subject: string, claimType: string): Promise<boolean>;
  /**
   * The subject's newest `passed` claim of this type (ties broken by session
   * id, as in {@link ClaimStore.listBySubject}), or `null`. Reads one row, not
   * the subject's whole history: route guards call it on every request.
   */
  findPassed(subject: string, claimType: string): Promise<VerifiedClaimRecord | null>;
  /**
   * Stores (or replaces) the claim of `claim.sessionId`, marks the session
   * claimed and deletes its private key, in one atomic step. Used when a
   * stored Persona response that could not be read at redemption time (for
   * example a decryption failure) is read successfully later.
   */
  record(claim: VerifiedClaimRecord): Promise<void>;
}

/** Everything the core needs, behind one handle. */
export interface RelayStorage {
  readonly sessions: SessionStore;
  readonly sessionSlots: SessionSlotStore;
  readonly passes: PassStore;
  readonly redemptions: RedemptionStore;
  readonly claims: ClaimStore;
  readonly keyReserve: KeyReserveStore;
  /** Resolves if the database answers (health checks). */
  ping(): Promise<void>;
  /** Releases connections the storage opened itself. */
  close(): Promise<void>;
}
