/**
 * The reference engine: `@cloudflare/blindrsa-ts` (RFC 9474,
 * RSABSSA-SHA384-PSS), run in worker threads because it is pure JavaScript
 * and blocks for tens of milliseconds per token.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RelayError, RelayErrorCode } from '../../errors.js';
import { resolveBlindRsaModuleUrl } from './blindrsa-module-url.js';
import { createBlindingState, readBlindingState, type BlindingState } from './blinding-state.js';
import { BLINDRSA_TS_WORKER_SOURCE } from './blindrsa-ts-worker-source.js';
import type { BlindingResult, BlindRsaEngine } from './engine.js';
import { blindingFailed, checkBlindSignature, copyMessage, invalidBlindSignature, requireVerified } from './engine-checks.js';
import { drawBlindingFactor, drawSalt, type BlindingRandomSource } from './randomness.js';
import { PSS_SALT_LENGTH, TokenKeyCache, type TokenKey } from './token-key.js';
import { WorkerPool, type WorkerPoolStats } from '../worker-pool.js';

const ENGINE_NAME = 'blindrsa-ts';

/**
 * Options for {@link BlindRsaTsEngine}.
 */
export interface BlindRsaTsEngineOptions {
  /**
   * Worker threads doing the arithmetic. Default `min(2, os.availableParallelism() - 1)`, at least 1:
   * busy workers on every core would starve the main thread and so the event loop they protect.
   */
  readonly workers?: number;
  /**
   * **Tests only.** Replaces the CSPRNG for the salt and r, e.g. to reproduce
   * RFC 9474 vectors. Never set it in production: predictable blinding links
   * tokens to their issuance. When unset, the library draws its own randomness
   * inside the worker.
   */
  readonly randomSource?: BlindingRandomSource;
}

/** Replies of the worker script (see blindrsa-ts-worker-source.ts). */
type BlindReply = { ok: true; blindedMessage: Uint8Array; inverse: Uint8Array };
type FinalizeReply = { ok: true; signature: Uint8Array };
type FailureReply = { ok: false; phase: 'key' | 'blind' | 'finalize'; reason: string };

/**
 * {@link BlindRsaEngine} on `@cloudflare/blindrsa-ts`
 * (`RSABSSA.SHA384.PSS.Randomized()`, `blind` and `finalize`; never `prepare`).
 *
 * The library runs in a small worker pool, so the event loop only parses the
 * key (once per key), copies buffers and runs the final native signature check.
 * Each worker imports a token key into WebCrypto once and caches it. Every
 * signature is verified twice: by the library (WebCrypto) and by node:crypto.
 */
export class BlindRsaTsEngine implements BlindRsaEngine {
  readonly name = ENGINE_NAME;
  readonly #keys = new TokenKeyCache();
  readonly #pool: WorkerPool;
  readonly #randomSource: BlindingRandomSource | undefined;

  constructor(options: BlindRsaTsEngineOptions = {}) {
    this.#randomSource = options.randomSource;
    this.#pool = new WorkerPool({
      name: `${ENGINE_NAME} engine`,
      size: options.workers ?? Math.max(1, Math.min(2, availableParallelism() - 1)),
      spawn: spawnBlindRsaWorker,
    });
  }

  /** Worker pool counters (tests, metrics): every blind and finalize is one worker job. */
  get workerStats(): WorkerPoolStats {
    return this.#pool.stats;
  }

  async blind(tokenKeySpki: Uint8Array, message: Uint8Array): Promise<BlindingResult> {
    const key = this.#keys.get(tokenKeySpki);
    const ownMessage = copyMessage(message);
    const randomness = this.#randomSource && [
      drawSalt(this.#randomSource, PSS_SALT_LENGTH),
      drawBlindingFactor(this.#randomSource, key.info).bytes,
    ];
    // The message stays in the state (finalize verifies against it), so it is copied to the worker, not moved.
    const reply = await this.#run<BlindReply>({ op: 'blind', spki: key.info.spki, message: ownMessage, randomness }, randomness ?? []);
    if (!reply.ok) {
      throw reply.phase === 'key' ? keyImportFailed(key, reply) : blindingFailed(ENGINE_NAME, key.info.modulusBits, new Error(reply.reason));
    }
    return {
      blindedMessage: reply.blindedMessage,
      state: createBlindingState({ key, message: ownMessage, inverse: reply.inverse }),
    };
  }

  async finalize(state: BlindingState, blindSignature: Uint8Array): Promise<Uint8Array> {
    const { key, message, inverse } = readBlindingState(state);
    const ownBlindSignature = checkBlindSignature(key, blindSignature);
    const reply = await this.#run<FinalizeReply>(
      { op: 'finalize', spki: key.info.spki, message, blindSignature: ownBlindSignature, inverse },
      [ownBlindSignature],
    );
    if (!reply.ok) throw reply.phase === 'key' ? keyImportFailed(key, reply) : invalidBlindSignature(ENGINE_NAME, new Error(reply.reason));
    // The library verified with WebCrypto already; OpenSSL checks again before the token leaves us.
    return requireVerified(key, message, reply.signature, ENGINE_NAME);
  }

  /** Terminates the workers; jobs still running fail with `ABORTED`. */
  close(): Promise<void> {
    return this.#pool.close();
  }

  /**
   * Every buffer in `job` owns its whole ArrayBuffer (structured clone would
   * otherwise copy a pooled Buffer's neighbours too). `moved` lists the
   * single-use ones, transferred instead of copied; the key SPKI, message and
   * inverse are reused later and only copied.
   */
  async #run<Reply>(job: Record<string, unknown>, moved: readonly Uint8Array<ArrayBuffer>[]): Promise<Reply | FailureReply> {
    return (await this.#pool.run(job, moved.map((bytes) => bytes.buffer))) as Reply | FailureReply;
  }
}

/** The worker's WebCrypto refused a key that passed our own parsing. */
function keyImportFailed(key: TokenKey, reply: FailureReply): RelayError {
  return new RelayError(RelayErrorCode.INVALID_KEY, 'WebCrypto cannot import the token key', {
    cause: new Error(reply.reason),
    context: { reason: 'import', engine: ENGINE_NAME, modulusBits: key.info.modulusBits },
  });
}

let blindRsaModuleUrl: string | undefined;

function spawnBlindRsaWorker(): Worker {
  blindRsaModuleUrl ??= resolveBlindRsaModuleUrl();
  return new Worker(BLINDRSA_TS_WORKER_SOURCE, { eval: true, workerData: { blindRsaModuleUrl } });
}
