import type { Agent } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { MeterProvider } from '@opentelemetry/api';
import type { ResolvedRelayOptions } from '../config/index.js';
import type { BlindRsaEngine, KeyPairGenerator } from '../crypto/index.js';
import { createBlindRsaEngine, SecretBox } from '../crypto/index.js';
import type { RelayLogger } from '../logger.js';
import { createConsoleLogger, describeError } from '../logger.js';
import { RelayMetrics } from '../observability/metrics.js';
import { PersonaApi, logAttemptsTo } from '../persona/index.js';
import type { RelayStorage } from '../storage/index.js';
import { BackgroundTasks } from './background-tasks.js';
import { ClaimService } from './claim.service.js';
import { KeyReserve } from './key-reserve.js';
import { PrivacyPassService } from './privacy-pass.service.js';
import { RELAY_SESSION_TTL_MS, SessionService } from './session.service.js';
import { TokenPool } from './token-pool.js';

/** What {@link createRelayServices} needs besides the options. */
export interface RelayServicesInit {
  readonly options: ResolvedRelayOptions;
  /** Where sessions, passes, redemptions and claims live. The caller owns it (closing the services does not close it). */
  readonly storage: RelayStorage;
  readonly logger?: RelayLogger;
  /** Clock for expiry decisions; injectable for tests. */
  readonly clock?: () => Date;
  /**
   * Uniform random number in [0, 1) for the jitter that hides issuance timing and for the retry
   * backoff; injectable for tests.
   * Default: drawn from the operating system's CSPRNG, so the jitter cannot be predicted.
   */
  readonly random?: () => number;
  /** Blind RSA engine; default from `options.blindRsaEngine`. Closed with the services. */
  readonly engine?: BlindRsaEngine;
  /**
   * Generates the per-relay key pairs of the key reserve (`per-relay` encryption); default worker threads
   * (`WorkerKeyPairGenerator`). Closed with the services.
   */
  readonly keyPairGenerator?: KeyPairGenerator;
  /** Agent for anonymous calls to Persona (for example a proxy agent), so Persona sees another IP than the identified calls'. */
  readonly anonymousAgent?: Agent;
  /** Identifies this process in redemption leases; default a random UUID. */
  readonly instanceId?: string;
  /**
   * Where the metrics go (see the README's "Metrics" section). Default: OpenTelemetry's global meter
   * provider, which records nothing until the app installs an SDK.
   */
  readonly meterProvider?: MeterProvider;
}

/** The core services, wired and ready; framework adapters expose these. */
export interface RelayServices {
  readonly options: ResolvedRelayOptions;
  readonly storage: RelayStorage;
  readonly sessions: SessionService;
  readonly passes: PrivacyPassService;
  readonly claims: ClaimService;
  readonly pool: TokenPool;
  /**
   * Starts background work: pool refills (pool mode), key reserve refills (per-relay encryption), expiry
   * sweeps, resuming stale redemptions.
   */
  start(): Promise<void>;
  /** Waits until every background task started so far has settled (tests, graceful shutdown). */
  drain(): Promise<void>;
  /**
   * Aborts background work (pool rounds, their waits, background issuance, sweeps), waits for it to
   * settle, and releases workers, key generation and HTTP agents. Waits are cut short, not sat out.
   */
  close(): Promise<void>;
}

/**
 * Wires the framework-free core. NestJS's `RelayModule` and the Express,
 * Fastify and `node:http` adapters all build on this.
 */
export function createRelayServices(init: RelayServicesInit): RelayServices {
  const { options, storage } = init;
  const logger = init.logger ?? createConsoleLogger();
  const clock = init.clock ?? (() => new Date());
  const random = init.random ?? secureRandom;
  const secretBox = SecretBox.fromBase64Keys(options.storageKeys, options.storageKeyId);
  const engine = init.engine ?? createBlindRsaEngine(options.blindRsaEngine);
  const metrics = new RelayMetrics(init.meterProvider);
  const logAttempt = logAttemptsTo(logger);
  const api = new PersonaApi({
    baseUrl: options.apiUrl,
    apiKey: options.apiKey,
    retry: options.retry,
    anonymousUserAgent: options.anonymousUserAgent,
    anonymousAgent: init.anonymousAgent,
    personaVersion: options.personaVersion,
    // The services' clock and random source drive the retry loop too (the 403 budget, the backoff jitter),
    // so the redemption path reads neither Date.now nor Math.random.
    now: () => clock().getTime(),
    random,
    onAttempt: (event) => {
      metrics.recordPersonaAttempt(event);
      logAttempt(event);
    },
  });
  // One signal ends every background loop and wait; `close()` aborts it before awaiting them.
  const shutdown = new AbortController();
  // Every operation in flight listens for shutdown and stops listening when it ends: the count follows the load, so
  // Node's "possible leak" warning at 11 listeners would fire on any busy server without meaning anything.
  setMaxListeners(0, shutdown.signal);
  const keyReserve =
    options.encryption === 'per-relay'
      ? new KeyReserve({
          store: storage.keyReserve,
          secretBox,
          logger,
          clock,
          shutdown: shutdown.signal,
          target: options.keyReserve,
          modulusBits: options.keyBits,
          waitMs: options.keyWaitMs,
          ...(init.keyPairGenerator ? { generator: init.keyPairGenerator } : {}),
        })
      : undefined;
  const tasks = new BackgroundTasks(logger, shutdown.signal);
  const passes = new PrivacyPassService({ options, storage, api, engine, secretBox, tasks, logger, clock, random, metrics });
  const sessions = new SessionService({ options, storage, api, secretBox, passes, logger, clock, keyReserve, metrics });
  const claims = new ClaimService({
    options,
    storage,
    api,
    secretBox,
    sessions,
    passes,
    logger,
    clock,
    instanceId: init.instanceId ?? randomUUID(),
    shutdown: shutdown.signal,
    metrics,
  });
  const pool = new TokenPool({ options, storage, passes, logger, clock, random, shutdown: shutdown.signal, metrics });
  metrics.observeAvailablePasses(options.environment, options.allowedClaimTypes, (claimType) => pool.depth(claimType));
  // The reserve in storage, which every instance on the database shares.
  if (keyReserve) metrics.observeKeyReserve(() => storage.keyReserve.count(options.keyBits));

  const sweep = async () => {
    try {
      await pool.expireStale();
      // Passes bound to sessions that are done (claimed elsewhere, expired, abandoned) go back to everyone.
      const released = await storage.passes.unbindFinished(new Date(clock().getTime() - RELAY_SESSION_TTL_MS));
      if (released > 0) logger.debug('passes of finished sessions released for reuse', { count: released });
      // Past its expiry plus the replay window a relay has no redemption left to finish (storage keeps the key of a PENDING one).
      const forgotten = await storage.sessions.forgetKeys(new Date(clock().getTime() - options.redemption.replayWindowMs));
      if (forgotten > 0) logger.debug('payload keys of finished relays deleted', { count: forgotten });
      // Other instances sharing the reserve may have drained it.
      keyReserve?.replenish();
      await claims.resumeStale();
    } catch (error) {
      logger.warn('maintenance sweep failed', describeError(error));
    }
  };

  return {
    options,
    storage,
    sessions,
    passes,
    claims,
    pool,
    async start() {
      // Crash recovery first: a redemption another process left PENDING is finished before anything new.
      await sweep();
      tasks.every('maintenance sweep', options.maintenanceIntervalMs, sweep);
      if (options.issuance === 'pool') pool.start();
      keyReserve?.replenish();
    },
    drain: () => tasks.drain(),
    async close() {
      metrics.close();
      shutdown.abort();
      await claims.whenStopped();
      await pool.whenStopped();
      await tasks.drain();
      await keyReserve?.close();
      await engine.close();
      api.close();
    },
  };
}

/** Uniform in [0, 1) with 48 random bits from the CSPRNG. */
function secureRandom(): number {
  return randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
}
