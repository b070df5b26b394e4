import type {
  BeginRedemptionInput,
  PassOutcome,
  PassRecord,
  RedemptionRecord,
  RedemptionStore,
} from '../ports.js';
import { newPendingRedemption } from '../pending-redemption.js';
import { compareText, constraintViolation, detached, type MemoryTables } from './memory-tables.js';

/**
 * The session's PENDING or SUCCEEDED record, newest first (key order breaks ties, as in SQL).
 * Exported for tests, which inspect the tables through it.
 */
export function findLiveRecord(tables: MemoryTables, sessionId: string): RedemptionRecord | null {
  let live: RedemptionRecord | null = null;
  for (const record of tables.redemptions.values()) {
    if (record.sessionId !== sessionId || (record.state !== 'PENDING' && record.state !== 'SUCCEEDED')) continue;
    const newer =
      live === null ||
      record.createdAt > live.createdAt ||
      (record.createdAt.getTime() === live.createdAt.getTime() && compareText(record.key, live.key) > 0);
    if (newer) live = record;
  }
  return live;
}

/**
 * The pass `begin` reserves: AVAILABLE, of the session's kind, usable past
 * `usableAfter`, bound to this session or to none; bound ones first, then
 * earliest expiry. Passes bound to other sessions are theirs.
 */
function pickPass(tables: MemoryTables, input: BeginRedemptionInput): PassRecord | null {
  let best: PassRecord | null = null;
  for (const pass of tables.passes.values()) {
    if (
      pass.state !== 'AVAILABLE' ||
      pass.claimType !== input.claimType ||
      pass.environment !== input.environment ||
      pass.expiresAt <= input.usableAfter ||
      (pass.sessionId !== null && pass.sessionId !== input.sessionId)
    ) {
      continue;
    }
    if (best === null || preferredPassOrder(pass, best) < 0) best = pass;
  }
  return best;
}

function preferredPassOrder(a: PassRecord, b: PassRecord): number {
  const unboundA = a.sessionId === null ? 1 : 0;
  const unboundB = b.sessionId === null ? 1 : 0;
  return unboundA - unboundB || a.expiresAt.getTime() - b.expiresAt.getTime() || compareText(a.id, b.id);
}

/** The pass as a finished redemption leaves it. */
function settledPass(pass: PassRecord, outcome: PassOutcome): PassRecord {
  switch (outcome) {
    case 'consumed':
      return { ...pass, state: 'CONSUMED' };
    case 'unusable':
      return { ...pass, state: 'UNUSABLE' };
    case 'released':
      return { ...pass, state: 'AVAILABLE', sessionId: null, reservedBy: null };
  }
}

/** {@link RedemptionStore} over `tables`; see the port for the semantics of each method. */
export function createMemoryRedemptionStore(tables: MemoryTables): RedemptionStore {
  /** The record under `key` if it is still PENDING. */
  function pending(key: string): RedemptionRecord | null {
    const record = tables.redemptions.get(key);
    return record !== undefined && record.state === 'PENDING' ? record : null;
  }

  /** Applies `outcome` to the record's pass, if that pass is still reserved by it. */
  function settlePass(record: RedemptionRecord, outcome: PassOutcome): void {
    const pass = tables.passes.get(record.passId);
    if (pass === undefined || pass.state !== 'RESERVED' || pass.reservedBy !== record.key) return;
    tables.passes.set(pass.id, settledPass(pass, outcome));
  }

  return {
    async begin(input) {
      const live = findLiveRecord(tables, input.sessionId);
      if (live !== null) return { kind: 'existing', record: detached(live) };
      const available = pickPass(tables, input);
      if (available === null) return { kind: 'no-pass' };
      // The checks the SQL schema makes when the record is inserted.
      if (!tables.sessions.has(input.sessionId)) {
        throw constraintViolation('Cannot redeem for an unknown session', { sessionId: input.sessionId });
      }
      if (tables.redemptions.has(input.key)) {
        throw constraintViolation('A redemption with this idempotency key already exists', { key: input.key });
      }
      const pass: PassRecord = { ...available, state: 'RESERVED', reservedBy: input.key };
      const record = newPendingRedemption(input, pass.id);
      tables.passes.set(pass.id, pass);
      tables.redemptions.set(record.key, detached(record));
      return { kind: 'started', record: detached(record), pass: detached(pass) };
    },

    async get(key) {
      const record = tables.redemptions.get(key);
      return record === undefined ? null : detached(record);
    },

    async acquireLease(key, owner, now, leaseExpiresAt) {
      const record = pending(key);
      if (record === null) return null;
      const free = record.leaseExpiresAt === null || record.leaseExpiresAt <= now;
      if (!free && record.leaseOwner !== owner) return null;
      const leased: RedemptionRecord = {
        ...record,
        leaseOwner: owner,
        leaseExpiresAt: new Date(leaseExpiresAt),
        attempts: record.attempts + 1,
        updatedAt: new Date(now),
      };
      tables.redemptions.set(key, leased);
      return detached(leased);
    },

    async releaseLease(key, owner) {
      const record = pending(key);
      if (record === null || record.leaseOwner !== owner) return;
      tables.redemptions.set(key, { ...record, leaseOwner: null, leaseExpiresAt: null });
    },

    async succeed({ key, responseSealed, passOutcome, claim, now }) {
      const record = pending(key);
      if (record === null) return false;
      tables.redemptions.set(key, { ...record, state: 'SUCCEEDED', responseSealed, updatedAt: new Date(now) });
      settlePass(record, passOutcome);
      const session = tables.sessions.get(record.sessionId);
      if (session !== undefined) {
        // A read claim finishes the relay: its private key goes.
        const privateKeySealed = claim === null ? session.privateKeySealed : null;
        tables.sessions.set(session.id, { ...session, state: 'claimed', privateKeySealed });
      }
      // The newest verified claim of a session replaces an older one, as the SQL upsert does.
      if (claim !== null) tables.claims.set(claim.sessionId, detached(claim));
      return true;
    },

    async fail({ key, failure, passOutcome, sessionState, now }) {
      const record = pending(key);
      if (record === null) return false;
      tables.redemptions.set(key, { ...record, state: 'FAILED_FINAL', failure, updatedAt: new Date(now) });
      settlePass(record, passOutcome);
      const session = tables.sessions.get(record.sessionId);
      if (sessionState !== undefined && session !== undefined) {
        tables.sessions.set(session.id, { ...session, state: sessionState });
      }
      return true;
    },

    async markUnknown(key, failure, now) {
      const record = pending(key);
      if (record === null) return false;
      tables.redemptions.set(key, { ...record, state: 'UNKNOWN', failure, updatedAt: new Date(now) });
      return true;
    },

    async listResumable(now, limit) {
      return [...tables.redemptions.values()]
        .filter((record) => record.state === 'PENDING' && (record.leaseExpiresAt === null || record.leaseExpiresAt <= now))
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareText(a.key, b.key))
        .slice(0, limit)
        .map(detached);
    },
  };
}
