/**
 * Shared by the browser tests: Debian's Chromium through playwright-core, a fresh visitor per browser context
 * with every response and console error recorded, and the demo started on a free port with the developer's
 * relay configuration kept out of it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { startDemo, type RunningDemo, type StartDemoOptions } from '../../src/demo/start-demo.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = fileURLToPath(new URL('./artifacts/', import.meta.url));
/** Upper bound for one step in the page (session creation, issuance and redemption included); not a timing assertion. */
export const STEP_TIMEOUT_MS = 60_000;

/** A failed load Chromium logs as a console error but a test provokes on purpose: status and URL path suffix. */
export type ExpectedLoadError = readonly [status: number, pathSuffix: string];

/** 403 from /restricted without a passed claim, and from the emulator refusing to complete an expired relay. */
const ALWAYS_EXPECTED: readonly ExpectedLoadError[] = [
  [403, '/restricted'],
  [403, '/_emulator/widget/complete'],
];
/** Variables that would point the demo at another Persona or database; the browser tests run it self-contained. */
const CONFIG_VARIABLE = /^(PERSONA_|RELAY_|DATABASE_URL$|PORT$)/;

/** One response the page received, captured as text. */
export interface CapturedResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** A browser context (no cookies: a new anonymous visitor) and what it saw. */
export interface Visitor {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught exceptions of any of the context's pages, CSP violations included. */
  readonly problems: string[];
  /** Every response any page of the context received. */
  responses(): Promise<CapturedResponse[]>;
}

/** Launches Chromium; fails with instructions when it is not installed (never skips). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}. Install Debian's package (apt-get install chromium); ` +
        'playwright-core cannot download a browser here, and the browser tests must not pass without one.',
    );
  }
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  // launch() gives the browser a fresh, empty profile directory of its own, removed on close.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Starts the demo in this process on a free port, with the relay variables of the environment removed
 * (the vitest worker's copy) so that it runs with the in-process emulator and in-memory PGlite.
 */
export async function startIsolatedDemo(options: Omit<StartDemoOptions, 'port'> = {}): Promise<RunningDemo> {
  for (const name of Object.keys(process.env)) if (CONFIG_VARIABLE.test(name)) delete process.env[name];
  return startDemo({ port: 0, logger: ['warn', 'error', 'fatal'], ...options });
}

/** Opens a new browser context and records what its pages receive and complain about. */
export async function newVisitor(browser: Browser, expectedLoadErrors: readonly ExpectedLoadError[] = []): Promise<Visitor> {
  const expected = [...ALWAYS_EXPECTED, ...expectedLoadErrors];
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const problems: string[] = [];
  const pending: Promise<CapturedResponse>[] = [];
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const url = message.location().url;
      const path = URL.canParse(url) ? new URL(url).pathname : url;
      const provoked = expected.some(([status, suffix]) => path.endsWith(suffix) && message.text().includes(`status of ${status}`));
      if (!provoked) problems.push(`console: ${message.text()} (${url})`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => pending.push(capture(response)));
  };
  context.on('page', watch);
  const page = await context.newPage();
  return { context, page, problems, responses: () => Promise.all(pending) };
}

/** Waits until the page has loaded its configuration and the Verify button is usable. */
export async function openDemo(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('#status[data-state="idle"]').waitFor({ timeout: STEP_TIMEOUT_MS });
}

async function capture(response: Response): Promise<CapturedResponse> {
  const headers = await response.allHeaders().catch(() => ({}));
  // Redirects and aborted loads have no body.
  const body = await response.text().catch(() => '');
  return {
    url: response.url(),
    status: response.status(),
    headers: Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    body,
  };
}
