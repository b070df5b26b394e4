/**
 * The widget stand-in and hosted page. The script runs here in a `node:vm` context with a minimal
 * DOM and the real `fetch`; a real-browser test lives elsewhere.
 */
import { request as httpRequest } from 'node:http';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { PRODUCTION_KEY, call, control, createRelay, sharedSigningKey } from './helpers.js';

/** Just enough of an element for the widget: attributes, children, click listeners. */
class FakeElement {
  readonly attributes = new Map<string, string>();
  readonly children: FakeElement[] = [];
  parentNode: FakeElement | null = null;
  textContent = '';
  disabled = false;
  private readonly listeners: (() => void)[] = [];

  constructor(readonly tagName: string) {}

  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  appendChild(child: FakeElement): FakeElement {
    child.parentNode = this;
    this.children.push(child);
    return child;
  }
  removeChild(child: FakeElement): FakeElement {
    this.children.splice(this.children.indexOf(child), 1);
    child.parentNode = null;
    return child;
  }
  addEventListener(type: string, listener: () => void): void {
    if (type === 'click') this.listeners.push(listener);
  }
  click(): void {
    if (!this.disabled) for (const listener of this.listeners) listener();
  }
}

type RelayConstructor = new (container: unknown, options: Record<string, unknown>) => { destroy(): void };

let emulator: RunningEmulator;
let script: string;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [PRODUCTION_KEY], signingKeyPem: sharedSigningKey() });
  const response = await fetch(`${emulator.url}/widget.js`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  script = await response.text();
});
afterAll(() => emulator.close());

/** Loads `/widget.js` into a fresh page whose only element is `#root`. */
function loadWidget(): { Relay: RelayConstructor; root: FakeElement } {
  const root = new FakeElement('div');
  const window: Record<string, unknown> = {
    document: {
      currentScript: { src: `${emulator.url}/widget.js` },
      querySelector: (selector: string) => (selector === '#root' ? root : null),
      createElement: (tagName: string) => new FakeElement(tagName),
    },
    location: { origin: 'http://page.invalid' },
    fetch,
    URL,
    JSON,
  };
  window.window = window;
  runInNewContext(script, window);
  return { Relay: window.Relay as RelayConstructor, root };
}

function settled(callbacks: Record<string, unknown[]>): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (Object.values(callbacks).some((calls) => calls.length > 0) ? resolve() : setTimeout(poll, 5));
    poll();
  });
}

function recordingCallbacks() {
  const calls: Record<string, unknown[]> = { onComplete: [], onError: [], onExpire: [] };
  const options = {
    onComplete: (...args: unknown[]) => calls.onComplete!.push(args),
    onError: (...args: unknown[]) => calls.onError!.push(args),
    onExpire: (...args: unknown[]) => calls.onExpire!.push(args),
  };
  return { calls, options };
}

describe('/widget.js', () => {
  it('defines window.Relay with the documented constructor contract', () => {
    const { Relay, root } = loadWidget();
    expect(() => new Relay('#missing', { accessToken: 'x' })).toThrow(/container/);
    expect(() => new Relay('#root', {})).toThrow(/accessToken/);
    const widget = new Relay(root, { accessToken: 'x', theme: 'dark' });
    const [panel] = root.children;
    expect(panel!.getAttribute('data-persona-relay-emulator')).toBe('');
    expect(panel!.getAttribute('data-theme')).toBe('dark');
    expect(panel!.getAttribute('data-state')).toBe('ready');
    const describeButton = (button: FakeElement) => [
      button.tagName,
      button.getAttribute('type'),
      button.getAttribute('data-outcome'),
      button.textContent,
    ];
    expect(panel!.children.map(describeButton)).toEqual([
      ['button', 'button', 'passed', 'Pass'],
      ['button', 'button', 'failed', 'Fail'],
    ]);
    widget.destroy();
    widget.destroy();
    expect(root.children).toHaveLength(0);
    new Relay('#root', { accessToken: 'x', theme: 'neon' });
    expect(root.children[0]!.getAttribute('data-theme')).toBe('auto');
  });

  it('completes the relay and calls onComplete without arguments', async () => {
    const relay = await createRelay(emulator, { sandbox: false });
    const { Relay, root } = loadWidget();
    const { calls, options } = recordingCallbacks();
    new Relay('#root', { accessToken: relay.accessToken, ...options });
    const panel = root.children[0]!;
    panel.children[1]!.click();
    expect(panel.getAttribute('data-state')).toBe('submitting');
    expect(panel.children.every((button) => button.disabled)).toBe(true);
    await settled(calls);
    expect(calls).toEqual({ onComplete: [[]], onError: [], onExpire: [] });
    expect(panel.getAttribute('data-state')).toBe('completed');
    expect((await control(emulator, '/state', undefined, 'GET')).json.relaysCompleted).toBeGreaterThanOrEqual(1);
  });

  it('reports unknown sessions through onError and expired ones through onExpire', async () => {
    const unknown = loadWidget();
    const failing = recordingCallbacks();
    new unknown.Relay('#root', { accessToken: 'no-such-token', ...failing.options });
    unknown.root.children[0]!.children[0]!.click();
    await settled(failing.calls);
    expect(failing.calls.onError).toEqual([[{ code: 'relay_not_found', message: expect.any(String) }]]);
    expect(unknown.root.children[0]!.getAttribute('data-state')).toBe('error');

    const relay = await createRelay(emulator, { sandbox: false });
    await control(emulator, '/clock', { advanceSeconds: 31 * 60 });
    const expired = loadWidget();
    const expiring = recordingCallbacks();
    new expired.Relay('#root', { accessToken: relay.accessToken, ...expiring.options });
    expired.root.children[0]!.children[0]!.click();
    await settled(expiring.calls);
    expect(expiring.calls).toEqual({ onComplete: [], onError: [], onExpire: [[]] });
    expect(expired.root.children[0]!.getAttribute('data-state')).toBe('expired');
    await control(emulator, '/reset');
  });

  it('fires nothing after destroy()', async () => {
    const relay = await createRelay(emulator, { sandbox: false });
    const { Relay, root } = loadWidget();
    const { calls, options } = recordingCallbacks();
    const widget = new Relay('#root', { accessToken: relay.accessToken, ...options });
    root.children[0]!.children[0]!.click();
    widget.destroy();
    expect(root.children).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(calls).toEqual({ onComplete: [], onError: [], onExpire: [] });
  });
});

describe('/_emulator/widget/complete', () => {
  it('allows cross-origin posts', async () => {
    const preflight = await fetch(`${emulator.url}/_emulator/widget/complete`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const missing = await call(emulator, '/_emulator/widget/complete', { body: { accessToken: 'nope', outcome: 'passed' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('/relay hosted page', () => {
  function getPage(query: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      httpRequest(`${emulator.url}/relay${query}`, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }));
      })
        .on('error', reject)
        .end();
    });
  }

  it('serves the panel for a live session', async () => {
    const relay = await createRelay(emulator, { sandbox: false });
    const page = await getPage(`?relay-session-access-token=${encodeURIComponent(relay.accessToken)}&theme=light`);
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script src="/widget.js"></script>');
    expect(page.body).toContain(JSON.stringify({ accessToken: relay.accessToken, theme: 'light' }));
    expect(page.body).toContain('you can close this window');
  });

  it('answers 404, 403 and 400 pages as specified', async () => {
    expect((await getPage('?relay-session-access-token=unknown')).status).toBe(404);
    expect((await getPage('')).status).toBe(404);
    const relay = await createRelay(emulator, { sandbox: false });
    const query = `?relay-session-access-token=${encodeURIComponent(relay.accessToken)}`;
    expect((await getPage(query, { referer: 'https://platform.example/' })).status).toBe(400);
    await control(emulator, '/clock', { advanceSeconds: 30 * 60 });
    const expired = await getPage(query);
    expect(expired.status).toBe(403);
    expect(expired.body).toContain('data-state="expired"');
    await control(emulator, '/reset');
  });
});
