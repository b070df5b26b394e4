/**
 * The chaos run (issue: reliability suite). Two app instances on one
 * PostgreSQL, the emulator injecting random faults into every endpoint, the
 * instances killed with SIGKILL at random moments and restarted, while many
 * subjects create sessions, complete them (pass and fail) and redeem with
 * duplicate and concurrent claim calls. The report compares what the
 * subjects received with the emulator's counters and the database.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { capturedOutput, startProcess, type ManagedProcess } from './processes.js';

export interface ChaosConfig {
  /** PostgreSQL URL; the run uses a fresh schema in it and drops it afterwards. */
  readonly databaseUrl: string;
  readonly sessions: number;
  /** Subjects in flight at once. */
  readonly concurrency: number;
  /** Kill and restart instances at random moments. */
  readonly kills: boolean;
  /** Share of completions that fail (the rest pass). */
  readonly failShare: number;
  /** Log progress to stderr. */
  readonly verbose: boolean;
}

export interface ChaosReport {
  readonly sessions: number;
  readonly sessionCreationGaveUp: number;
  readonly claimsExpected: number;
  readonly claimsDelivered: number;
  readonly passedClaimsDelivered: number;
  readonly lostClaims: number;
  readonly wrongAnswers: number;
  readonly inconsistentDuplicateAnswers: number;
  readonly passesBilled: number;
  readonly passesRedeemed: number;
  readonly passesRefunded: number;
  readonly passesWasted: number;
  readonly passesUnused: number;
  readonly passesUnusable: number;
  readonly doubleSpendAttempts: number;
  readonly recordsUnknown: number;
  readonly billedPerPassedClaim: number;
  readonly faultsInjected: number;
  readonly instanceKills: number;
  readonly secretsChecked: number;
  readonly secretHits: readonly string[];
  readonly seconds: number;
}

const API_KEY = 'persona_production_chaos';
const INSTANCE_SCRIPT = fileURLToPath(new URL('./instance.ts', import.meta.url));
const EMULATOR_SCRIPT = fileURLToPath(new URL('../../src/emulator/cli.ts', import.meta.url));
const ENDPOINTS = ['relays', 'challenge', 'privacy-passes', 'generate-claim'] as const;

const random = (min: number, max: number) => min + Math.random() * (max - min);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

interface Answer {
  readonly status: number;
  readonly body: unknown;
  /** `name=value` of a cookie the answer set, if any. */
  readonly cookie?: string;
}

/** Runs the chaos scenario and returns its figures. */
export async function runChaos(config: ChaosConfig): Promise<ChaosReport> {
  const started = Date.now();
  const log = (message: string) => config.verbose && process.stderr.write(`chaos: ${message}\n`);
  const schema = `relay_chaos_${randomBytes(5).toString('hex')}`;
  await adminQuery(config.databaseUrl, `CREATE SCHEMA "${schema}"`);
  const schemaUrl = new URL(config.databaseUrl);
  schemaUrl.searchParams.set('options', `-c search_path=${schema}`);

  // The emulator is Persona: its own logs name relay tokens, so only the app instances' output is scanned.
  const emulator = await startProcess(EMULATOR_SCRIPT, ['--port', '0', '--api-key', API_KEY, '--rate-limit', '0'], {}, false);
  const instanceEnv = {
    DATABASE_URL: schemaUrl.toString(),
    PERSONA_API_KEY: API_KEY,
    PERSONA_API_URL: emulator.url,
    RELAY_STORAGE_KEY: randomBytes(32).toString('base64'),
    RELAY_COOKIE_SECRET: randomBytes(32).toString('base64url'),
    NODE_ENV: 'test',
  };
  const instances: Array<ManagedProcess | undefined> = [];
  const ports: number[] = [];
  const startInstance = async (index: number) => {
    const instance = await startProcess(INSTANCE_SCRIPT, [], {
      ...instanceEnv,
      INSTANCE_NAME: `chaos-${index}`,
      PORT: String(ports[index] ?? 0),
    }, true);
    ports[index] = Number(new URL(instance.url).port);
    instances[index] = instance;
  };
  // One at a time: the first runs the migrations.
  await startInstance(0);
  await startInstance(1);

  const secrets = new Set<string>([API_KEY, instanceEnv.RELAY_STORAGE_KEY, instanceEnv.RELAY_COOKIE_SECRET]);
  const responsesSeen: string[] = [];
  let faultsInjected = 0;
  let instanceKills = 0;
  let chaosOn = true;

  const call = async (method: string, path: string, cookie: string | undefined, body?: unknown): Promise<Answer | undefined> => {
    const live = instances.filter((i): i is ManagedProcess => i !== undefined);
    if (live.length === 0) return undefined;
    try {
      const response = await fetch(`${pick(live).url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      const setCookie = response.headers.get('set-cookie') ?? '';
      responsesSeen.push(text, setCookie);
      return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, cookie: setCookie.split(';')[0] || undefined };
    } catch {
      return undefined; // the instance died mid-request, or the connection broke: the subject tries again
    }
  };

  // Background: random faults on every endpoint.
  const faults = (async () => {
    while (chaosOn) {
      await sleep(random(150, 450));
      const endpoint = pick(ENDPOINTS);
      const mode = pick(['status', 'status', 'drop-after-commit', 'delay'] as const);
      const fault =
        mode === 'status'
          ? { endpoint, mode, status: pick(endpoint === 'generate-claim' ? [500, 502, 503, 504, 429, 409, 403] : [500, 502, 503, 504, 429, 409]) }
          : mode === 'delay'
            ? { endpoint, mode, delayMs: pick([300, 2_000]) }
            : { endpoint, mode };
      await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) });
      faultsInjected += 1;
    }
  })();

  // Background: SIGKILL an instance at random moments, restart it shortly after.
  const killer = (async () => {
    // The first kill comes early: a short run on a quiet machine can otherwise finish before any kill.
    for (let round = 0; chaosOn && config.kills; round += 1) {
      await sleep(round === 0 ? random(300, 1_200) : random(1_500, 5_000));
      if (!chaosOn) break;
      const index = Math.floor(Math.random() * 2);
      const victim = instances[index];
      if (!victim) continue;
      instances[index] = undefined;
      victim.child.kill('SIGKILL');
      instanceKills += 1;
      await victim.exited;
      await sleep(random(200, 1_500));
      await startInstance(index);
    }
  })();

  // Background: collect every relay token, relay secret and pass the emulator sees, for the secrets scan.
  const collector = (async () => {
    while (chaosOn) {
      await collectSecrets(emulator.url, secrets);
      await sleep(500);
    }
  })();

  const expected = new Map<string, { outcome: 'passed' | 'failed'; cookie: string }>();
  const delivered = new Map<string, string>();
  let inconsistent = 0;
  let creationGaveUp = 0;

  /** Claims until a final 200 (or a deadline), with 1–3 concurrent duplicate calls per round. */
  const claimUntilDone = async (sessionId: string, cookie: string, deadline: number) => {
    while (Date.now() < deadline && !delivered.has(sessionId)) {
      const answers = await Promise.all(
        Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => call('POST', `/relay/sessions/${sessionId}/claim`, cookie, {})),
      );
      const finals = answers.filter((a): a is Answer => a?.status === 200);
      if (finals.length > 0) {
        if (new Set(finals.map((a) => (a.body as { result: string }).result)).size > 1) inconsistent += 1;
        delivered.set(sessionId, (finals[0]!.body as { result: string }).result);
        return;
      }
      await sleep(random(200, 800));
    }
  };

  const subject = async (n: number) => {
    let cookie: string | undefined;
    let created: { sessionId: string; accessToken: string } | undefined;
    for (let attempt = 0; attempt < 40 && !created; attempt += 1) {
      const answer = await call('POST', '/relay/sessions', cookie, {});
      cookie ??= answer?.cookie;
      if (answer?.status === 201) created = answer.body as { sessionId: string; accessToken: string };
      else await sleep(random(100, 500));
    }
    if (!created || !cookie) {
      creationGaveUp += 1;
      return;
    }
    const outcome = Math.random() < config.failShare ? 'failed' : 'passed';
    // The person finishes in Persona's UI (the emulator's control API is not subject to faults).
    await fetch(`${emulator.url}/_emulator/widget/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessToken: created.accessToken, outcome }),
    });
    expected.set(created.sessionId, { outcome, cookie });
    await claimUntilDone(created.sessionId, cookie, Date.now() + 30_000);
    if (n % 25 === 0) log(`${n} subjects done, ${delivered.size} claims delivered`);
  };

  let nextSubject = 0;
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (nextSubject < config.sessions) {
        nextSubject += 1;
        await subject(nextSubject);
      }
    }),
  );

  // Calm down: no more faults or kills; both instances up; recovery finishes what crashes left PENDING.
  chaosOn = false;
  await Promise.all([faults, killer, collector]);
  // Faults still queued at the emulator hit the next requests: the settling phase shrugs them off too.
  for (let index = 0; index < 2; index += 1) if (!instances[index]) await startInstance(index);
  log(`chaos over after ${Math.round((Date.now() - started) / 1000)} s; settling ${expected.size - delivered.size} undelivered claims`);
  const settleDeadline = Date.now() + 60_000;
  await Promise.all(
    [...expected].filter(([id]) => !delivered.has(id)).map(([id, { cookie }]) => claimUntilDone(id, cookie, settleDeadline)),
  );
  await collectSecrets(emulator.url, secrets);

  const state = (await (await fetch(`${emulator.url}/_emulator/state`)).json()) as Record<string, number>;
  const database = await new DataSource({ type: 'postgres', url: schemaUrl.toString() }).initialize();
  const count = async (table: string, where: string) =>
    Number((await database.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`))[0].n);
  const passes = {
    wasted: await count('persona_relay_pre_issued_token', "state = 'EXPIRED'"),
    unused: await count('persona_relay_pre_issued_token', "state = 'AVAILABLE'"),
    unusable: await count('persona_relay_pre_issued_token', "state = 'UNUSABLE'"),
  };
  const unknown = await count('persona_relay_idempotency_record', "state = 'UNKNOWN'");
  const storedClaims = new Set<string>(
    (await database.query('SELECT session_id FROM persona_relay_verified_claim')).map((row: { session_id: string }) => row.session_id),
  );
  const dump = JSON.stringify(
    await Promise.all(
      ['persona_relay_relay_secret', 'persona_relay_pre_issued_token', 'persona_relay_idempotency_record', 'persona_relay_verified_claim'].map(
        (table) => database.query(`SELECT * FROM ${table}`),
      ),
    ),
  );
  await database.destroy();

  await Promise.all(instances.map(async (instance) => instance && (instance.child.kill('SIGTERM'), instance.exited)));
  emulator.child.kill('SIGTERM');
  await emulator.exited;
  await adminQuery(config.databaseUrl, `DROP SCHEMA "${schema}" CASCADE`);

  const lost = [...expected.keys()].filter((id) => !delivered.has(id) && !storedClaims.has(id)).length;
  const wrong = [...expected].filter(([id, { outcome }]) => delivered.has(id) && delivered.get(id) !== outcome).length;
  const passedDelivered = [...delivered.values()].filter((result) => result === 'passed').length;
  const haystacks = { 'app logs': capturedOutput.join(''), 'database dump': dump, 'browser-side responses': responsesSeen.join('\n') };
  // Only secrets long enough to be meaningful (relay tokens, secrets, passes, keys) are searched for.
  const secretHits = [...secrets]
    .filter((secret) => secret.length >= 16)
    .flatMap((secret) => Object.entries(haystacks).filter(([, text]) => text.includes(secret)).map(([where]) => `${where}: ${describeSecret(secret)}`));

  return {
    sessions: expected.size,
    sessionCreationGaveUp: creationGaveUp,
    claimsExpected: expected.size,
    claimsDelivered: delivered.size,
    passedClaimsDelivered: passedDelivered,
    lostClaims: lost,
    wrongAnswers: wrong,
    inconsistentDuplicateAnswers: inconsistent,
    passesBilled: state.passesIssued ?? 0,
    passesRedeemed: state.passesRedeemed ?? 0,
    passesRefunded: [...delivered.values()].filter((result) => result === 'failed').length,
    passesWasted: passes.wasted,
    passesUnused: passes.unused,
    passesUnusable: passes.unusable,
    doubleSpendAttempts: state.doubleSpendRejected ?? 0,
    recordsUnknown: unknown,
    billedPerPassedClaim: passedDelivered === 0 ? 0 : (state.passesIssued ?? 0) / passedDelivered,
    faultsInjected,
    instanceKills,
    secretsChecked: secrets.size,
    secretHits,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

/** Adds the relay tokens, relay secrets and passes in the emulator's request log to `secrets`. */
async function collectSecrets(emulatorUrl: string, secrets: Set<string>): Promise<void> {
  const entries = (await (await fetch(`${emulatorUrl}/_emulator/requests`)).json()) as Array<{
    path: string;
    headers: Record<string, string>;
  }>;
  for (const entry of entries) {
    const relayToken = /\/relays\/([^/]+)\/generate-claim$/.exec(entry.path)?.[1];
    if (relayToken) secrets.add(decodeURIComponent(relayToken));
    const secret = entry.headers['persona-relay-secret'];
    if (secret) secrets.add(secret);
    const pass = /^PrivateToken token=(\S+)$/i.exec(entry.headers.authorization ?? '')?.[1];
    if (pass) secrets.add(pass);
  }
}

function describeSecret(secret: string): string {
  return `${secret.slice(0, 6)}… (${secret.length} chars)`;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const admin = await new DataSource({ type: 'postgres', url }).initialize();
  try {
    await admin.query(sql);
  } finally {
    await admin.destroy();
  }
}
