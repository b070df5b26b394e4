/**
 * RSA key generation cost on one core, per modulus size, and the keygen limit
 * it implies: the per-relay sessions per second this machine can sustain once
 * its ready keys are used up, with the relay generating keys in
 * max(1, cores − 1) worker threads.
 */
import { generateKeyPairSync } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { QUICK, spread, type Spread } from './stats.js';

/** The sizes compared: 3072 is the relay's default, 4096 its other choice, 2048 for scale. */
export type KeygenBits = 2048 | 3072 | 4096;

export interface KeygenRow {
  readonly bits: KeygenBits;
  readonly keysPerRun: number;
  /** Key pairs per second on one core: median (min–max) over runs. */
  readonly pairsPerSecond: Spread;
  /** Time of each single key pair in ms, over every key of every run: prime search makes it vary widely. */
  readonly msPerKey: Spread;
}

export interface KeygenCost {
  readonly rows: readonly KeygenRow[];
  /** Key generation threads the relay runs on this machine: max(1, cores − 1). */
  readonly workers: number;
  /** 3072-bit pairs/s on one core × workers: the ceiling of sustained per-relay sessions/s. */
  readonly limitPerSecond: number;
}

/** Keys per run, so a run lasts a few seconds at each size. */
const KEYS_PER_RUN: Readonly<Record<KeygenBits, number>> = QUICK ? { 2048: 4, 3072: 2, 4096: 1 } : { 2048: 12, 3072: 8, 4096: 3 };
const RUNS = QUICK ? 1 : 3;

/** Generates keys synchronously on the main thread: one core, nothing else running. */
export function measureKeygen(): KeygenCost {
  const rows = ([2048, 3072, 4096] as const).map((bits) => measureBits(bits));
  const workers = Math.max(1, os.availableParallelism() - 1);
  const perCore3072 = rows.find((row) => row.bits === 3072)!.pairsPerSecond.median;
  return { rows, workers, limitPerSecond: perCore3072 * workers };
}

function measureBits(bits: KeygenBits): KeygenRow {
  const keysPerRun = KEYS_PER_RUN[bits];
  const perKey: number[] = [];
  const perSecond: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    let runMs = 0;
    for (let key = 0; key < keysPerRun; key += 1) {
      const started = performance.now();
      generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
      const ms = performance.now() - started;
      perKey.push(ms);
      runMs += ms;
    }
    perSecond.push((keysPerRun * 1000) / runMs);
  }
  return { bits, keysPerRun, pairsPerSecond: spread(perSecond), msPerKey: spread(perKey) };
}
