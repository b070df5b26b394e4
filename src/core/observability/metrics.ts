/**
 * The relay's metrics, recorded through the OpenTelemetry API: without an SDK installed they cost
 * nothing and go nowhere. The README's "Metrics" table lists every instrument.
 *
 * Attributes are bounded by construction: claim types and environments come from the configuration,
 * outcomes, scopes and operations from fixed lists, statuses and transport reasons from Persona's
 * answers. Nothing about a user (subject, session, client address) and nothing secret ever becomes an
 * attribute: a per-user attribute would be a privacy leak and an unbounded time series at once.
 */
import {
  metrics,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableCallback,
  type ObservableGauge,
} from '@opentelemetry/api';
import { RelayErrorCode } from '../errors.js';
import { readPackageVersion } from '../package-version.js';
import type { AttemptEvent } from '../persona/index.js';
import type { SessionLimitScope } from '../storage/index.js';

/** Name of the meter every instrument belongs to (its version is the package's). */
export const RELAY_METER_NAME = 'persona-relay';

const PACKAGE_VERSION = readPackageVersion();

/** The two attributes of the pass and redemption instruments, both from the configuration. */
export interface PassKind {
  readonly claimType: string;
  readonly environment: string;
}

/**
 * How a call driving a redemption ended:
 * - `succeeded`: the claim is stored and Persona spent the pass;
 * - `refunded`: the claim is stored and Persona gave the pass back (`token-consumed: false`);
 * - `pass_rejected`: Persona refused the pass (401); the redemption starts over with another;
 * - `failed_final`: Persona's final answer is recorded (not ready, expired, mismatch, …);
 * - `pending`: the outcome is ambiguous; the record stays PENDING with its key, to be resumed;
 * - `unknown`: the replay window closed before an answer was stored.
 */
export type RedemptionOutcome = 'succeeded' | 'refunded' | 'pass_rejected' | 'failed_final' | 'pending' | 'unknown';

/** Reads one level for a gauge; may read storage. */
export type LevelReader = () => number | Promise<number>;

/**
 * The relay's instruments, created once per `createRelayServices` on the given meter provider
 * (default: the global one) and handed to the services, which record at the points where an outcome
 * is decided.
 */
export class RelayMetrics {
  readonly #meter: Meter;
  readonly #passesBought: Counter;
  readonly #passesRedeemed: Counter;
  readonly #passesRefunded: Counter;
  readonly #passesExpired: Counter;
  readonly #redemptions: Counter;
  readonly #sessionsRateLimited: Counter;
  readonly #personaDuration: Histogram;
  readonly #personaRetries: Counter;
  /** Undoes each gauge callback registration, so closed services stop being read. */
  readonly #unobserve: Array<() => void> = [];

  constructor(meterProvider: MeterProvider = metrics.getMeterProvider()) {
    const meter = meterProvider.getMeter(RELAY_METER_NAME, PACKAGE_VERSION);
    this.#meter = meter;
    const passes = (name: string, description: string) => meter.createCounter(`persona_relay.passes.${name}`, { description, unit: '{pass}' });
    this.#passesBought = passes('bought', 'Privacy Passes Persona signed (each one is billed)');
    this.#passesRedeemed = passes('redeemed', 'Privacy Passes spent by a redemption (token-consumed: true)');
    this.#passesRefunded = passes('refunded', 'Privacy Passes Persona gave back after a redemption (token-consumed: false)');
    this.#passesExpired = passes('expired', 'Privacy Passes that came too close to expiry unused (waste)');
    this.#redemptions = meter.createCounter('persona_relay.redemptions', {
      description: 'Calls that drove a redemption, by outcome',
      unit: '{redemption}',
    });
    this.#sessionsRateLimited = meter.createCounter('persona_relay.sessions.rate_limited', {
      description: 'Session creations refused by a session limit, by the limit that refused',
      unit: '{session}',
    });
    this.#personaDuration = meter.createHistogram('persona_relay.persona.request.duration', {
      description: 'Duration of each request to Persona (every attempt, retries included), by operation and outcome',
      unit: 'ms',
    });
    this.#personaRetries = meter.createCounter('persona_relay.persona.retries', {
      description: 'Requests to Persona sent again after an ambiguous failure, by operation and failure',
      unit: '{retry}',
    });
  }

  /** Persona signed a pass of this kind. */
  recordPassBought(kind: PassKind): void {
    this.#passesBought.add(1, kindAttributes(kind));
  }

  /** A call driving a redemption ended; a stored claim also counts its pass as redeemed or refunded. */
  recordRedemption(kind: PassKind, outcome: RedemptionOutcome): void {
    const attributes = kindAttributes(kind);
    this.#redemptions.add(1, { ...attributes, outcome });
    if (outcome === 'succeeded') this.#passesRedeemed.add(1, attributes);
    if (outcome === 'refunded') this.#passesRefunded.add(1, attributes);
  }

  /** `count` passes were marked expired unused. The storage reports a total, so the counter has no attributes. */
  recordPassesExpired(count: number): void {
    if (count > 0) this.#passesExpired.add(count);
  }

  /** A session creation was refused by the limit of `scope`. */
  recordRateLimited(scope: SessionLimitScope): void {
    this.#sessionsRateLimited.add(1, { scope });
  }

  /** An `onAttempt` observer for the Persona client's retry loop: each attempt's duration, and each retry. */
  readonly recordPersonaAttempt = (event: AttemptEvent): void => {
    const errorType = errorTypeOf(event);
    const attributes: Attributes = { operation: event.operation, outcome: event.outcome };
    if (event.status !== undefined) attributes['http.response.status_code'] = event.status;
    if (errorType !== undefined) attributes['error.type'] = errorType;
    this.#personaDuration.record(event.durationMs, attributes);
    if (event.outcome === 'retry') this.#personaRetries.add(1, { operation: event.operation, 'error.type': errorType });
  };

  /**
   * Reports the usable AVAILABLE passes of each claim type in `environment` on every collection,
   * as `persona_relay.passes.available`.
   */
  observeAvailablePasses(environment: string, claimTypes: readonly string[], read: (claimType: string) => Promise<number>): void {
    this.#observe(
      this.#meter.createObservableGauge('persona_relay.passes.available', {
        description: 'Usable Privacy Passes ready for redemptions',
        unit: '{pass}',
      }),
      async (result) => {
        const levels = await Promise.all(claimTypes.map(read));
        claimTypes.forEach((claimType, index) => result.observe(levels[index]!, kindAttributes({ claimType, environment })));
      },
    );
  }

  /**
   * Reports the per-relay encryption key pairs ready to be handed out on every collection, as
   * `persona_relay.key_reserve.ready`. `read` may count them in storage.
   */
  observeKeyReserve(read: LevelReader): void {
    this.#observe(
      this.#meter.createObservableGauge('persona_relay.key_reserve.ready', {
        description: 'Per-relay encryption key pairs ready for new sessions',
        unit: '{key_pair}',
      }),
      async (result) => result.observe(await read()),
    );
  }

  /** Stops reading the gauges' sources (the services are closing); counters stay as they are. */
  close(): void {
    for (const unobserve of this.#unobserve.splice(0)) unobserve();
  }

  #observe(gauge: ObservableGauge, callback: ObservableCallback): void {
    gauge.addCallback(callback);
    this.#unobserve.push(() => gauge.removeCallback(callback));
  }
}

function kindAttributes(kind: PassKind): Attributes {
  return { claim_type: kind.claimType, environment: kind.environment };
}

/**
 * What made an attempt fail, in OpenTelemetry's `error.type` style: the HTTP status for an answer from
 * Persona, the transport's short reason (`TIMEOUT`, `ECONNRESET`) for no answer, the relay's error code
 * for anything else (an undecodable answer, a cancellation), `_OTHER` for a failure that is not Persona's.
 */
function errorTypeOf(event: AttemptEvent): string | undefined {
  if (event.outcome === 'success') return undefined;
  if (event.errorCode === RelayErrorCode.PERSONA_API && event.status !== undefined) return String(event.status);
  return event.reason ?? event.errorCode ?? '_OTHER';
}
