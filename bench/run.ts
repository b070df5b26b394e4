/**
 * `npm run bench`: measures and prints a markdown table, and writes
 * bench/results.json. Figures are medians over repeated runs with min–max.
 *
 * Environment: BENCH_QUICK=1 for a short smoke run; BENCH_DATABASE_URL (or
 * RELAY_TEST_POSTGRES_URL) adds the PostgreSQL scenarios.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { measurePassCost, type PassCostRow } from './crypto-per-pass.js';
import { startEmulatorProcess } from './emulator-process.js';
import { measureEndToEnd, type FlowRow } from './end-to-end.js';
import { measureEventLoop, measureFullFlowEventLoop, measureIdleBaseline, type EventLoopRow } from './event-loop.js';
import { BENCH_API_KEY } from './app-under-test.js';
import { formatSpread, QUICK } from './stats.js';

const postgresUrl = process.env.BENCH_DATABASE_URL ?? process.env.RELAY_TEST_POSTGRES_URL;
const startedAt = new Date();

console.error('bench: client crypto per pass …');
const passCost = await measurePassCost();
const emulator = await startEmulatorProcess(['--api-key', BENCH_API_KEY, '--auto-complete', 'passed', '--rate-limit', '0']);
let eventLoop: EventLoopRow[];
let idleWorst: Awaited<ReturnType<typeof measureIdleBaseline>>;
let flows: FlowRow[];
try {
  console.error('bench: event loop during 100 concurrent issuances …');
  eventLoop = await measureEventLoop(emulator.url);
  console.error('bench: event loop during 100 concurrent full flows …');
  eventLoop.push(await measureFullFlowEventLoop(emulator.url));
  idleWorst = await measureIdleBaseline(eventLoop[0]!.burstMs.median);
  console.error('bench: end-to-end flows …');
  flows = await measureEndToEnd(emulator.url, postgresUrl);
} finally {
  await emulator.close();
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
  '**Event loop during 100 concurrent issuances** (full issuance against the emulator in another process). ms, median (min–max) over runs.',
  '',
  '| engine | worst delay | p99 delay | burst wall time |',
  '|---|---:|---:|---:|',
  ...eventLoop.map((r, i) => `| ${r.engine}${i === eventLoop.length - 1 ? ', 100 full flows (create + issue + redeem, PGlite)' : ''} | ${formatSpread(r.worstMs, 1)} | ${formatSpread(r.p99Ms, 1)} | ${formatSpread(r.burstMs, 0)} |`),
  `| (idle process, same duration, no work) | ${formatSpread(idleWorst, 1)} | | |`,
  '',
  '**End to end** (emulator in a separate process; sequential flows for latency, CPU and statements; 4 concurrent flows for throughput). Latencies in ms.',
  '',
  '| database | encryption | issuance | sessions/s | create p50/p99 | issue p50/p99 | redeem p50/p99 | app CPU ms/flow | SQL statements/redemption |',
  '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ...flows.map(
    (r) =>
      `| ${r.database} | ${r.encryption} | ${r.issuance} | ${r.sessionsPerSecond.toFixed(1)} | ${r.create.p50.toFixed(1)} / ${r.create.p99.toFixed(1)} | ${r.issue.p50.toFixed(1)} / ${r.issue.p99.toFixed(1)} | ${r.redeem.p50.toFixed(1)} / ${r.redeem.p99.toFixed(1)} | ${r.cpuMsPerFlow.toFixed(1)} | ${r.statementsPerRedemption} |`,
  ),
];
if (!postgresUrl) lines.push('', '_PostgreSQL scenarios skipped: set BENCH_DATABASE_URL to include them._');
console.log(lines.join('\n'));
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ startedAt, machine, quick: QUICK, passCost, eventLoop, idleWorst, flows }, null, 2)}\n`,
);
