/**
 * A stand-in for the wired core, for tests of the HTTP layer: sessions are
 * created instantly, `user:adult` holds a passed claim, nothing else exists.
 */
import { vi } from 'vitest';
import type { ResolvedRelayOptions } from '../../../../src/core/config/index.js';
import type { RelayServices } from '../../../../src/core/services/relay-services.js';

export const STUB_SESSION_ID = '0b6f6a1e-8f3c-4d2a-9b1e-2c3d4e5f6a7b';
export const STUB_VERIFIED_AT = new Date('2026-01-02T03:04:05.000Z');

/** `trustProxy` as the `trustProxy` option (default: believe no forwarded address). */
export function stubServices({ trustProxy = 0 }: { trustProxy?: ResolvedRelayOptions['trustProxy'] } = {}) {
  const sessions = {
    create: vi.fn(async (_subject: string, claimType?: string) => ({
      sessionId: STUB_SESSION_ID,
      accessToken: 'access',
      claimType: claimType ?? 'age_over18_verified',
      expiresAt: STUB_VERIFIED_AT,
    })),
    get: vi.fn(),
  };
  const claims = {
    redeem: vi.fn(),
    claimsOf: vi.fn(async () => [] as unknown[]),
    passedClaim: vi.fn(async (subject: string, claimType: string) =>
      subject === 'user:adult' ? { claimType, result: 'passed' as const, verifiedAt: STUB_VERIFIED_AT } : undefined,
    ),
  };
  const services = { options: { cookieSecret: 'c'.repeat(32), trustProxy }, sessions, claims } as unknown as RelayServices;
  return { services, sessions, claims };
}
