/**
 * How many SQL statements a session creation and a redemption send on
 * PGlite, counted the way TypeORM logs them (a transaction's BEGIN and
 * COMMIT included). Counts, not timings: each statement costs a round trip
 * (on PGlite, CPU of this process), so a regression here fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { createTypeOrmStorage, relayDataSourceOptions } from '../../../src/typeorm/index.js';
import { StatementCounter } from '../../../bench/database.js';
import { TestEmulator } from '../../support/emulator.js';
import { createTestRelay, type TestRelay } from '../../support/relay.js';

let emulator: TestEmulator;
let dataSource: DataSource;
let relay: TestRelay;
const counter = new StatementCounter();

beforeAll(async () => {
  emulator = await TestEmulator.start();
  dataSource = await new DataSource({
    ...relayDataSourceOptions({ dataDir: 'memory://' }),
    logging: ['query'],
    logger: counter,
  }).initialize();
  relay = createTestRelay({ apiUrl: emulator.url, storage: createTypeOrmStorage(dataSource), options: { encryption: 'none' } });
});
afterAll(async () => {
  await relay?.close();
  await dataSource?.destroy();
  await emulator?.close();
});

/** Statements `step` sends. */
async function statementsOf<T>(step: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const before = counter.count;
  const result = await step();
  return { result, statements: counter.count - before };
}

describe('SQL statements per flow on PGlite', () => {
  it('creates a session in 5, issues its pass in 2 and redeems it in 3; a repeated redemption reads 2', async () => {
    const { services } = relay;
    // The slot ledger (BEGIN, advisory lock, forget + count + take, COMMIT), then the session insert.
    const created = await statementsOf(() => services.sessions.create('alice'));
    expect(created.statements).toBe(5);
    // Background issuance: no refunded pass to adopt (1), then the pass insert.
    expect((await statementsOf(() => services.drain())).statements).toBe(2);

    const { sessionId, accessToken } = created.result;
    // An open session: its view needs no claim read.
    expect((await statementsOf(() => services.sessions.get('alice', sessionId))).statements).toBe(1);
    await emulator.complete(accessToken);
    // Session read, begin (reserve + record), succeed (record, pass, session, claim).
    const redeemed = await statementsOf(() => services.claims.redeem('alice', sessionId));
    expect(redeemed.result.result).toBe('passed');
    expect(redeemed.statements).toBe(3);
    // Session read and the stored claim.
    expect((await statementsOf(() => services.claims.redeem('alice', sessionId))).statements).toBe(2);
    expect((await statementsOf(() => services.sessions.get('alice', sessionId))).statements).toBe(2);
  });
});
