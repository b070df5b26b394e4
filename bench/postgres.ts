/**
 * The PostgreSQL server the benchmark's PostgreSQL scenarios use: the one
 * BENCH_DATABASE_URL (or RELAY_TEST_POSTGRES_URL) names, or else a private
 * throwaway instance started with CI's own script (scripts/ci/postgres.sh) on
 * a free port and in a directory of its own, so it never meets CI's instance
 * or another benchmark run's. The private instance is stopped when the
 * process exits, whether the run finished, failed or was interrupted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchPostgres {
  /** Connection URL, or undefined when the PostgreSQL scenarios are skipped. */
  readonly url: string | undefined;
  /** Why the PostgreSQL scenarios are skipped (only when `url` is undefined). */
  readonly skipped?: string;
  /** Stops the private instance, if one was started. Idempotent. */
  stop(): void;
}

const CI_SCRIPT = fileURLToPath(new URL('../scripts/ci/postgres.sh', import.meta.url));
/** Where the CI script looks for the server binaries (one folder per major version). */
const POSTGRES_LIB = '/usr/lib/postgresql';

export async function provideBenchPostgres(): Promise<BenchPostgres> {
  const given = process.env.BENCH_DATABASE_URL ?? process.env.RELAY_TEST_POSTGRES_URL;
  if (given) return { url: given, stop: () => undefined };
  if (!hasServerBinaries()) {
    return {
      url: undefined,
      skipped: `no PostgreSQL server binaries in ${POSTGRES_LIB}/*/bin (install the postgresql package) and no BENCH_DATABASE_URL`,
      stop: () => undefined,
    };
  }
  return startPrivateInstance(await freePort());
}

function hasServerBinaries(): boolean {
  if (!existsSync(POSTGRES_LIB)) return false;
  return readdirSync(POSTGRES_LIB).some((version) => existsSync(path.join(POSTGRES_LIB, version, 'bin', 'initdb')));
}

function startPrivateInstance(port: number): BenchPostgres {
  const env = { ...process.env, PG_PORT: String(port), PG_DIR: path.join(os.tmpdir(), `persona-relay-bench-pg-${process.pid}`) };
  // start_postgres leaves the binary folder in PG_BIN, which stop_postgres needs.
  const startAndPrint = 'source "$0" && start_postgres && printf "%s\\n%s\\n" "$PG_BIN" "$RELAY_TEST_POSTGRES_URL"';
  const started = spawnSync('bash', ['-c', startAndPrint, CI_SCRIPT], { env, encoding: 'utf8' });
  const [bin, url] = started.stdout.trim().split('\n');
  if (started.status !== 0 || !bin || !url) {
    rmSync(env.PG_DIR, { recursive: true, force: true });
    const reason = (started.stderr || started.stdout).trim().split('\n').at(-1) || `exit code ${started.status}`;
    const skipped = `could not start a private PostgreSQL with scripts/ci/postgres.sh (${reason})`;
    return { url: undefined, skipped, stop: () => undefined };
  }

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Synchronous on purpose: this also runs from the 'exit' event, where nothing asynchronous completes.
    spawnSync('bash', ['-c', 'source "$0" && PG_BIN="$1" stop_postgres', CI_SCRIPT, bin], { env, stdio: 'ignore' });
    rmSync(env.PG_DIR, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stop();
    process.exit(128 + os.constants.signals[signal]);
  };
  process.once('exit', stop);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { url, stop };
}

/** A TCP port nothing listens on right now, so parallel runs each get their own server. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
