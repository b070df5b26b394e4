/**
 * The demo's `GET /metrics`: after one verification through the demo's own
 * routes, Prometheus's text format shows the relay's counters, the Persona
 * request histogram and the pool gauge, and nothing about the visitor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../../src/demo/start-demo.js';

let demo: RunningDemo;

beforeAll(async () => {
  // The in-process emulator and in-memory PGlite, whatever the worker's environment says.
  for (const name of Object.keys(process.env)) if (/^(RELAY_|PERSONA_|DATABASE_URL$)/.test(name)) delete process.env[name];
  // The demo starts with an empty key reserve; on a loaded machine its first key may take longer than the default wait.
  process.env.RELAY_KEY_WAIT_MS = '60000';
  demo = await startDemo({ port: 0, logger: false });
});

afterAll(async () => {
  await demo?.close();
});

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The value of the sample named `name` whose labels include every one of `labels`; undefined when none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) return Number(match[3]);
  }
  return undefined;
}

describe('demo · GET /metrics', () => {
  it('shows the counters of one verification in Prometheus text format, without the visitor', async () => {
    const created = await postJson(`${demo.url}/relay/sessions`, {});
    expect(created.status).toBe(201);
    const cookie = created.headers.get('set-cookie')!.split(';')[0]!;
    const session = (await created.json()) as { sessionId: string; accessToken: string; claimType: string };
    const completed = await postJson(`${demo.emulatorUrl}/_emulator/widget/complete`, { accessToken: session.accessToken, outcome: 'passed' });
    expect(completed.status).toBe(200);
    const claim = await postJson(`${demo.url}/relay/sessions/${session.sessionId}/claim`, {}, { cookie });
    expect(claim.status).toBe(200);

    const scraped = await fetch(`${demo.url}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scraped.text();
    const kind = { claim_type: session.claimType };
    expect(sample(text, 'persona_relay_passes_bought_total', kind)).toBe(1);
    expect(sample(text, 'persona_relay_passes_redeemed_total', kind)).toBe(1);
    expect(sample(text, 'persona_relay_redemptions_total', { ...kind, outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'persona_relay_persona_request_duration_count', { operation: 'generate-claim', outcome: 'success' })).toBe(1);
    expect(sample(text, 'persona_relay_passes_available', kind)).toBe(0);
    expect(text).toMatch(/^# TYPE persona_relay_persona_request_duration histogram$/m);
    for (const secret of [session.sessionId, session.accessToken, cookie.split('=')[1]!]) expect(text).not.toContain(secret);
  });
});
