/**
 * What the handlers share: options, clock, keys, challenge authority and the resettable
 * state, plus the shape of a request as handlers see it.
 */
import { ChallengeAuthority, deriveMacKey } from './challenge.js';
import { EmulatorClock } from './clock.js';
import { randomAlphanumeric } from './encoding.js';
import { SigningKeyRing } from './keys.js';
import type { Environment, ResolvedOptions } from './options.js';
import { EmulatorState } from './state.js';

export interface EmulatorContext {
  readonly options: ResolvedOptions;
  readonly clock: EmulatorClock;
  readonly keys: SigningKeyRing;
  readonly challenges: ChallengeAuthority;
  readonly state: EmulatorState;
  /** `Persona-Environment-Id` values, fixed for the process. */
  readonly environmentIds: Readonly<Record<Environment, string>>;
  /** `Persona-Organization-Id`, fixed for the process. */
  readonly organizationId: string;
}

export function createContext(options: ResolvedOptions): EmulatorContext {
  return {
    options,
    clock: new EmulatorClock(),
    keys: new SigningKeyRing(options.signingKey),
    challenges: new ChallengeAuthority(deriveMacKey(options.signingKey), options.challengeTtl),
    state: new EmulatorState(options.rateLimit),
    environmentIds: { production: `env_${randomAlphanumeric(27)}`, sandbox: `env_${randomAlphanumeric(27)}` },
    organizationId: `org_${randomAlphanumeric(27)}`,
  };
}

/** An `/api/` request as the endpoint handlers see it. */
export interface ApiRequest {
  /** Every request header, lower-case names, repeats joined with `", "`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed body: a JSON value, `undefined` when empty, or {@link INVALID_JSON}. */
  readonly body: unknown;
  /** The `{relay-token}` path segment, decoded (generate-claim only). */
  readonly relayToken: string;
  /**
   * Waits out an injected `delay` fault; resolves at once without one, and for the endpoints the server delays
   * before any processing. Handlers call it at their idempotency step.
   */
  readonly delayPoint: () => Promise<void>;
}

/** Marks a body that is not JSON at all. */
export const INVALID_JSON: unique symbol = Symbol('invalid JSON');

/** Parses a request body as JSON whatever its content type. */
export function parseBody(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_JSON;
  }
}

/** The body as an object (empty = `{}`), or `undefined` when it is not a JSON object (400 `invalid_json`). */
export function bodyObject(request: ApiRequest): Record<string, unknown> | undefined {
  const { body } = request;
  if (body === undefined) return {};
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  return isObject ? (body as Record<string, unknown>) : undefined;
}
