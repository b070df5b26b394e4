export type {
  BeginRedemptionInput,
  BeginRedemptionResult,
  ClaimStore,
  PassOutcome,
  PassRecord,
  PassState,
  PassStore,
  RedemptionRecord,
  RedemptionState,
  RedemptionStore,
  RelaySessionRecord,
  RelayStorage,
  SessionState,
  SessionStore,
  VerifiedClaimRecord,
} from './ports.js';
export { createMemoryStorage } from './memory/index.js';
