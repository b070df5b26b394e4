/**
 * The pg stand-in over PGlite: one session, handed to one holder at a time.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type Logger } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATA_DIR_LOCK_FILE } from '../../../src/typeorm/embedded/data-dir-claims.js';
import { createRelayDataSource, embeddedDataSourceOptions } from '../../../src/typeorm/index.js';

/** Records every statement in the order the database runs it, tagged by who ran it. */
class StatementLog implements Logger {
  readonly statements: string[] = [];
  logQuery(query: string, parameters?: unknown[]): void {
    const tag = typeof parameters?.[0] === 'string' && parameters[0].startsWith('tx-') ? parameters[0] : '';
    this.statements.push(`${tag} ${query}`.trim());
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

describe('PGlite behind the pg driver facade', () => {
  const log = new StatementLog();
  let dataSource: DataSource;

  beforeAll(async () => {
    // A logger of our own, to see the order statements reach the database.
    dataSource = new DataSource({ ...embeddedDataSourceOptions({ entities: [] }), logger: log, logging: true });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE probe (owner text NOT NULL, at timestamptz, doc jsonb, big int8)');
  });
  afterAll(async () => {
    await dataSource?.destroy();
  });
  beforeEach(async () => {
    await dataSource.query('DELETE FROM probe');
  });

  it('runs a second transaction only after the first one ended, so a rollback loses only its own writes', async () => {
    log.statements.length = 0;
    const a = dataSource.createQueryRunner();
    await a.startTransaction();
    await a.query('INSERT INTO probe (owner) VALUES ($1)', ['tx-a']);

    // B asks while A's transaction is open: it must wait for the whole of A.
    const b = dataSource.transaction((manager) => manager.query('INSERT INTO probe (owner) VALUES ($1)', ['tx-b']));
    await sleep(100);
    expect(log.statements).toEqual(['START TRANSACTION', 'tx-a INSERT INTO probe (owner) VALUES ($1)']);

    await a.rollbackTransaction();
    await a.release();
    await b;

    expect(log.statements).toEqual([
      'START TRANSACTION',
      'tx-a INSERT INTO probe (owner) VALUES ($1)',
      'ROLLBACK',
      'START TRANSACTION',
      'tx-b INSERT INTO probe (owner) VALUES ($1)',
      'COMMIT',
    ]);
    expect(await dataSource.query('SELECT owner FROM probe')).toEqual([{ owner: 'tx-b' }]);
  });

  it('rolls back a transaction its holder released without ending it', async () => {
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query('INSERT INTO probe (owner) VALUES ($1)', ['abandoned']);
    await runner.release();
    expect(await dataSource.query('SELECT owner FROM probe')).toEqual([]);
  });

  it('binds parameters and returns timestamptz as Date, jsonb as JSON, int8 as a string (as pg does)', async () => {
    const at = new Date('2030-01-01T12:34:56.789Z');
    const doc = { steps: [{ method: 'selfie', result: 'passed' }], quote: "it's" };
    await dataSource.query('INSERT INTO probe (owner, at, doc, big) VALUES ($1, $2, $3, $4)', [
      'types',
      at,
      JSON.stringify(doc),
      '9007199254740993',
    ]);
    const [row] = await dataSource.query('SELECT at, doc, big FROM probe WHERE owner = $1', ['types']);
    expect(row).toEqual({ at, doc, big: '9007199254740993' });
    expect(row.at).toBeInstanceOf(Date);
  });

  it('reports the affected rows of UPDATE … RETURNING like pg, and runs multi-statement texts without parameters', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query("INSERT INTO probe (owner) VALUES ('x'); INSERT INTO probe (owner) VALUES ('y')");
      const result = await runner.query("UPDATE probe SET owner = owner || '!' RETURNING owner", [], true);
      expect(result.affected).toBe(2);
      expect(result.records.map((r: { owner: string }) => r.owner).sort()).toEqual(['x!', 'y!']);
    } finally {
      await runner.release();
    }
  });

  it('surfaces database errors with their SQLSTATE, and keeps working after them', async () => {
    await expect(dataSource.query('SELECT * FROM no_such_table')).rejects.toMatchObject({
      driverError: { code: '42P01' },
    });
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query('INSERT INTO probe (owner) VALUES ($1)', ['doomed']);
        await manager.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ driverError: { code: '22012' } });
    expect(await dataSource.query('SELECT owner FROM probe')).toEqual([]);
  });
});

describe('PGlite data directory', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'relay-pglite-')), 'data');
  });
  afterAll(async () => {
    await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('keeps data across data sources, refuses a second open while its lock file is there, and is released by destroy()', async () => {
    const first = await createRelayDataSource({ dataDir }).initialize();
    await first.query(
      `INSERT INTO persona_relay_relay_secret
         (id, subject, claim_type, environment, relay_token_sealed, relay_secret_sealed, state, created_at, expires_at)
       VALUES ('kept', 's', 'c', 'sandbox', 't', 's', 'open', now(), now())`,
    );
    await expect(createRelayDataSource({ dataDir }).initialize()).rejects.toThrow(/already open in this process/);
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(true);
    const pool = (first.driver as unknown as { master: { ended: boolean } }).master;
    expect(pool.ended).toBe(false);
    await first.destroy();
    expect(pool.ended).toBe(true);
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);

    const second = await createRelayDataSource({ dataDir }).initialize();
    try {
      expect(await second.query('SELECT id FROM persona_relay_relay_secret')).toEqual([{ id: 'kept' }]);
    } finally {
      await second.destroy();
    }
  });
});
