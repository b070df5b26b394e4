/**
 * The emulator against a hostile client or web page: bodies are capped (413) without being buffered, the control
 * API refuses foreign origins (403) and bodies not declared JSON (415), and the access log never shows a relay token.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { MAX_BODY_BYTES } from '../../src/emulator/request-body.js';
import { httpCall } from '../support/http.js';
import { SANDBOX_KEY, call, control, createRelay, errorCode, fetchChallenge, generateClaim, issuePass, sharedSigningKey } from './helpers.js';

const RELAY_PATH = '/api/privacy/v1/relays';
const FOREIGN_ORIGIN = 'https://attacker.example';

let emulator: RunningEmulator;
const logLines: string[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ signingKeyPem: sharedSigningKey(), logger: (line) => logLines.push(line) });
});
afterEach(async () => {
  await control(emulator, '/reset');
  logLines.length = 0;
});
afterAll(() => emulator.close());

interface StreamedUpload {
  status: number;
  /** Bytes written before the answer arrived. */
  sentBeforeAnswer: number;
}

/**
 * POSTs a chunked body of up to `totalBytes`, written as the socket accepts it, and stops writing as soon as the
 * answer arrives (or the server closes the connection).
 */
function streamUpload(path: string, totalBytes: number): Promise<StreamedUpload> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(`${emulator.url}${path}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sentBeforeAnswer: sent });
    });
    // The server closes the connection behind its 413: writing into it may fail, which is expected.
    req.on('error', (error) => {
      if (!answered) setTimeout(() => (answered ? undefined : reject(error)), 200);
    });
    const pump = (): void => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('request body cap', () => {
  it.each([RELAY_PATH, '/_emulator/faults'])('a 300 MB body to %s: 413 after about the cap, the rest never read', async (path) => {
    const upload = await streamUpload(path, 300 * 1024 * 1024);
    expect(upload.status).toBe(413);
    // Socket buffers on both sides hold a few MiB at most; the server stopped reading at the cap.
    expect(upload.sentBeforeAnswer).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses a declared Content-Length over the cap before reading the body, and closes the connection', async () => {
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${emulator.url}${RELAY_PATH}`, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.write('{');
    });
    answer.resume();
    expect(answer.statusCode).toBe(413);
    expect(answer.headers.connection).toBe('close');
    const log = (await control(emulator, '/requests', undefined, 'GET')).json;
    expect(log).toEqual([expect.objectContaining({ path: RELAY_PATH, status: 413, body: null })]);
  });

  it('accepts a body of exactly the cap', async () => {
    const json = JSON.stringify({ 'claim-type': 'age_over18_germany', 'encryption-key-pem': null, sandbox: true });
    const padded = json + ' '.repeat(MAX_BODY_BYTES - Buffer.byteLength(json));
    const result = await call(emulator, RELAY_PATH, { body: padded });
    expect(result.status).toBe(200);
  });
});

describe('control API against web pages', () => {
  const ownOrigin = (): string => emulator.url;

  /** Every state-changing control request, as a cross-site page would send it. */
  const mutations = (): Array<[string, string]> => [
    ['/_emulator/reset', '{}'],
    ['/_emulator/clock', JSON.stringify({ advanceSeconds: 86_400 })],
    ['/_emulator/faults', JSON.stringify({ endpoint: 'relays', mode: 'status', status: 500 })],
    ['/_emulator/relays/relay_x/complete', JSON.stringify({ outcome: 'passed' })],
  ];

  it('refuses every control request from a foreign Origin with 403, and changes nothing', async () => {
    await control(emulator, '/faults', { endpoint: 'challenge', mode: 'status', status: 503 });
    const foreign = [FOREIGN_ORIGIN, 'null', `http://localhost.attacker.example:${emulator.port}`, 'http://127.0.0.1:1'];
    for (const origin of foreign) {
      for (const [path, body] of mutations()) {
        const answer = await httpCall(`${emulator.url}${path}`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body });
        expect(answer.status, `${origin} ${path}`).toBe(403);
        expect(answer.json.errors[0].code).toBe('forbidden_origin');
      }
      const read = await httpCall(`${emulator.url}/_emulator/state`, { headers: { origin } });
      expect(read.status, `${origin} GET state`).toBe(403);
    }
    // The fault queued before is still there: the refused reset did not run.
    expect((await call(emulator, '/api/privacy/v1/relays/challenge', { body: { 'claim-type': 'x' } })).status).toBe(503);
  });

  it("answers the emulator's own origin, loopback aliases included", async () => {
    for (const origin of [ownOrigin(), `http://localhost:${emulator.port}`, `http://[::1]:${emulator.port}`]) {
      const answer = await httpCall(`${emulator.url}/_emulator/clock`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ advanceSeconds: 1 }),
      });
      expect(answer.status, origin).toBe(200);
    }
  });

  it('keeps the widget completion open to any origin (it needs the access token)', async () => {
    const relay = await createRelay(emulator);
    const answer = await httpCall(`${emulator.url}/_emulator/widget/complete`, {
      method: 'POST',
      headers: { origin: FOREIGN_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ accessToken: relay.accessToken, outcome: 'passed' }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe('*');
  });

  it.each([
    ['text/plain', '{"advanceSeconds":86400}'],
    ['application/x-www-form-urlencoded', 'advanceSeconds=86400'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="advanceSeconds"\r\n\r\n86400\r\n--x--\r\n'],
    ['application/jsonp', '{"advanceSeconds":86400}'],
    [undefined, '{"advanceSeconds":86400}'],
  ])('refuses a control body sent as %s with 415 (no Origin needed)', async (type, body) => {
    const before = (await control(emulator, '/clock', { advanceSeconds: 0 })).json.now;
    const answer = await httpCall(`${emulator.url}/_emulator/clock`, {
      method: 'POST',
      headers: type === undefined ? {} : { 'content-type': type },
      body,
    });
    expect(answer.status).toBe(415);
    expect(answer.json.errors[0].code).toBe('unsupported_media_type');
    const after = (await control(emulator, '/clock', { advanceSeconds: 0 })).json.now;
    expect(Date.parse(after) - Date.parse(before)).toBeLessThan(3_600_000);
  });

  it('accepts JSON with parameters, and an empty POST without a type', async () => {
    const typed = await httpCall(`${emulator.url}/_emulator/clock`, {
      method: 'POST',
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      body: JSON.stringify({ advanceSeconds: 0 }),
    });
    expect(typed.status).toBe(200);
    expect((await httpCall(`${emulator.url}/_emulator/reset`, { method: 'POST' })).status).toBe(200);
  });

  it('generated: a foreign Origin gets 403, a body not declared JSON 415, and neither changes anything', async () => {
    const own = new Set([ownOrigin(), `http://localhost:${emulator.port}`, `http://[::1]:${emulator.port}`]);
    const foreignOrigin = fc
      .oneof(
        fc.webUrl().map((url) => new URL(url).origin),
        fc.integer({ min: 1, max: 65_535 }).map((port) => `http://127.0.0.1:${port}`),
        fc.constantFrom('null', `https://127.0.0.1:${emulator.port}`, `http://localhost.:${emulator.port}`),
      )
      .filter((origin) => !own.has(origin));
    const notJson = fc
      .oneof(
        fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/json', 'application/json-seq'),
        fc.stringMatching(/^[a-z]{1,10}\/[a-z+.-]{1,12}$/),
      )
      .filter((type) => type !== 'application/json');
    const request = fc.record({
      origin: fc.option(foreignOrigin, { nil: undefined }),
      type: fc.option(notJson, { nil: undefined }),
      target: fc.constantFrom(...mutations()),
    });
    await control(emulator, '/faults', { endpoint: 'challenge', mode: 'status', status: 503 });
    const before = (await control(emulator, '/clock', { advanceSeconds: 0 })).json.now;
    await fc.assert(
      fc.asyncProperty(request.filter(({ origin, type }) => origin !== undefined || type !== undefined), async ({ origin, type, target: [path, body] }) => {
        const headers: Record<string, string> = { 'content-type': type ?? 'application/json', ...(origin ? { origin } : {}) };
        const answer = await httpCall(`${emulator.url}${path}`, { method: 'POST', headers, body });
        expect(answer.status).toBe(origin ? 403 : 415);
      }),
      { numRuns: 60 },
    );
    const after = (await control(emulator, '/clock', { advanceSeconds: 0 })).json.now;
    expect(Date.parse(after) - Date.parse(before)).toBeLessThan(3_600_000);
    expect((await call(emulator, '/api/privacy/v1/relays/challenge', { body: { 'claim-type': 'x' } })).status).toBe(503);
  });

  it('leaves the Persona endpoints as they were: any Origin, any Content-Type', async () => {
    const answer = await call(emulator, RELAY_PATH, {
      headers: { origin: FOREIGN_ORIGIN, 'content-type': 'text/plain' },
      body: { 'claim-type': 'age_over18_germany', 'encryption-key-pem': null, sandbox: true },
    });
    expect(answer.status).toBe(200);
  });
});

describe('access log', () => {
  it('shows no relay token, on the Persona route or the control route', async () => {
    const relay = await createRelay(emulator);
    await control(emulator, `/relays/${relay.token}/complete`, { outcome: 'passed' });
    const pass = await issuePass(emulator, await fetchChallenge(emulator), SANDBOX_KEY);
    expect(errorCode(await generateClaim(emulator, relay))).toBe('missing_private_token');
    expect((await generateClaim(emulator, relay, { token: pass.token })).status).toBe(200);

    const routes = logLines.map((line) => line.split(' ').slice(0, 2).join(' '));
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /_emulator/relays/{relay-token}/complete',
        'POST /api/privacy/v1/relays/{relay-token}/generate-claim',
        'POST /api/privacy/v1/relays/challenge',
        'POST /api/privacy/v1/relays',
      ]),
    );
    for (const line of logLines) expect(line).not.toContain(relay.token);
  });
});
