import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NEUTRAL_USER_AGENT, createPersonaTransports, postJson } from '../../../src/core/persona/index.js';
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

describe('connection separation', () => {
  it('never shares a TCP connection between identified and anonymous calls, and reuses each', async () => {
    const { api } = createTestClient(server);
    try {
      const identifiedPorts: number[] = [];
      const anonymousPorts: number[] = [];
      for (let round = 0; round < 6; round += 1) {
        server.script({ status: 200, body: CHALLENGE_BODY });
        await api.requestChallenge({ claimType: 'x', sandbox: false });
        anonymousPorts.push(server.requests.at(-1)!.remotePort);

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
      server.setFallback({ status: 200, body: { ...CHALLENGE_BODY, 'blind-sig': 's' } });
      // Several concurrent batches: sockets freed by one batch are reused by the next.
      for (let batch = 0; batch < 4; batch += 1) {
        await Promise.all(
          Array.from({ length: 6 }, (_, index) =>
            index % 2 === 0
              ? api.requestChallenge({ claimType: 'x', sandbox: false })
              : api.createPrivacyPass(BLINDED, { idempotencyKey: `k${batch}-${index}` }),
          ),
        );
      }
      const identified = new Set(
        server.requests.filter((request) => request.headers.authorization !== undefined).map((r) => r.remotePort),
      );
      const anonymous = new Set(
        server.requests.filter((request) => request.headers.authorization === undefined).map((r) => r.remotePort),
      );
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
        { status: 200, body: CHALLENGE_BODY },
        { status: 200, body: { 'blind-sig': 's' } },
        { status: 200, body: CHALLENGE_BODY },
      );
      await api.requestChallenge({ claimType: 'x', sandbox: false });
      await api.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY });
      await api.requestChallenge({ claimType: 'x', sandbox: false });
      const [first, identified, second] = server.requests;
      expect(agent.localPorts).toEqual([first!.remotePort]);
      expect(first!.remotePort).toBe(second!.remotePort);
      expect(identified!.remotePort).not.toBe(first!.remotePort);
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

describe('createPersonaTransports', () => {
  it('has no identified transport without an API key', () => {
    const transports = createPersonaTransports({ baseUrl: server.baseUrl });
    try {
      expect(transports.identified).toBeUndefined();
    } finally {
      transports.close();
    }
  });

  it('does not follow redirects and hands back the 3xx', async () => {
    const transports = createPersonaTransports({ baseUrl: server.baseUrl, apiKey: API_KEY });
    try {
      server.script({ status: 307, headers: { location: `${server.baseUrl}/elsewhere` } });
      const response = await postJson(transports.identified!, 'create-privacy-pass', {
        path: '/api/v1/privacy-passes',
        body: '{}',
      });
      expect(response.status).toBe(307);
      expect(server.requests.map((request) => request.url)).toEqual(['/api/v1/privacy-passes']);
    } finally {
      transports.close();
    }
  });

  it('replaces axios’ User-Agent on both transports', async () => {
    const transports = createPersonaTransports({ baseUrl: server.baseUrl, apiKey: API_KEY });
    try {
      server.setFallback({ status: 200, body: {} });
      await postJson(transports.identified!, 'create-privacy-pass', { path: '/a', body: '{}' });
      await postJson(transports.anonymous, 'create-relay', { path: '/b', body: '{}' });
      expect(server.requests.map((request) => request.headers['user-agent'])).toEqual([
        NEUTRAL_USER_AGENT,
        NEUTRAL_USER_AGENT,
      ]);
    } finally {
      transports.close();
    }
  });
});
