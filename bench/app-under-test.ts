/** Builds the core services the benchmarks drive, against an emulator URL. */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveRelayOptions, type RelayOptions } from '../src/core/config/index.js';
import { silentLogger } from '../src/core/logger.js';
import { createRelayServices, type RelayServices } from '../src/core/services/relay-services.js';
import type { RelayStorage } from '../src/core/storage/index.js';

export const BENCH_API_KEY = 'persona_production_bench';
export const BENCH_CLAIM_TYPE = 'age_over18_verified';

export function benchServices(apiUrl: string, storage: RelayStorage, options: RelayOptions = {}): RelayServices {
  return createRelayServices({
    options: resolveRelayOptions(
      {
        apiKey: BENCH_API_KEY,
        apiUrl,
        storageKey: randomBytes(32).toString('base64'),
        claimType: BENCH_CLAIM_TYPE,
        issuanceJitterMs: 0,
        limits: { sessionsPerHour: 1_000_000, sessionsPerSubjectPerHour: 1_000_000, sessionsPerClientPerHour: 1_000_000 },
      },
      options,
    ),
    storage,
    logger: silentLogger,
  });
}

/** A session-creation scenario's relay options, with the per-relay key reserve's settings. */
export interface KeyReserveScenario extends RelayOptions {
  /** Ready key pairs the reserve keeps (per-relay encryption); default the relay's. */
  readonly keyReserve?: number;
  /** How long a creation waits for a key when the reserve is empty before it is refused busy; default the relay's. */
  readonly keyWaitMs?: number;
}

/**
 * Services for a session-creation scenario, resolved once their per-relay key
 * reserve is full, so that a measurement starts from a warm reserve. The key
 * reserve's API is used here and nowhere else in the benchmark.
 */
export async function benchServicesWithWarmKeys(
  apiUrl: string,
  storage: RelayStorage,
  scenario: KeyReserveScenario,
  /** Runs on the services before anything starts (e.g. to wrap what a measurement times). */
  prepare: (services: RelayServices) => void = () => undefined,
): Promise<RelayServices> {
  const services = benchServices(apiUrl, storage, scenario);
  prepare(services);
  if (scenario.encryption === 'per-relay') {
    // The reserve refills once the services start (or a creation takes a key); storage counts it.
    await services.start();
    const { keyBits, keyReserve } = services.options;
    while ((await storage.keyReserve.count(keyBits)) < keyReserve) await sleep(200);
  }
  return services;
}
