/**
 * Helpers of the config unit tests: resolution requires an API key and a storage key, which most tests
 * are not about, so {@link resolveWithKeys} supplies test values underneath the options under test.
 */
import { randomBytes } from 'node:crypto';
import type { RelayOptions, ResolvedRelayOptions } from '../../../src/core/config/index.js';
import { resolveRelayOptions } from '../../../src/core/config/index.js';
import { RelayErrorCode, type RelayError } from '../../../src/core/errors.js';
import { expectRelayError } from '../protocol/relay-error-assertions.js';

export const TEST_API_KEY = 'test_api_key';
export const TEST_STORAGE_KEY = randomBytes(32).toString('base64');

/** The required options as test values, under `layers` (a key ring in a layer replaces the storage key). */
export function resolveWithKeys(...layers: RelayOptions[]): ResolvedRelayOptions {
  const keyRingGiven = layers.some((layer) => layer.storageKeys !== undefined);
  return resolveRelayOptions({ apiKey: TEST_API_KEY, ...(keyRingGiven ? {} : { storageKey: TEST_STORAGE_KEY }) }, ...layers);
}

/** The `INVALID_CONFIG` error of resolving `layers` with the test keys underneath. */
export function configError(...layers: RelayOptions[]): RelayError {
  return expectRelayError(() => resolveWithKeys(...layers), RelayErrorCode.INVALID_CONFIG);
}

/** The problem lines of {@link configError}. */
export function problemsOf(...layers: RelayOptions[]): string[] {
  return configError(...layers).context['problems'] as string[];
}
