/** Builds the core services the benchmarks drive, against an emulator URL. */
import { randomBytes } from 'node:crypto';
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
