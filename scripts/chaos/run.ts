/**
 * `npm run chaos`: the long chaos run, printing one table. Needs PostgreSQL:
 * CHAOS_DATABASE_URL, DATABASE_URL or RELAY_TEST_POSTGRES_URL.
 *
 * Knobs: CHAOS_SESSIONS (default 500), CHAOS_CONCURRENCY (default 12),
 * CHAOS_KILLS (default 1), CHAOS_FAIL_SHARE (default 0.2).
 * Exits 1 when a claim was lost, an answer was wrong, a pass was
 * double-spent, a record was left UNKNOWN or a secret leaked.
 */
import { formatChaosReport, isChaosClean } from './report.js';
import { runChaos } from './chaos.js';

const databaseUrl = process.env.CHAOS_DATABASE_URL ?? process.env.DATABASE_URL ?? process.env.RELAY_TEST_POSTGRES_URL;
if (!databaseUrl) {
  console.error('chaos: set CHAOS_DATABASE_URL (or DATABASE_URL) to a PostgreSQL database the run may create schemas in');
  process.exit(2);
}
const report = await runChaos({
  databaseUrl,
  sessions: Number(process.env.CHAOS_SESSIONS ?? 500),
  concurrency: Number(process.env.CHAOS_CONCURRENCY ?? 12),
  kills: process.env.CHAOS_KILLS !== '0',
  failShare: Number(process.env.CHAOS_FAIL_SHARE ?? 0.2),
  verbose: true,
});
console.log(formatChaosReport(report));
process.exit(isChaosClean(report) ? 0 : 1);
