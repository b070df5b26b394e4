/**
 * Per-relay payload encryption keys: a fresh RSA key pair per relay, so that no static public key links
 * relays together.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { RelayError, RelayErrorCode } from '../errors.js';

const generateRsaKeyPair = promisify(generateKeyPair);

/** A key pair for one relay. The private key is a secret: seal it before storing. */
export interface EncryptionKeyPair {
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`), sent to Persona as `encryption-key-pem`. */
  readonly publicKeyPem: string;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  readonly privateKeyPem: string;
}

/** RSA sizes a supply can generate. 3072 is the default: RSA-2048 cannot hold every payload under OAEP-SHA-256. */
export type EncryptionKeyBits = 2048 | 3072 | 4096;

/**
 * Options for {@link EncryptionKeySupply}.
 */
export interface EncryptionKeySupplyOptions {
  /** Key pairs kept ready (1–64). Default 4. */
  readonly size?: number;
  /** Modulus size. Default 3072. */
  readonly modulusBits?: EncryptionKeyBits;
  /** Replaces the generator (tests). Default: async `crypto.generateKeyPair`, e = 65537. */
  readonly generate?: (modulusBits: EncryptionKeyBits) => Promise<EncryptionKeyPair>;
}

interface Waiter {
  resolve(pair: EncryptionKeyPair): void;
  reject(error: unknown): void;
}

/**
 * Keeps a few RSA key pairs ready so that creating a relay never waits for key
 * generation (hundreds of milliseconds at 3072 bits). Keys are generated with
 * the asynchronous `crypto.generateKeyPair`, which runs on libuv's thread pool,
 * one at a time so the pool stays available for file, DNS and other crypto
 * work. Every key is handed out once.
 *
 * Refilling starts at construction and resumes whenever a key is taken. A
 * generation error never escapes as an unhandled rejection: it fails the
 * callers waiting at that moment, or else the next {@link take}, and refilling
 * restarts with the next `take`.
 */
export class EncryptionKeySupply {
  readonly #size: number;
  readonly #modulusBits: EncryptionKeyBits;
  readonly #generate: (modulusBits: EncryptionKeyBits) => Promise<EncryptionKeyPair>;
  readonly #ready: EncryptionKeyPair[] = [];
  readonly #waiters: Waiter[] = [];
  #generating = false;
  #failure: RelayError | undefined;
  #closed = false;

  /** @throws TypeError for a size outside 1–64 or an unsupported modulus size */
  constructor(options: EncryptionKeySupplyOptions = {}) {
    const { size = 4, modulusBits = 3072, generate = generateEncryptionKeyPair } = options;
    if (!Number.isSafeInteger(size) || size < 1 || size > 64) throw new TypeError('the key supply size must be an integer from 1 to 64');
    if (modulusBits !== 2048 && modulusBits !== 3072 && modulusBits !== 4096) {
      throw new TypeError('encryption keys must be 2048, 3072 or 4096 bits');
    }
    this.#size = size;
    this.#modulusBits = modulusBits;
    this.#generate = generate;
    this.#refill();
  }

  /** Key pairs ready to be taken now. */
  get available(): number {
    return this.#ready.length;
  }

  /**
   * Hands out a key pair that nobody else gets: at once when one is ready,
   * otherwise as soon as the next one is generated.
   *
   * @throws RelayError `INVALID_KEY` when key generation failed since the last take
   * @throws RelayError `ABORTED` when the supply is closed while waiting
   * @throws TypeError when the supply is already closed
   */
  take(): Promise<EncryptionKeyPair> {
    if (this.#closed) return Promise.reject(new TypeError('the encryption key supply is closed'));
    const failure = this.#failure;
    this.#failure = undefined;
    let taken: Promise<EncryptionKeyPair>;
    if (failure) taken = Promise.reject(failure);
    else if (this.#ready.length > 0) taken = Promise.resolve(this.#ready.shift()!);
    else taken = new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#refill();
    return taken;
  }

  /** Stops refilling, drops the ready keys and fails waiting callers with `ABORTED`. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#ready.length = 0;
    const aborted = new RelayError(RelayErrorCode.ABORTED, 'the encryption key supply was closed');
    for (const waiter of this.#waiters.splice(0)) waiter.reject(aborted);
  }

  #refill(): void {
    const wanted = this.#ready.length < this.#size || this.#waiters.length > 0;
    if (this.#generating || this.#closed || this.#failure !== undefined || !wanted) return;
    this.#generating = true;
    this.#generate(this.#modulusBits).then(
      (pair) => {
        this.#generating = false;
        if (this.#closed) return;
        const waiter = this.#waiters.shift();
        if (waiter) waiter.resolve(pair);
        else this.#ready.push(pair);
        this.#refill();
      },
      (error: unknown) => {
        this.#generating = false;
        if (this.#closed) return;
        const failure = new RelayError(RelayErrorCode.INVALID_KEY, 'could not generate an encryption key pair', {
          cause: error,
          context: { reason: 'generation', modulusBits: this.#modulusBits },
        });
        const waiters = this.#waiters.splice(0);
        // Surface the error once: to whoever waits now, else to the next take(). Refilling pauses until then.
        if (waiters.length > 0) for (const waiter of waiters) waiter.reject(failure);
        else this.#failure = failure;
      },
    );
  }
}

async function generateEncryptionKeyPair(modulusBits: EncryptionKeyBits): Promise<EncryptionKeyPair> {
  const { publicKey, privateKey } = await generateRsaKeyPair('rsa', {
    modulusLength: modulusBits,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}
