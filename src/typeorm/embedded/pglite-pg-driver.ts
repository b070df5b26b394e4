/**
 * A stand-in for the `pg` module, backed by ONE PGlite database, for
 * TypeORM's `postgres` driver (its `driver` option).
 *
 * PGlite is a single session. A real pg pool gives each holder its own
 * session; this one gives the single session to one holder at a time, from
 * `pool.connect()` until `release()` (a FIFO lock). TypeORM holds a
 * connection for a whole transaction, so a transaction owns the database
 * from BEGIN to COMMIT/ROLLBACK and every other statement waits: no
 * interleaving, no lost rollback, and `FOR UPDATE SKIP LOCKED` cannot hand
 * one row to two callers.
 *
 * Only what TypeORM's PostgresDriver and PostgresQueryRunner use is
 * provided: `new Pool(options)`, `pool.connect(cb?)`, `pool.end(cb?)`,
 * `pool.on('error')`, `client.query(text, params?, cb?)`,
 * `client.release(err?)` and client events.
 *
 * Consequence of the single session: code holding a connection must not wait
 * for another one (for example `dataSource.query()` inside a
 * `dataSource.transaction()` callback): that waits forever.
 */
import { EventEmitter } from 'node:events';
import type { Results } from '@electric-sql/pglite';
import { loadPglite } from '../load-on-demand.js';
import { claimDataDir } from './data-dir-claims.js';
import { FifoLock, type ReleaseLock } from './fifo-lock.js';

/** A query result as `pg` returns it (the part TypeORM reads). */
export interface PgQueryResult {
  readonly command: string;
  /** Rows the command returned or changed; `null` for commands without a count. */
  readonly rowCount: number | null;
  readonly rows: Record<string, unknown>[];
  readonly fields: ReadonlyArray<{ readonly name: string; readonly dataTypeID: number }>;
}

/** One statement's result, or one per statement for a multi-statement text (as pg does). */
type PgQueryOutcome = PgQueryResult | PgQueryResult[];
type QueryCallback = (error: Error | null, result?: PgQueryOutcome) => void;
type ConnectCallback = (error: Error | null, client?: PgliteClient, release?: (error?: unknown) => void) => void;

/** The pool options this facade honours (TypeORM passes its `connectTimeoutMS` as `connectionTimeoutMillis`). */
interface PoolOptions {
  readonly connectionTimeoutMillis?: number;
}

/** The `pg` module surface TypeORM's `postgres` driver needs. */
export interface PgDriverModule {
  readonly Pool: new (options?: PoolOptions) => PglitePool;
}

/**
 * The PGlite class as the loader delivers it. Taken from the loader rather than
 * imported as a type, so it is the same class whichever module format loads it.
 */
type PGlite = InstanceType<Awaited<ReturnType<typeof loadPglite>>['PGlite']>;

/** PostgreSQL's type id of `int8` (`bigint`). */
const INT8_TYPE_OID = 20;

/**
 * pg returns `int8` as a string (it may not fit a JS number); PGlite would
 * return a number. Keep pg's behaviour so TypeORM sees the same values on
 * both drivers.
 */
const PG_COMPATIBLE_PARSERS = { [INT8_TYPE_OID]: (text: string) => text };

const OPENS_TRANSACTION = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
const ENDS_TRANSACTION = /^\s*(COMMIT|END|ABORT|ROLLBACK)\b(?!\s+TO\b)/i;

/**
 * Opens PGlite. The package is loaded when an embedded database is actually
 * opened, so apps on PostgreSQL never need it installed.
 */
async function openPglite(dataDir: string): Promise<PGlite> {
  const pglite = await loadPglite().catch((error: unknown) => {
    throw new Error(
      'The embedded database needs the @electric-sql/pglite package: install it, or set DATABASE_URL to use PostgreSQL',
      { cause: error },
    );
  });
  const db = new pglite.PGlite(dataDir, { parsers: PG_COMPATIBLE_PARSERS });
  await db.waitReady;
  return db;
}

function toPgResult(result: Results): PgQueryResult {
  return {
    command: result.command ?? '',
    rowCount: result.rowCount ?? null,
    rows: result.rows,
    fields: result.fields,
  };
}

/**
 * The single session, lent to one holder. Queries after `release()` fail.
 */
export class PgliteClient extends EventEmitter {
  readonly #db: PGlite;
  #releaseLock: ReleaseLock | null;
  /** Whether the holder left a transaction open, as far as its statements tell. */
  #inTransaction = false;

  constructor(db: PGlite, releaseLock: ReleaseLock) {
    super();
    this.#db = db;
    this.#releaseLock = releaseLock;
  }

  query(text: string, callback: QueryCallback): void;
  query(text: string, params: readonly unknown[] | undefined, callback: QueryCallback): void;
  query(text: string, params?: readonly unknown[]): Promise<PgQueryOutcome>;
  query(
    text: string,
    paramsOrCallback?: readonly unknown[] | QueryCallback,
    callback?: QueryCallback,
  ): Promise<PgQueryOutcome> | void {
    const params = typeof paramsOrCallback === 'function' ? undefined : paramsOrCallback;
    const done = typeof paramsOrCallback === 'function' ? paramsOrCallback : callback;
    const outcome = this.#run(text, params);
    if (done === undefined) return outcome;
    outcome.then(
      (result) => done(null, result),
      (error: Error) => done(error),
    );
  }

  /**
   * Hands the session to the next holder. A transaction the holder left open
   * (or any, after an error) is rolled back first, so the next holder never
   * runs inside it.
   */
  release(error?: unknown): void {
    const releaseLock = this.#releaseLock;
    if (releaseLock === null) return;
    this.#releaseLock = null;
    if (!this.#inTransaction && error === undefined) {
      releaseLock();
      return;
    }
    this.#inTransaction = false;
    // If even ROLLBACK fails the database is broken; the next holder's
    // statements report that, and there is no listener left to tell here.
    this.#db.exec('ROLLBACK').catch(() => {}).finally(releaseLock);
  }

  async #run(text: string, params: readonly unknown[] | undefined): Promise<PgQueryOutcome> {
    if (this.#releaseLock === null) throw new Error('This embedded database client was released');
    try {
      // Like pg: parameters need the extended protocol (one statement);
      // without them the simple protocol also runs multi-statement texts.
      const results: Results[] =
        params !== undefined && params.length > 0
          ? [await this.#db.query<Record<string, unknown>>(text, [...params])]
          : await this.#db.exec(text);
      if (OPENS_TRANSACTION.test(text)) this.#inTransaction = true;
      const [only] = results;
      return results.length === 1 && only !== undefined ? toPgResult(only) : results.map(toPgResult);
    } finally {
      // A failed COMMIT or ROLLBACK ends the transaction too.
      if (ENDS_TRANSACTION.test(text)) this.#inTransaction = false;
    }
  }
}

/**
 * The pool TypeORM creates: owns one PGlite instance (opened with the pool,
 * closed by `end()`, which `DataSource.destroy()` calls).
 */
export class PglitePool extends EventEmitter {
  /** The database once open; a failed start rejects every connect() with its error. */
  readonly #db: Promise<PGlite>;
  readonly #unclaimDataDir: () => void;
  readonly #session = new FifoLock();
  readonly #connectionTimeoutMillis: number;
  #ending: Promise<void> | null = null;
  #closed = false;

  constructor(dataDir: string, options: PoolOptions = {}) {
    super();
    // Claimed synchronously, so a directory in use fails `initialize()` before anything is loaded.
    this.#unclaimDataDir = claimDataDir(dataDir);
    this.#db = openPglite(dataDir);
    // Startup failures surface through connect(). A database that never
    // started needs no end(), so give its directory back here.
    this.#db.catch(() => this.#unclaimDataDir());
    this.#connectionTimeoutMillis = options.connectionTimeoutMillis ?? 0;
  }

  /** True once `end()` has closed the database (pg's `Pool#ended`). */
  get ended(): boolean {
    return this.#closed;
  }

  connect(): Promise<PgliteClient>;
  connect(callback: ConnectCallback): void;
  connect(callback?: ConnectCallback): Promise<PgliteClient> | void {
    const client = this.#lend();
    if (callback === undefined) return client;
    client.then(
      (lent) => callback(null, lent, (error?: unknown) => lent.release(error)),
      (error: Error) => callback(error),
    );
  }

  /** Lets the current holder finish (connects still queued fail), then closes PGlite. Idempotent. */
  end(): Promise<void>;
  end(callback: (error?: Error) => void): void;
  end(callback?: (error?: Error) => void): Promise<void> | void {
    this.#ending ??= this.#close();
    if (callback === undefined) return this.#ending;
    this.#ending.then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  async #lend(): Promise<PgliteClient> {
    if (this.#ending !== null) throw new Error('The embedded database pool has ended');
    const db = await this.#db;
    const releaseLock = await this.#session.acquire(this.#connectionTimeoutMillis);
    if (this.#ending !== null) {
      releaseLock();
      throw new Error('The embedded database pool has ended');
    }
    return new PgliteClient(db, releaseLock);
  }

  async #close(): Promise<void> {
    const releaseLock = await this.#session.acquire();
    try {
      // A database that failed to start has nothing to close (its directory was given back then).
      const db = await this.#db.catch(() => undefined);
      await db?.close();
    } finally {
      this.#closed = true;
      this.#unclaimDataDir();
      releaseLock();
    }
  }
}

/**
 * The `pg` stand-in for one PGlite data directory: pass it as the `driver`
 * option of a TypeORM `postgres` data source. Each pool TypeORM creates from
 * it opens that directory (`'memory://'` for a throwaway database).
 */
export function pglitePgDriver(dataDir: string): PgDriverModule {
  return {
    Pool: class extends PglitePool {
      constructor(options?: PoolOptions) {
        super(dataDir, options);
      }
    },
  };
}
