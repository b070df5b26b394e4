/**
 * Per-option rules (type, range, pattern), declared with class-validator. Rules that look at several
 * options or at key material live in `resolve-options.ts` and `key-material.ts`.
 *
 * Every message is fixed text: no rule ever echoes the offending value, so secrets cannot leak
 * through a validation message.
 */
import 'reflect-metadata';
import { IsArray, IsBoolean, IsIn, IsInt, IsObject, IsString, Matches, Max, Min, MinLength, ValidateIf, validateSync } from 'class-validator';
import type { RelayOptionName } from './relay-options.js';

/**
 * One problem with one option.
 *
 * @example
 * ```ts
 * const problem: OptionProblem = { option: 'poolSize', message: 'must be an integer from 1 to 1000' };
 * ```
 */
export interface OptionProblem {
  readonly option: string;
  readonly message: string;
}

/**
 * Claim type ids as Persona accepts them (§8.3, emulator §10.5).
 *
 * @example
 * ```ts
 * CLAIM_TYPE_PATTERN.test('age_over18_germany'); // true
 * ```
 */
export const CLAIM_TYPE_PATTERN = /^[a-z0-9_]{1,100}$/;
/**
 * Storage key ids are stored next to each ciphertext; keep them short and URL-safe.
 *
 * @example
 * ```ts
 * STORAGE_KEY_ID_PATTERN.test('2026-05'); // true
 * ```
 */
export const STORAGE_KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Options are optional: a rule applies only to an option that was given. */
function OptionRule(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, property) => {
    ValidateIf((_object, value) => value !== undefined)(target, property);
    for (const decorate of decorators) decorate(target, property);
  };
}

function IntegerBetween(min: number, max: number): PropertyDecorator {
  const message = `must be an integer from ${min} to ${max}`;
  return OptionRule(IsInt({ message }), Min(min, { message }), Max(max, { message }));
}

function OneOf(values: readonly (string | number)[]): PropertyDecorator {
  return OptionRule(IsIn(values, { message: `must be one of ${values.map((value) => JSON.stringify(value)).join(', ')}` }));
}

function StringMatching(pattern: RegExp, message: string): PropertyDecorator {
  return OptionRule(Matches(pattern, { message }));
}

function AnyString(): PropertyDecorator {
  return OptionRule(IsString({ message: 'must be a string' }));
}

const CLAIM_TYPE_RULE = 'must match ^[a-z0-9_]{1,100}$';
const CLAIM_TYPE_LIST_RULE = `must be an array of claim types that each ${CLAIM_TYPE_RULE}`;
const DAY_MS = 24 * 60 * 60_000;

/** The per-option rules; property names are the option names (`implements` makes a missing one a compile error). */
class RelayOptionRules implements Record<RelayOptionName, unknown> {
  @StringMatching(/^[\x21-\x7e]+$/, 'must be a non-empty string of visible ASCII characters without spaces')
  apiKey!: unknown;

  @AnyString()
  apiUrl!: unknown;

  @StringMatching(CLAIM_TYPE_PATTERN, CLAIM_TYPE_RULE)
  claimType!: unknown;

  @OptionRule(IsArray({ message: CLAIM_TYPE_LIST_RULE }), Matches(CLAIM_TYPE_PATTERN, { each: true, message: CLAIM_TYPE_LIST_RULE }))
  allowedClaimTypes!: unknown;

  @OptionRule(IsBoolean({ message: 'must be true or false' }))
  sandbox!: unknown;

  @AnyString()
  storageKey!: unknown;

  @OptionRule(IsObject({ message: 'must be an object mapping key ids to base64 keys' }))
  storageKeys!: unknown;

  @StringMatching(STORAGE_KEY_ID_PATTERN, 'must match ^[A-Za-z0-9_-]{1,32}$')
  storageKeyId!: unknown;

  @OneOf(['per-relay', 'static', 'none'])
  encryption!: unknown;

  @AnyString()
  staticPublicKeyPem!: unknown;

  @AnyString()
  staticPrivateKeyPem!: unknown;

  @OneOf([2048, 3072, 4096])
  perRelayKeyBits!: unknown;

  @OneOf(['blindrsa-ts', 'node-crypto'])
  blindRsaEngine!: unknown;

  @OneOf(['at-creation', 'pool'])
  issuance!: unknown;

  @IntegerBetween(1, 1000)
  poolSize!: unknown;

  @OneOf(['auto', 'relay', 'endpoint'])
  challengeSource!: unknown;

  @OptionRule(
    IsString({ message: 'must be a string of at least 32 characters' }),
    MinLength(32, { message: 'must be a string of at least 32 characters' }),
  )
  cookieSecret!: unknown;

  @AnyString()
  databaseUrl!: unknown;

  @StringMatching(/\S/, 'must be a non-empty string')
  dataDir!: unknown;

  @IntegerBetween(1, 600_000)
  requestTimeoutMs!: unknown;

  @IntegerBetween(0, 10)
  maxRetries!: unknown;

  @IntegerBetween(0, 60_000)
  retryBaseDelayMs!: unknown;

  @IntegerBetween(0, 600_000)
  retryMaxDelayMs!: unknown;

  @IntegerBetween(0, 3_600_000)
  rateLimitMaxWaitMs!: unknown;

  @IntegerBetween(0, 600_000)
  forbiddenRetryBudgetMs!: unknown;

  @IntegerBetween(0, DAY_MS - 1)
  tokenExpiryMarginMs!: unknown;

  // Below Persona's 24 h idempotency retention: a key replayed later would run as new (§7.1).
  @IntegerBetween(1, DAY_MS - 1)
  replayWindowMs!: unknown;

  @IntegerBetween(1, 3_600_000)
  redemptionLeaseMs!: unknown;

  @IntegerBetween(0, 600_000)
  redemptionWaitMs!: unknown;

  @IntegerBetween(1, 1_000_000)
  sessionsPerSubjectPerHour!: unknown;

  @IntegerBetween(1, 1_000_000)
  sessionsPerHour!: unknown;

  @StringMatching(/^(?! )[\x20-\x7e]{1,200}(?<! )$/, 'must be 1–200 visible ASCII characters (inner spaces allowed)')
  anonymousUserAgent!: unknown;

  @StringMatching(/^\d{4}-\d{2}-\d{2}$/, 'must be a date in the form YYYY-MM-DD')
  personaVersion!: unknown;

  @IntegerBetween(0, 600_000)
  issuanceJitterMs!: unknown;

  @IntegerBetween(1_000, DAY_MS)
  poolRefillIntervalMs!: unknown;

  @IntegerBetween(0, 3_600_000)
  poolIssueSpreadMs!: unknown;

  @IntegerBetween(1_000, DAY_MS)
  maintenanceIntervalMs!: unknown;
}

/**
 * Checks each given option against its own rule.
 *
 * @param options - known options only (unknown keys are the caller's concern)
 * @returns one problem per failing option, in declaration order
 *
 * @example
 * ```ts
 * checkOptionRules({ poolSize: 0 }); // [{ option: 'poolSize', message: 'must be an integer from 1 to 1000' }]
 * ```
 */
export function checkOptionRules(options: Partial<Record<RelayOptionName, unknown>>): OptionProblem[] {
  const subject = Object.assign(new RelayOptionRules(), options);
  return validateSync(subject).map((error) => ({
    option: error.property,
    message: [...new Set(Object.values(error.constraints ?? {}))].join(', '),
  }));
}
