/**
 * A small pool of worker threads that run one job at a time each.
 *
 * Idle workers are `unref`ed so they never keep the process alive; a worker
 * with a job in flight is `ref`ed (unless `keepAlive` is false) so a pending
 * job is not cut short by the process exiting. A worker that dies fails only its own job (with a
 * RelayError) and is replaced on demand by the next job.
 */
import type { TransferListItem, Worker } from 'node:worker_threads';
import { RelayError, RelayErrorCode } from '../errors.js';

/**
 * Options for {@link WorkerPool}.
 */
export interface WorkerPoolOptions {
  /** Most workers alive at once (≥ 1). */
  readonly size: number;
  /** Starts one worker. Each worker must answer every message with exactly one message. */
  readonly spawn: () => Worker;
  /** Names the pool in errors. */
  readonly name: string;
  /**
   * Whether a job in flight keeps the process alive (default true). False suits work nobody waits for
   * at exit, such as filling a reserve ahead of time.
   */
  readonly keepAlive?: boolean;
}

/** Counters for tests and metrics. */
export interface WorkerPoolStats {
  /** Workers alive now. */
  readonly workers: number;
  /** Jobs answered by a worker since the pool started. */
  readonly jobsCompleted: number;
  /** Workers that exited without being asked to (each one failed its job in flight, if any). */
  readonly crashes: number;
}

interface Job {
  readonly message: unknown;
  readonly transfer: readonly TransferListItem[];
  resolve(reply: unknown): void;
  reject(error: unknown): void;
}

/**
 * Worker threads started on demand (up to `size`), one job at a time each, with a FIFO queue of jobs
 * waiting for a free worker. An idle worker does not keep the process alive; a worker that dies fails
 * only its own job and is replaced by the next job that needs one.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #live = new Set<Worker>();
  readonly #idle: Worker[] = [];
  readonly #busy = new Map<Worker, Job>();
  readonly #queue: Job[] = [];
  #closed = false;
  #jobsCompleted = 0;
  #crashes = 0;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isSafeInteger(options.size) || options.size < 1) {
      throw new TypeError('the worker pool size must be a positive integer');
    }
    this.#options = options;
  }

  /** See {@link WorkerPoolStats}. */
  get stats(): WorkerPoolStats {
    return { workers: this.#live.size, jobsCompleted: this.#jobsCompleted, crashes: this.#crashes };
  }

  /**
   * Runs one job on the next free worker and resolves with its reply.
   *
   * @param transfer - buffers moved (not copied) to the worker; `message` must not use them afterwards
   * @throws RelayError `ABORTED` when the worker dies or the pool closes before replying
   * @throws TypeError when the pool is closed
   */
  run(message: unknown, transfer: readonly TransferListItem[] = []): Promise<unknown> {
    if (this.#closed) return Promise.reject(new TypeError(`${this.#options.name} is closed`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, transfer, resolve, reject });
      this.#dispatch();
    });
  }

  /** Fails queued and in-flight jobs with `ABORTED` and terminates every worker. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(this.#aborted('closed before the job started'));
    await Promise.all([...this.#live].map((worker) => worker.terminate()));
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let worker = this.#idle.pop();
      if (worker === undefined && this.#live.size >= this.#options.size) return;
      const job = this.#queue.shift()!;
      try {
        worker ??= this.#start();
      } catch (error) {
        job.reject(error);
        continue;
      }
      try {
        worker.postMessage(job.message, job.transfer);
      } catch (error) {
        // The message could not be cloned: the job is at fault, not the worker.
        this.#idle.push(worker);
        job.reject(error);
        continue;
      }
      this.#busy.set(worker, job);
      if (this.#options.keepAlive !== false) worker.ref();
    }
  }

  #start(): Worker {
    const worker = this.#options.spawn();
    let failure: unknown;
    worker.unref();
    worker.on('message', (reply: unknown) => this.#onReply(worker, reply));
    // 'error' is always followed by 'exit'; remember it as the cause.
    worker.on('error', (error) => (failure = error));
    worker.on('messageerror', (error) => {
      failure = error;
      void worker.terminate();
    });
    worker.on('exit', (exitCode) => this.#onExit(worker, exitCode, failure));
    this.#live.add(worker);
    return worker;
  }

  #onReply(worker: Worker, reply: unknown): void {
    const job = this.#busy.get(worker);
    if (job === undefined) return;
    this.#busy.delete(worker);
    this.#jobsCompleted++;
    worker.unref();
    this.#idle.push(worker);
    job.resolve(reply);
    this.#dispatch();
  }

  #onExit(worker: Worker, exitCode: number, failure: unknown): void {
    this.#live.delete(worker);
    const idleIndex = this.#idle.indexOf(worker);
    if (idleIndex !== -1) this.#idle.splice(idleIndex, 1);
    const job = this.#busy.get(worker);
    this.#busy.delete(worker);
    if (!this.#closed) this.#crashes++;
    job?.reject(this.#aborted(this.#closed ? 'closed while the job was running' : 'a worker thread stopped while running the job', exitCode, failure));
    this.#dispatch();
  }

  #aborted(what: string, exitCode?: number, cause?: unknown): RelayError {
    return new RelayError(RelayErrorCode.ABORTED, `${this.#options.name}: ${what}`, {
      cause,
      context: exitCode === undefined ? { pool: this.#options.name } : { pool: this.#options.name, exitCode },
    });
  }
}
