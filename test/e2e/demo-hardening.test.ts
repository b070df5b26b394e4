/**
 * The demo app against slow and oversized clients: the server's timeouts are
 * set well below Node's defaults, and a relay POST declaring a large body is
 * refused from its headers, before the body is sent.
 */
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_HEADERS_TIMEOUT_MS, DEMO_REQUEST_TIMEOUT_MS, startDemo, type RunningDemo } from '../../src/demo/start-demo.js';
import { httpCall } from '../support/http.js';

let demo: RunningDemo;

beforeAll(async () => {
  // The in-process emulator and in-memory PGlite, whatever the worker's environment says.
  for (const name of Object.keys(process.env)) if (/^(RELAY_|PERSONA_|DATABASE_URL$)/.test(name)) delete process.env[name];
  demo = await startDemo({ port: 0, logger: false });
});

afterAll(async () => {
  await demo?.close();
});

/** Sends only the head of a request and resolves with the first bytes the server answers. */
function answerToHeadOnly(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    socket.setEncoding('utf8');
    socket.once('data', (data: string) => {
      socket.destroy();
      resolve(data);
    });
    socket.once('error', reject);
  });
}

describe('demo · hostile clients', () => {
  // Attack (slow client): one byte every 5 s held a connection for Node's default 300 s.
  it('bounds the time a client may take to send its headers and its request', () => {
    const server = demo.app.getHttpServer() as Server;
    expect(server.headersTimeout).toBe(DEMO_HEADERS_TIMEOUT_MS);
    expect(server.requestTimeout).toBe(DEMO_REQUEST_TIMEOUT_MS);
    expect(DEMO_REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(30_000);
  });

  // Attack: under Nest a body declared at 20 KB–2 MB used to be read whole before the relay's size check.
  it.each([20_000, 2_000_000])('answers 413 to a relay POST declaring %i bytes before any of the body is sent', async (length) => {
    const head = `POST /relay/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const answer = await answerToHeadOnly(demo.url, head);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('ERR_RELAY_PAYLOAD_TOO_LARGE');
  });

  it('still reads ordinary relay bodies without an app-wide body parser', async () => {
    const created = await httpCall(`${demo.url}/relay/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(created.status, created.text).toBe(201);
    const refused = await httpCall(`${demo.url}/relay/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"constructor":"x"}' });
    expect(refused.status).toBe(400);
  });
});
