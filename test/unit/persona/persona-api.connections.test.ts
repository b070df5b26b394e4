import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_RESPONSE_BYTES,
  PersonaApi,
  PersonaTransportError,
  RESPONSE_TOO_LARGE,
  createPersonaTransports,
  type PersonaHttpRequest,
} from '../../../src/core/persona/index.js';
import { startTestServer, type TestServer } from './http-test-server.js';
import { API_KEY, BLINDED, IDEMPOTENCY_KEY, REDEMPTION, createTestClient } from './fixtures.js';

let server: TestServer;

beforeEach(async () => {
  server = await startTestServer();
});

afterEach(async () => {
  await server.close();
});

/** An agent that remembers the local port of every connection it opens. */
class PortRecordingAgent extends http.Agent {
  readonly localPorts: number[] = [];

  override createConnection(options: http.ClientRequestArgs): Duplex {
    const socket = net.createConnection(options as net.NetConnectOpts);
    socket.once('connect', () => this.localPorts.push(socket.localPort ?? -1));
    return socket;
  }
}

const CHALLENGE_BODY = { challenge: 'c', 'token-key': 'k', 'token-key-id': 'i' };
const RELAY_BODY = { 'relay-token': 'relay_x', 'relay-secret': 's', 'relay-session-access-token': 'jwt' };
const createRelay = (api: PersonaApi) => api.createRelay({ claimType: 'x', encryptionKeyPem: null, sandbox: false });

describe('connection separation', () => {
  it('never shares a TCP connection between identified and anonymous calls, and reuses each', async () => {
    const { api } = createTestClient(server);
    try {
      const identifiedPorts: number[] = [];
      const anonymousPorts: number[] = [];
      for (let round = 0; round < 6; round += 1) {
        server.script({ status: 200, body: RELAY_BODY });
        await createRelay(api);
        anonymousPorts.push(server.requests.at(-1)!.remotePort);

        // An issuance: its challenge rides the identified connection, never one that carries relays.
        server.script({ status: 200, body: CHALLENGE_BODY });
        await api.requestChallenge({ claimType: 'x', sandbox: false });
        identifiedPorts.push(server.requests.at(-1)!.remotePort);

        server.script({ status: 200, body: { 'blind-sig': 's' } });
        await api.createPrivacyPass(BLINDED, { idempotencyKey: `${IDEMPOTENCY_KEY}-${round}` });
        identifiedPorts.push(server.requests.at(-1)!.remotePort);

        server.script({ status: 200, body: { 'claim-payload': 'p', 'token-consumed': true } });
        await api.generateClaim(REDEMPTION, { idempotencyKey: `${IDEMPOTENCY_KEY}-r${round}` });
        anonymousPorts.push(server.requests.at(-1)!.remotePort);
      }

      const identified = new Set(identifiedPorts);
      const anonymous = new Set(anonymousPorts);
      expect([...identified].filter((port) => anonymous.has(port))).toEqual([]);
      // Keep-alive: sequential calls of one kind ride one connection.
      expect(identified.size).toBe(1);
      expect(anonymous.size).toBe(1);
    } finally {
      api.close();
    }
  });

  it('keeps concurrent identified and anonymous calls on disjoint connections', async () => {
    const { api } = createTestClient(server);
    try {
      server.setFallback({ status: 200, body: { ...RELAY_BODY, ...CHALLENGE_BODY, 'blind-sig': 's' } });
      // Several concurrent batches: sockets freed by one batch are reused by the next.
      for (let batch = 0; batch < 4; batch += 1) {
        await Promise.all(
          Array.from({ length: 6 }, (_, index) =>
            [
              () => createRelay(api),
              () => api.requestChallenge({ claimType: 'x', sandbox: false }),
              () => api.createPrivacyPass(BLINDED, { idempotencyKey: `k${batch}-${index}` }),
            ][index % 3]!(),
          ),
        );
      }
      const portsOf = (relayCalls: boolean) =>
        new Set(server.requests.filter((request) => (request.url === '/api/privacy/v1/relays') === relayCalls).map((r) => r.remotePort));
      const identified = portsOf(false);
      const anonymous = portsOf(true);
      expect(identified.size).toBeGreaterThan(0);
      expect(anonymous.size).toBeGreaterThan(0);
      expect([...identified].filter((port) => anonymous.has(port))).toEqual([]);
    } finally {
      api.close();
    }
  });

  it('uses a caller-supplied agent for anonymous calls only, and leaves it open on close()', async () => {
    const agent = new PortRecordingAgent({ keepAlive: true });
    const { api } = createTestClient(server, { anonymousAgent: agent });
    try {
      server.script(
        { status: 200, body: RELAY_BODY },
        { status: 200, body: CHALLENGE_BODY },
        { status: 200, body: { 'blind-sig': 's' } },
        { status: 200, body: RELAY_BODY },
      );
      await createRelay(api);
      await api.requestChallenge({ claimType: 'x', sandbox: false });
      await api.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY });
      await createRelay(api);
      const [first, challenge, identified, second] = server.requests;
      expect(agent.localPorts).toEqual([first!.remotePort]);
      expect(first!.remotePort).toBe(second!.remotePort);
      expect(identified!.remotePort).not.toBe(first!.remotePort);
      expect(challenge!.remotePort).toBe(identified!.remotePort);
      api.close();
      expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
    } finally {
      agent.destroy();
    }
  });

  it('close() ends the keep-alive connections it owns', async () => {
    const { api } = createTestClient(server);
    server.script({ status: 200, body: CHALLENGE_BODY });
    await api.requestChallenge({ claimType: 'x', sandbox: false });
    const port = server.requests[0]!.remotePort;
    expect(server.openClientPorts()).toContain(port);
    api.close();
    await expect.poll(() => server.openClientPorts()).not.toContain(port);
  });
});

describe('createPersonaTransports (axios)', () => {
  const post = (path: string, headers: Record<string, string> = {}): PersonaHttpRequest => ({
    method: 'POST',
    path,
    headers,
    body: '{"a":1}',
  });

  it('sends the method, path, headers and body as given, and returns status, headers and body text', async () => {
    const transports = createPersonaTransports({ baseUrl: server.baseUrl });
    try {
      server.script({ status: 418, headers: { 'Request-Id': 'req_1', 'X-Twice': ['a', 'b'] }, body: 'teapot' });
      const response = await transports.anonymous.send(post('/api/x', { 'User-Agent': 'node', 'X-One': '1' }));
      expect(response).toMatchObject({ status: 418, bodyText: 'teapot' });
      expect(response.headers).toMatchObject({ 'request-id': 'req_1', 'x-twice': 'a, b' });
      const [request] = server.requests;
      expect(request).toMatchObject({ method: 'POST', url: '/api/x', body: '{"a":1}' });
      // The caller's User-Agent replaces axios' own, which would name the library.
      expect(request!.headers).toMatchObject({ 'user-agent': 'node', 'x-one': '1' });
    } finally {
      transports.close();
    }
  });

  it('does not follow redirects and hands back the 3xx', async () => {
    const transports = createPersonaTransports({ baseUrl: server.baseUrl });
    try {
      server.script({ status: 307, headers: { location: `${server.baseUrl}/elsewhere` } });
      const response = await transports.identified.send(post('/api/v1/privacy-passes'));
      expect(response.status).toBe(307);
      expect(server.requests.map((request) => request.url)).toEqual(['/api/v1/privacy-passes']);
    } finally {
      transports.close();
    }
  });

  it('rejects a body over MAX_RESPONSE_BYTES with RESPONSE_TOO_LARGE', async () => {
    const transports = createPersonaTransports({ baseUrl: server.baseUrl });
    try {
      server.script({ status: 200, body: 'x'.repeat(MAX_RESPONSE_BYTES + 1) });
      const error = await transports.anonymous.send(post('/a')).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PersonaTransportError);
      expect((error as PersonaTransportError).reason).toBe(RESPONSE_TOO_LARGE);
    } finally {
      transports.close();
    }
  });

  it('rejects a refused connection with the system error code only', async () => {
    const address = server.baseUrl;
    await server.close();
    const transports = createPersonaTransports({ baseUrl: address });
    try {
      const error = await transports.anonymous
        .send(post('/a', { Authorization: `Bearer ${API_KEY}` }))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PersonaTransportError);
      expect((error as PersonaTransportError).reason).toBe('ECONNREFUSED');
      expect(JSON.stringify(error)).not.toContain(API_KEY);
      expect((error as Error).cause).toBeUndefined();
    } finally {
      transports.close();
      server = await startTestServer();
    }
  });

  it('ignores proxy environment variables', async () => {
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy };
    // Nothing listens on port 9: a transport that honoured the variable would fail.
    process.env.HTTP_PROXY = 'http://127.0.0.1:9';
    process.env.http_proxy = 'http://127.0.0.1:9';
    const transports = createPersonaTransports({ baseUrl: server.baseUrl });
    try {
      server.script({ status: 204 });
      await expect(transports.anonymous.send(post('/a'))).resolves.toMatchObject({ status: 204 });
    } finally {
      transports.close();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('PersonaApi over injected transports', () => {
  it('leaves them open on close()', async () => {
    const transports = createPersonaTransports({ baseUrl: server.baseUrl });
    const api = new PersonaApi({ transports, apiKey: API_KEY, retry: { maxRetries: 0 } });
    try {
      server.setFallback({ status: 200, body: CHALLENGE_BODY });
      await api.requestChallenge({ claimType: 'x', sandbox: false });
      api.close();
      await expect(transports.anonymous.send({ method: 'POST', path: '/a', headers: {}, body: '{}' })).resolves.toMatchObject({
        status: 200,
      });
    } finally {
      transports.close();
    }
  });

  it('refuses options that only configure the default transports', () => {
    const transports = createPersonaTransports({ baseUrl: server.baseUrl });
    try {
      expect(() => new PersonaApi({ transports, baseUrl: server.baseUrl })).toThrow(TypeError);
      expect(() => new PersonaApi({ transports, anonymousAgent: new http.Agent() })).toThrow(TypeError);
      expect(() => new PersonaApi({ transports: { anonymous: transports.anonymous } as never })).toThrow(
        /transports\.identified/,
      );
    } finally {
      transports.close();
    }
  });
});
