import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PerRelayKeyBits } from '../config/index.js';
import type { EncryptionKeyPair, KeyPairGenerator, SecretBox } from '../crypto/index.js';
import { WorkerKeyPairGenerator } from '../crypto/index.js';
import { RelayError, RelayErrorCode } from '../errors.js';
import { describeError, type RelayLogger } from '../logger.js';
import type { KeyReserveStore, ReservedKeyPairRecord } from '../storage/index.js';
import { sealedField } from './sealing.js';

/** Dependencies of {@link KeyReserve}. */
export interface KeyReserveDeps {
  readonly store: KeyReserveStore;
  readonly secretBox: SecretBox;
  readonly logger: RelayLogger;
  readonly clock: () => Date;
  /** Aborted on shutdown: ends refilling and fails waiting takes with `ABORTED`. */
  readonly shutdown: AbortSignal;
  /** Key pairs to keep ready in storage (the `keyReserve` option). */
  readonly target: number;
  readonly modulusBits: PerRelayKeyBits;
  /** Longest wait of one {@link KeyReserve.take} on an empty reserve (the `keyWaitMs` option). */
  readonly waitMs: number;
  /** Default: a {@link WorkerKeyPairGenerator}. Closed by {@link KeyReserve.close}. */
  readonly generator?: KeyPairGenerator;
  /** How often a waiting take looks for key pairs another instance added. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** Pause after a failed refill (generation or storage) before the next try. Default 5 s. */
  readonly retryDelayMs?: number;
  /** Monotonic milliseconds for waits and generation times; injectable for tests. Default `performance.now`. */
  readonly now?: () => number;
}

/** Weight of the newest measurement in the running mean of generation times. */
const MEASUREMENT_WEIGHT = 0.2;

/**
 * Per-relay payload key pairs generated ahead of time and kept in storage, so
 * that creating a relay takes a ready key instead of waiting for RSA key
 * generation (about half a second of CPU at 3072 bits).
 *
 * The reserve lives in the database: a restart finds it warm, and instances
 * sharing the database share it (each refills toward the target counting
 * every instance's keys). Each key pair is handed out once, by a single-
 * statement take in storage. Its private key is sealed at rest, bound to its
 * reserve record.
 *
 * When the reserve is empty, a take waits at most `waitMs` for a key this
 * instance generates (it is woken at once) or another instance adds (it looks
 * every `pollIntervalMs`), then fails with `RELAY_BUSY` and a retry estimate:
 * never an unbounded queue, never a fallback to another encryption mode.
 *
 * A failed refill is logged once and tried again after `retryDelayMs`; it
 * never becomes an unhandled rejection.
 */
export class KeyReserve {
  readonly #deps: KeyReserveDeps;
  readonly #generator: KeyPairGenerator;
  readonly #pollIntervalMs: number;
  readonly #retryDelayMs: number;
  readonly #now: () => number;
  /** Wakes the takes waiting right now; each removes itself. */
  readonly #wakers = new Set<() => void>();
  #refilling: Promise<void> | undefined;
  /** Takes waiting for a key pair: each one is a key pair the refill must add beyond what storage holds. */
  #waiting = 0;
  /** Running mean of the wall time of one generation, once measured. */
  #generationMs: number | undefined;

  constructor(deps: KeyReserveDeps) {
    this.#deps = deps;
    this.#generator = deps.generator ?? new WorkerKeyPairGenerator();
    this.#pollIntervalMs = deps.pollIntervalMs ?? 200;
    this.#retryDelayMs = deps.retryDelayMs ?? 5_000;
    this.#now = deps.now ?? (() => performance.now());
  }

  /**
   * Starts refilling toward the target in the background, unless a refill is
   * running or shutdown has begun. Takes call it themselves; call it when
   * others may have drained the shared reserve (the maintenance sweep does).
   */
  replenish(): void {
    if (this.#refilling !== undefined || this.#deps.shutdown.aborted) return;
    this.#refilling = this.#refill().finally(() => {
      this.#refilling = undefined;
    });
  }

  /**
   * Hands out a key pair nobody else gets, with its private key opened.
   *
   * @param signal - gives up waiting when aborted (the request went away)
   * @throws RelayError `RELAY_BUSY` (with `context.retryAfterSeconds`) when no key pair became ready within `waitMs`
   * @throws RelayError `ABORTED` when `signal` or the shutdown signal aborts
   */
  async take(signal?: AbortSignal): Promise<EncryptionKeyPair> {
    const stops = signal === undefined ? [this.#deps.shutdown] : [this.#deps.shutdown, signal];
    if (stops.some((stop) => stop.aborted)) throw this.#abortedError();
    const deadline = this.#now() + this.#deps.waitMs;
    let record = await this.#deps.store.take(this.#deps.modulusBits);
    if (record === null) {
      this.#waiting += 1;
      try {
        while (record === null) {
          // Again on every round: a refill that was just ending when this take began did not count it.
          this.replenish();
          const remaining = deadline - this.#now();
          if (remaining <= 0) throw this.#busy();
          await this.#keyAddedOrTimeout(Math.min(remaining, this.#pollIntervalMs), stops);
          record = await this.#deps.store.take(this.#deps.modulusBits);
        }
      } finally {
        this.#waiting -= 1;
      }
    }
    this.replenish();
    return this.#opened(record);
  }

  /**
   * Stops generating (workers are terminated, a generation in flight is
   * dropped) and waits for the refill to end. Call it after aborting the
   * shutdown signal. Idempotent.
   */
  async close(): Promise<void> {
    await this.#generator.close();
    await this.#refilling;
  }

  async #refill(): Promise<void> {
    const { store, modulusBits, shutdown, logger } = this.#deps;
    while (!shutdown.aborted) {
      try {
        // Counted in storage, not here: other instances' key pairs count too, and a restart sees the reserve it left.
        const missing = Math.max(this.#deps.target, this.#waiting) - (await store.count(modulusBits));
        if (missing <= 0) return;
        await this.#generateRound(Math.min(missing, this.#generator.concurrency));
      } catch (error) {
        if (shutdown.aborted) return;
        logger.warn('could not refill the per-relay key reserve; trying again later', {
          retryInMs: this.#retryDelayMs,
          ...describeError(error),
        });
        await sleep(this.#retryDelayMs, undefined, { signal: shutdown, ref: false }).catch(() => undefined);
      }
    }
  }

  /** Generates `count` key pairs at once and stores each as soon as it is ready; rejects with the first failure. */
  async #generateRound(count: number): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: count }, () => this.#generateOne()));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  async #generateOne(): Promise<void> {
    const { store, secretBox, modulusBits, clock, shutdown } = this.#deps;
    const started = this.#now();
    const pair = await this.#generator.generate(modulusBits);
    this.#measure(this.#now() - started);
    if (shutdown.aborted) return;
    const id = randomUUID();
    await store.add([
      {
        id,
        publicKeyPem: pair.publicKeyPem,
        privateKeySealed: secretBox.seal(pair.privateKeyPem, sealedField.reservedPrivateKey(id)),
        modulusBits,
        createdAt: clock(),
      },
    ]);
    for (const wake of [...this.#wakers]) wake();
  }

  #measure(durationMs: number): void {
    this.#generationMs =
      this.#generationMs === undefined ? durationMs : this.#generationMs + MEASUREMENT_WEIGHT * (durationMs - this.#generationMs);
  }

  /** Resolves when this instance adds a key pair or after `ms`; rejects with `ABORTED` once one of `stops` aborts. */
  #keyAddedOrTimeout(ms: number, stops: readonly AbortSignal[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (error?: RelayError) => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        for (const stop of stops) stop.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const wake = () => settle();
      const onAbort = () => settle(this.#abortedError());
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
      for (const stop of stops) stop.addEventListener('abort', onAbort);
      // A signal that aborted while storage was being asked fires no event any more.
      if (stops.some((stop) => stop.aborted)) onAbort();
    });
  }

  #opened(record: ReservedKeyPairRecord): EncryptionKeyPair {
    const privateKeyPem = this.#deps.secretBox.openText(record.privateKeySealed, sealedField.reservedPrivateKey(record.id));
    return { publicKeyPem: record.publicKeyPem, privateKeyPem };
  }

  #busy(): RelayError {
    const { waitMs, target, logger } = this.#deps;
    // The waiting takes are served `concurrency` at a time; unmeasured, a wait as long as this one is the best guess.
    const rounds = Math.ceil(this.#waiting / this.#generator.concurrency);
    const estimateMs = this.#generationMs === undefined ? waitMs : rounds * this.#generationMs;
    const retryAfterSeconds = Math.max(1, Math.ceil(estimateMs / 1000));
    logger.warn('no per-relay key pair became ready in time; raise keyReserve if this recurs', { waitMs, keyReserve: target });
    return new RelayError(RelayErrorCode.RELAY_BUSY, 'No encryption key is ready; try again shortly', {
      context: { retryAfterSeconds },
    });
  }

  #abortedError(): RelayError {
    return this.#deps.shutdown.aborted
      ? new RelayError(RelayErrorCode.ABORTED, 'the key reserve was closed', { cause: this.#deps.shutdown.reason })
      : new RelayError(RelayErrorCode.ABORTED, 'waiting for an encryption key was aborted');
  }
}
