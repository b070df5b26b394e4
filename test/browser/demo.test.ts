/**
 * The demo in a real browser: Playwright (playwright-core) drives Debian's Chromium through the pass and
 * fail flows against the demo app started in this process, checks the gated `/restricted`, and checks that
 * nothing the page receives carries a relay token, relay secret, Privacy Pass, per-relay key or API key.
 *
 * The browser is not downloaded: CI installs `chromium` from Debian. Without it this suite fails loudly.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDemo } from '../../src/demo/start-demo.js';
import { ARTIFACTS_DIR, STEP_TIMEOUT_MS, launchChromium, newVisitor, openDemo, startIsolatedDemo, type Visitor } from './helpers.js';

describe('demo page in Chromium', () => {
  let browser: Browser;
  let demo: RunningDemo;
  const visitors: Visitor[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    demo = await startIsolatedDemo();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  async function visitor(): Promise<Visitor> {
    const created = await newVisitor(browser);
    visitors.push(created);
    return created;
  }

  /** Opens the page, verifies with the given outcome in the emulator's widget, waits for the result. */
  async function verify(page: Page, outcome: 'passed' | 'failed'): Promise<void> {
    await openDemo(page, demo.url);
    await page.locator('#verify').click();
    const panel = page.locator('#widget [data-persona-relay-emulator][data-state="ready"]');
    await panel.waitFor({ timeout: STEP_TIMEOUT_MS });
    if (outcome === 'passed') await page.screenshot({ path: `${ARTIFACTS_DIR}demo-widget.png`, fullPage: true });
    await panel.locator(`button[data-outcome="${outcome}"]`).click();
    await page.locator('#result[data-result]').waitFor({ timeout: STEP_TIMEOUT_MS });
  }

  it('pass flow: the result is shown, then /restricted answers 200', async () => {
    const { page, problems } = await visitor();

    const before = await page.goto(`${demo.url}/restricted`);
    expect(before?.status()).toBe(403);
    await expect.poll(() => page.locator('[data-access="denied"]').count()).toBe(1);

    await verify(page, 'passed');
    await expect.poll(() => page.locator('#result').getAttribute('data-result')).toBe('passed');
    expect(await page.locator('#result').innerText()).toContain('Passed');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('done');
    await page.screenshot({ path: `${ARTIFACTS_DIR}demo-passed.png`, fullPage: true });

    const [after] = await Promise.all([page.waitForNavigation(), page.locator('#restricted-link').click()]);
    expect(after?.status()).toBe(200);
    expect(await page.locator('[data-access="granted"]').innerText()).toContain('age_over18_verified');
    await page.screenshot({ path: `${ARTIFACTS_DIR}restricted-granted.png`, fullPage: true });

    // An API client (fetch, Accept */*) gets JSON from the same route.
    const api = await page.request.get(`${demo.url}/restricted`, { headers: { accept: 'application/json' } });
    expect(api.status()).toBe(200);
    expect(await api.json()).toMatchObject({ access: 'granted', claim: { claimType: 'age_over18_verified', result: 'passed' } });

    expect(problems).toEqual([]);
  });

  it('fail flow (a new visitor): "failed" is shown and /restricted stays 403', async () => {
    const { page, problems } = await visitor();

    await verify(page, 'failed');
    await expect.poll(() => page.locator('#result').getAttribute('data-result')).toBe('failed');
    expect(await page.locator('#result').innerText()).toContain('Failed');
    await page.screenshot({ path: `${ARTIFACTS_DIR}demo-failed.png`, fullPage: true });

    const [after] = await Promise.all([page.waitForNavigation(), page.locator('#restricted-link').click()]);
    expect(after?.status()).toBe(403);
    await expect.poll(() => page.locator('[data-access="denied"]').count()).toBe(1);

    // API clients get the guard's JSON rather than the page.
    const api = await page.request.get(`${demo.url}/restricted`, { headers: { accept: 'application/json' } });
    expect(api.status()).toBe(403);
    expect(await api.json()).toMatchObject({ code: 'ERR_RELAY_CLAIM_REQUIRED', claimType: 'age_over18_verified' });

    // This visitor has a session (cookie) and a claim, just not a passed one.
    const claims = await page.request.get(`${demo.url}/relay/claims`);
    expect(await claims.json()).toEqual([expect.objectContaining({ claimType: 'age_over18_verified', result: 'failed' })]);

    expect(problems).toEqual([]);
  });

  it('the page never receives a relay token, relay secret, Privacy Pass, per-relay key or API key', async () => {
    expect(visitors.length, 'runs after the two flows').toBe(2);
    const secrets = await serverSideSecrets(demo.emulatorUrl!);
    // Both flows redeemed a pass, so the lists cannot be empty (which would make this test vacuous).
    expect(secrets.relayTokens.length).toBeGreaterThanOrEqual(2);
    expect(secrets.relaySecrets.length).toBeGreaterThanOrEqual(2);
    expect(secrets.passes.length).toBeGreaterThanOrEqual(2);
    expect(secrets.publicKeys.length).toBeGreaterThanOrEqual(2);

    const responses = (await Promise.all(visitors.map((v) => v.responses()))).flat();
    // The capture works: the session answer (with its access token, which the page may see) is there.
    expect(responses.some((r) => r.url.endsWith('/relay/sessions') && r.status === 201 && r.body.includes('accessToken'))).toBe(true);

    const needles = [
      ...secrets.relayTokens.map((value) => ({ what: 'relay token', value })),
      ...secrets.relaySecrets.map((value) => ({ what: 'relay secret', value })),
      ...secrets.passes.map((value) => ({ what: 'Privacy Pass', value })),
      ...secrets.publicKeys.map((value) => ({ what: 'per-relay public key', value })),
      { what: 'API key', value: secrets.apiKey },
    ];
    const leaks: string[] = [];
    for (const response of responses) {
      const text = `${response.headers}\n${response.body}`;
      for (const needle of needles) if (text.includes(needle.value)) leaks.push(`${needle.what} in ${response.url}`);
      // Any relay token at all, not only the ones logged above.
      if (/relay_[A-Za-z0-9]{27}/.test(text)) leaks.push(`relay token pattern in ${response.url}`);
    }
    expect(leaks).toEqual([]);
  });

  // Last: it moves the emulator's clock past the relay's 30 minutes.
  it('expiry: a relay session that ran out shows a clear message and a way to start again', async () => {
    const { page, problems } = await visitor();
    await openDemo(page, demo.url);
    await page.locator('#verify').click();
    const panel = page.locator('#widget [data-persona-relay-emulator][data-state="ready"]');
    await panel.waitFor({ timeout: STEP_TIMEOUT_MS });

    const advanced = await fetch(`${demo.emulatorUrl}/_emulator/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 31 * 60 }),
    });
    expect(advanced.status).toBe(200);
    await panel.locator('button[data-outcome="passed"]').click();

    await page.locator('#result[data-result]').waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.locator('#result').getAttribute('data-result')).toBe('error');
    expect(await page.locator('#result').innerText()).toContain('expired');
    expect(await page.locator('#verify').isEnabled()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS_DIR}demo-expired.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});

/** One entry of the emulator's request log. */
interface LoggedRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/**
 * What the server sent to the emulator and must keep to itself, read from the emulator's request log:
 * relay tokens (in redemption paths), relay secrets and Privacy Passes (redemption headers), per-relay
 * public keys (relay creation bodies) and the API key (issuance).
 */
async function serverSideSecrets(emulatorUrl: string) {
  const log = (await (await fetch(`${emulatorUrl}/_emulator/requests`)).json()) as LoggedRequest[];
  const relayTokens = new Set<string>();
  const relaySecrets = new Set<string>();
  const passes = new Set<string>();
  const publicKeys = new Set<string>();
  let apiKey = '';
  for (const entry of log) {
    const redemption = /^\/api\/privacy\/v1\/relays\/([^/]+)\/generate-claim$/.exec(entry.path);
    if (redemption) relayTokens.add(decodeURIComponent(redemption[1]!));
    const secret = entry.headers['persona-relay-secret'];
    if (secret) relaySecrets.add(secret);
    const pass = /^PrivateToken\s+token="?([^",\s]+)/i.exec(entry.headers.authorization ?? '');
    if (pass) passes.add(pass[1]!);
    const bearer = /^Bearer\s+(\S+)/i.exec(entry.headers.authorization ?? '');
    if (bearer) apiKey = bearer[1]!;
    const pem = (entry.body as Record<string, unknown> | null)?.['encryption-key-pem'];
    // A PEM's second base64 line (all modulus bytes) is unique to the key and survives JSON escaping of the line breaks.
    if (typeof pem === 'string') publicKeys.add(pem.split('\n')[2] ?? pem);
  }
  expect(apiKey, 'issuance appears in the request log').not.toBe('');
  return { relayTokens: [...relayTokens], relaySecrets: [...relaySecrets], passes: [...passes], publicKeys: [...publicKeys], apiKey };
}
