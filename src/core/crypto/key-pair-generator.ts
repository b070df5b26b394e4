/**
 * RSA key pairs for per-relay payload encryption, generated in worker threads.
 *
 * Generating an RSA-3072 key pair costs hundreds of milliseconds of CPU, so it
 * never runs on the event loop: each worker runs the synchronous
 * `generateKeyPairSync` on its own thread and posts the PEMs back.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RelayError, RelayErrorCode } from '../errors.js';
import { WorkerPool } from './worker-pool.js';

/** A key pair for one relay. The private key is a secret: seal it before storing. */
export interface EncryptionKeyPair {
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`), sent to Persona as `encryption-key-pem`. */
  readonly publicKeyPem: string;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  readonly privateKeyPem: string;
}

/** Makes the key pairs of the key reserve; replaceable (for example by tests, or a hardware generator). */
export interface KeyPairGenerator {
  /** How many generations it runs at once; the reserve never asks for more at a time. */
  readonly concurrency: number;
  /** A fresh RSA key pair with this modulus size and e = 65537. */
  generate(modulusBits: number): Promise<EncryptionKeyPair>;
  /** Stops generating; generations in flight reject. */
  close(): Promise<void>;
}

/** A key pair and the worker thread that generated it. */
export interface GeneratedKeyPair extends EncryptionKeyPair {
  /** `threadId` of the generating worker (the main thread's is 0). */
  readonly threadId: number;
}

/**
 * The worker script, run with `new Worker(source, { eval: true })` so that the
 * same code works from the TypeScript sources (vitest, tsx) and from `dist/`
 * without a separate file to ship. One job at a time (the pool guarantees it):
 * `{ modulusBits }` → `{ ok: true, publicKeyPem, privateKeyPem, threadId }`
 * or `{ ok: false, reason }`.
 */
const KEY_PAIR_WORKER_SOURCE = String.raw`
'use strict';
const { generateKeyPairSync } = require('node:crypto');
const { parentPort, threadId } = require('node:worker_threads');

// Key generation refills a reserve in the background: it yields the CPU to the
// threads serving requests. On Linux a thread is a task with its own nice
// value; elsewhere (or without /proc) the thread keeps the process's priority.
try {
  const task = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(task, 19);
} catch {}

parentPort.on('message', ({ modulusBits }) => {
  try {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: modulusBits,
      publicExponent: 0x10001,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    parentPort.postMessage({ ok: true, publicKeyPem: publicKey, privateKeyPem: privateKey, threadId });
  } catch (error) {
    parentPort.postMessage({ ok: false, reason: String(error && error.message) });
  }
});
`;

type WorkerReply = ({ readonly ok: true } & GeneratedKeyPair) | { readonly ok: false; readonly reason: string };

/**
 * The default {@link KeyPairGenerator}: worker threads, started when the first
 * key is asked for, one per core but one (at least one), so that generation
 * leaves a core to the event loop. Workers never keep the process alive; a
 * worker that dies fails only the generation it was running.
 */
export class WorkerKeyPairGenerator implements KeyPairGenerator {
  readonly concurrency: number;
  readonly #pool: WorkerPool;

  /** @param workers - most worker threads at once; default `os.availableParallelism() - 1`, at least 1 */
  constructor(workers: number = Math.max(1, availableParallelism() - 1)) {
    this.concurrency = workers;
    this.#pool = new WorkerPool({
      name: 'key pair generator',
      size: workers,
      // Generation fills the reserve ahead of need: a process that is done may exit in the middle of it.
      keepAlive: false,
      spawn: () => new Worker(KEY_PAIR_WORKER_SOURCE, { eval: true }),
    });
  }

  /**
   * @throws RelayError `INVALID_KEY` when the worker could not generate the key pair
   * @throws RelayError `ABORTED` when the worker died or the generator was closed meanwhile
   */
  async generate(modulusBits: number): Promise<GeneratedKeyPair> {
    const reply = (await this.#pool.run({ modulusBits })) as WorkerReply;
    if (!reply.ok) {
      throw new RelayError(RelayErrorCode.INVALID_KEY, `could not generate an RSA key pair: ${reply.reason}`, {
        context: { reason: 'generation', modulusBits },
      });
    }
    return { publicKeyPem: reply.publicKeyPem, privateKeyPem: reply.privateKeyPem, threadId: reply.threadId };
  }

  /** Terminates the workers; generations in flight reject with `ABORTED`. Idempotent. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
