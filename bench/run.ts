/**
 * `npm run bench`: measures and prints a markdown table, and writes
 * bench/results.json. Figures are medians over repeated runs with min–max.
 *
 * Environment: BENCH_QUICK=1 for a short smoke run; BENCH_DATABASE_URL (or
 * RELAY_TEST_POSTGRES_URL) names the PostgreSQL server for the PostgreSQL
 * scenarios. Without one, a private server is started for the run when the
 * PostgreSQL binaries are installed.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { measurePassCost, type PassCostRow } from './crypto-per-pass.js';
import { startEmulatorProcess } from './emulator-process.js';
import { measureEndToEnd, type FlowRow } from './end-to-end.js';
import { measureEventLoop, measureFullFlowEventLoop, measureIdleBaseline, type EventLoopRow } from './event-loop.js';
import { BENCH_API_KEY } from './app-under-test.js';
import { measureKeygen } from './keygen.js';
import { provideBenchPostgres } from './postgres.js';
import { burstP99Ratios, measureBurst, measureSustained, type BurstRow, type SustainedRow } from './session-creation.js';
import { formatSpread, QUICK } from './stats.js';

const startedAt = new Date();

console.error('bench: client crypto per pass …');
const passCost = await measurePassCost();
console.error('bench: RSA key generation on one core …');
const keygen = measureKeygen();
const postgres = await provideBenchPostgres();
if (postgres.skipped) console.error(`bench: PostgreSQL scenarios skipped: ${postgres.skipped}`);
let eventLoop: EventLoopRow[];
let idleWorst: Awaited<ReturnType<typeof measureIdleBaseline>>;
let flows: FlowRow[];
let burst: BurstRow[];
let sustained: SustainedRow[];
try {
  const emulator = await startEmulatorProcess(['--api-key', BENCH_API_KEY, '--auto-complete', 'passed', '--rate-limit', '0']);
  try {
    console.error('bench: event loop during 100 concurrent issuances …');
    eventLoop = await measureEventLoop(emulator.url);
    console.error('bench: event loop during 100 concurrent full flows …');
    eventLoop.push(await measureFullFlowEventLoop(emulator.url));
    idleWorst = await measureIdleBaseline(eventLoop[0]!.burstMs.median);
    console.error('bench: end-to-end flows …');
    flows = await measureEndToEnd(emulator.url, postgres.url);
    console.error('bench: session creation burst on a warm key reserve …');
    burst = await measureBurst(emulator.url, postgres.url);
    console.error('bench: sustained per-relay session creation …');
    sustained = await measureSustained(emulator.url, postgres.url, keygen.limitPerSecond);
  } finally {
    await emulator.close();
  }
} finally {
  postgres.stop();
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${QUICK ? ', QUICK profile' : ''}`;
const lines = [
  `### Benchmark (${startedAt.toISOString().slice(0, 10)}; ${machine})`,
  '',
  '**Client crypto per Privacy Pass** (build input + blind + finalize with verification, in batches; the issuer\'s signature is not timed). ms/pass, median (min–max) over repeated runs.',
  '',
  '| bits | subject | ms/pass | × limit |',
  '|---:|---|---:|---:|',
  ...passCost.map((r: PassCostRow) => `| ${r.bits} | ${r.subject} | ${formatSpread(r.msPerPass, 3)} | ${r.ratioToLimit.toFixed(1)} |`),
  '',
  '**RSA key generation on one core** (per-relay encryption keys; a fixed number of keys per run). Pairs/s: median (min–max) over runs; ms/key: median (min–max) over every key.',
  '',
  '| bits | keys/run | pairs/s | ms/key |',
  '|---:|---:|---:|---:|',
  ...keygen.rows.map((r) => `| ${r.bits} | ${r.keysPerRun} | ${formatSpread(r.pairsPerSecond, 2)} | ${formatSpread(r.msPerKey, 0)} |`),
  '',
  `Keygen limit: **${keygen.limitPerSecond.toFixed(2)} per-relay sessions/s** (3072-bit pairs/s on one core × ${keygen.workers} generation thread${keygen.workers === 1 ? '' : 's'} = max(1, cores − 1)).`,
  '',
  '**Event loop during 100 concurrent issuances** (full issuance against the emulator in another process). ms, median (min–max) over runs.',
  '',
  '| engine | worst delay | p99 delay | burst wall time |',
  '|---|---:|---:|---:|',
  ...eventLoop.map((r, i) => `| ${r.engine}${i === eventLoop.length - 1 ? ', 100 full flows (create + issue + redeem, PGlite)' : ''} | ${formatSpread(r.worstMs, 1)} | ${formatSpread(r.p99Ms, 1)} | ${formatSpread(r.burstMs, 0)} |`),
  `| (idle process, same duration, no work) | ${formatSpread(idleWorst, 1)} | | |`,
  '',
  '**End to end** (emulator in a separate process; sequential flows for latency, CPU and statements; 4 concurrent flows for throughput). Latencies in ms.',
  '',
  '| database | encryption | issuance | sessions/s | create p50/p99 | issue p50/p99 | redeem p50/p99 | app CPU ms/flow | SQL statements/creation | SQL statements/redemption |',
  '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ...flows.map(
    (r) =>
      `| ${r.database} | ${r.encryption} | ${r.issuance} | ${r.sessionsPerSecond.toFixed(1)} | ${r.create.p50.toFixed(1)} / ${r.create.p99.toFixed(1)} | ${r.issue.p50.toFixed(1)} / ${r.issue.p99.toFixed(1)} | ${r.redeem.p50.toFixed(1)} / ${r.redeem.p99.toFixed(1)} | ${r.cpuMsPerFlow.toFixed(1)} | ${r.statementsPerCreation} | ${r.statementsPerRedemption} |`,
  ),
  '',
  '**Session creation burst** (creations started at once with distinct subjects, limits lifted, no pass bought; per-relay starts from a key reserve warmed to the burst size). Latency from the burst\'s start, ms.',
  '',
  '| database | encryption | burst | created | busy (503) | create p50 | create p99 |',
  '|---|---|---:|---:|---:|---:|---:|',
  ...burst.map(
    (r) => `| ${r.database} | ${r.encryption} | ${r.burst} | ${r.created} | ${r.busy} | ${r.create.p50.toFixed(1)} | ${r.create.p99.toFixed(1)} |`,
  ),
  '',
  `p99 ratio per-relay / none (target ≤ 2): ${burstP99Ratios(burst).map((r) => `${r.database} ${r.ratio.toFixed(2)}`).join(', ')}.`,
  '',
  '**Sustained per-relay session creation** (more creations than the key reserve holds, so key generation sets the pace; no pass bought). Sessions/s counted once the ready keys are used up.',
  '',
  '| database | key reserve | creations | concurrency | busy (503) | sessions/s | keygen limit | ratio (target ≥ 0.8) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...sustained.map(
    (r) =>
      `| ${r.database} | ${r.keyReserve} | ${r.creations} | ${r.concurrency} | ${r.busy} | ${r.sessionsPerSecond.toFixed(2)} | ${keygen.limitPerSecond.toFixed(2)} | ${r.ratioToLimit.toFixed(2)} |`,
  ),
];
if (postgres.skipped) lines.push('', `_PostgreSQL scenarios skipped: ${postgres.skipped}._`);
console.log(lines.join('\n'));
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ startedAt, machine, quick: QUICK, passCost, keygen, eventLoop, idleWorst, flows, burst, sustained }, null, 2)}\n`,
);
