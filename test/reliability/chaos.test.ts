/**
 * The bounded chaos run (the long one is `npm run chaos`): two instances on
 * one PostgreSQL, random faults on every emulator endpoint, SIGKILLs and
 * restarts. Every privacy and crash-safety promise of the library is checked on the outcome.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/chaos/chaos.js';
import { formatChaosReport } from '../../scripts/chaos/report.js';

const databaseUrl = process.env.RELAY_TEST_POSTGRES_URL;

describe.skipIf(!databaseUrl)('chaos (bounded)', () => {
  it('loses no claim, double-spends no pass, leaks no secret, under faults and crashes', { timeout: 300_000 }, async () => {
    const report = await runChaos({
      databaseUrl: databaseUrl!,
      sessions: 40,
      concurrency: 6,
      kills: true,
      failShare: 0.2,
      verbose: false,
    });
    console.log(formatChaosReport(report));
    expect(report.sessions).toBeGreaterThan(30);
    expect(report.faultsInjected).toBeGreaterThan(0);
    expect(report.instanceKills).toBeGreaterThan(0);
    expect(report.lostClaims).toBe(0);
    expect(report.wrongAnswers).toBe(0);
    expect(report.inconsistentDuplicateAnswers).toBe(0);
    expect(report.doubleSpendAttempts).toBe(0);
    expect(report.recordsUnknown).toBe(0);
    expect(report.secretHits).toEqual([]);
    expect(report.secretsChecked).toBeGreaterThan(report.sessions);
  });
});
