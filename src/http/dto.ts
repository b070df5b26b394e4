import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsOptional, IsString, Matches, validateSync, type ValidationError } from 'class-validator';
import { RelayError, RelayErrorCode } from '../core/errors.js';

/** Body of `POST /relay/sessions`. */
export class CreateSessionDto {
  /** Claim type to verify; default (also for `null`) the configured one. Must be one of the allowed claim types. */
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_]{1,100}$/, { message: 'claimType must be a claim type id ([a-z0-9_], at most 100 characters)' })
  claimType?: string;
}

/** Body of `POST /relay/sessions/:sessionId/claim`: empty. */
export class RedeemClaimDto {}

/** Path parameter `:sessionId`. */
export class SessionIdParams {
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, {
    message: 'sessionId must be a lowercase UUIDv4',
  })
  sessionId!: string;
}

/**
 * Validates an untrusted JSON body (or params object) against a DTO class:
 * must be a plain object (absent counts as `{}`), unknown fields rejected.
 * Throws `RelayError(INVALID_REQUEST)` listing every problem.
 */
export function validateDto<T extends object>(dto: new () => T, input: unknown): T {
  const value = input === undefined || input === null ? {} : input;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'The request body must be a JSON object');
  }
  // class-transformer silently drops keys that Object.prototype has (`__proto__`, which JSON.parse
  // makes an own key, `constructor`, `toString`, …), so the whitelist check never sees them: flag them here.
  const shadowing = Object.keys(value).filter((key) => key in Object.prototype);
  if (shadowing.length > 0) {
    const problems = shadowing.map((key) => `property ${key} should not exist`);
    throw new RelayError(RelayErrorCode.INVALID_REQUEST, `Invalid request: ${problems.join('; ')}`, { context: { problems } });
  }
  // Every DTO here is flat: refusing nested values first keeps deeply nested bodies
  // (which would overflow class-transformer's recursion) from ever being walked.
  if (Object.values(value).some((field) => field !== null && typeof field === 'object')) {
    throw new RelayError(RelayErrorCode.INVALID_REQUEST, 'Invalid request: field values must be strings, numbers or booleans', {
      context: { problems: ['field values must be strings, numbers or booleans'] },
    });
  }
  const instance = plainToInstance(dto, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  if (errors.length > 0) {
    const problems = describeProblems(errors);
    throw new RelayError(RelayErrorCode.INVALID_REQUEST, `Invalid request: ${problems.join('; ')}`, {
      context: { problems },
    });
  }
  return instance;
}

/** Unknown field names quoted back to the caller at most: the rest are counted, not echoed. */
const MAX_NAMED_UNKNOWN_FIELDS = 3;
const QUOTABLE_FIELD_NAME = /^[A-Za-z0-9_$-]{1,40}$/;

/**
 * Problems in words, without echoing the request: unknown field names are
 * quoted only when short and plain, and only a few of them.
 */
function describeProblems(errors: ValidationError[]): string[] {
  const unknown = errors.filter((e) => e.constraints?.whitelistValidation !== undefined).map((e) => e.property);
  const problems = errors
    .filter((e) => e.constraints?.whitelistValidation === undefined)
    .flatMap((e) => (e.constraints ? Object.values(e.constraints) : ['a field is invalid']));
  const quoted = unknown.filter((name) => QUOTABLE_FIELD_NAME.test(name)).slice(0, MAX_NAMED_UNKNOWN_FIELDS);
  problems.push(...quoted.map((name) => `property ${name} should not exist`));
  const unnamed = unknown.length - quoted.length;
  if (unnamed > 0) problems.push(`${unnamed} more unknown ${unnamed === 1 ? 'property' : 'properties'}`);
  return problems;
}
