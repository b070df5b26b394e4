/**
 * The hosted flow, as users of real Persona see it: the verification opens in a new tab through a link
 * without `Referer`, and the user comes back and presses "I've finished". Run against the emulator's
 * hosted page, which refuses requests with a `Referer` just as Persona's does.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDemo } from '../../src/demo/start-demo.js';
import { ARTIFACTS_DIR, STEP_TIMEOUT_MS, launchChromium, newVisitor, openDemo, startIsolatedDemo } from './helpers.js';

describe('demo page with the hosted flow', () => {
  let browser: Browser;
  let demo: RunningDemo;

  beforeAll(async () => {
    browser = await launchChromium();
    demo = await startIsolatedDemo({ hostedFlow: true });
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('new tab without Referer, "not ready yet" before finishing, the result after', async () => {
    const { context, page, problems } = await newVisitor(browser, [
      [409, '/claim'], // "I've finished" pressed too early, on purpose
      [404, '/favicon.ico'], // the emulator's hosted page has none
    ]);
    await openDemo(page, demo.url);
    await page.locator('#verify').click();

    const link = page.locator('#hosted-link');
    await link.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('href')).toMatch(new RegExp(`^${demo.emulatorUrl}/relay\\?relay-session-access-token=`));

    // Too early: the server has no result to read yet and the page says so.
    await page.locator('#finished').click();
    await page.locator('#result[data-result="error"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await page.locator('#result').innerText()).toContain('No result yet');
    expect(await page.locator('#hosted').isVisible()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS_DIR}demo-hosted-not-ready.png`, fullPage: true });

    const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
    // The emulator answers 400 instead of the panel when a Referer is sent.
    const panel = tab.locator('[data-persona-relay-emulator][data-state="ready"]');
    await panel.waitFor({ timeout: STEP_TIMEOUT_MS });
    await panel.locator('button[data-outcome="passed"]').click();
    await tab.locator('[data-persona-relay-emulator][data-state="completed"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await tab.close();

    await page.locator('#finished').click();
    await page.locator('#result[data-result="passed"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.screenshot({ path: `${ARTIFACTS_DIR}demo-hosted-passed.png`, fullPage: true });

    const restricted = await page.request.get(`${demo.url}/restricted`, { headers: { accept: 'application/json' } });
    expect(restricted.status()).toBe(200);
    expect(problems).toEqual([]);
  });
});
