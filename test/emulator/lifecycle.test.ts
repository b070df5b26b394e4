/** startEmulator / close(): option validation, addresses, logging, connections, requests cut short. */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { control, createRelay, fetchChallenge, issuePass, sharedSigningKey } from './helpers.js';

describe('startEmulator', () => {
  it('names every invalid option in one TypeError', async () => {
    const attempt = startEmulator({
      port: -1,
      apiKeys: [],
      challengeTtl: '2 hours',
      oaepHash: 'md5' as never,
      autoComplete: 'yes' as never,
      rateLimit: 1.5,
      signingKeyPem: 'not a key',
    });
    await expect(attempt).rejects.toThrow(TypeError);
    await expect(attempt).rejects.toThrow(/port.*apiKeys.*challengeTtl.*oaepHash.*autoComplete.*rateLimit.*signingKeyPem/);
  });

  it('reports its address and logs only through the logger option', async () => {
    const lines: string[] = [];
    const emulator = await startEmulator({ signingKeyPem: sharedSigningKey(), logger: (line) => lines.push(line) });
    try {
      expect(emulator.host).toBe('127.0.0.1');
      expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
      expect(emulator.port).toBeGreaterThan(0);
      await fetch(`${emulator.url}/api/nowhere`);
      expect(lines).toEqual([expect.stringMatching(/^GET \/api\/nowhere 404 \d+ms$/)]);
    } finally {
      await emulator.close();
    }
  });

  it('brackets IPv6 addresses in the URL', async (context) => {
    const emulator = await startEmulator({ host: '::1', signingKeyPem: sharedSigningKey() }).catch(() => undefined);
    if (!emulator) return context.skip();
    try {
      expect(emulator.url).toBe(`http://[::1]:${emulator.port}`);
      expect((await fetch(`${emulator.url}/widget.js`)).status).toBe(200);
    } finally {
      await emulator.close();
    }
  });

  it('close() destroys idle keep-alive connections and is idempotent', async () => {
    const emulator = await startEmulator({ signingKeyPem: sharedSigningKey() });
    const agent = new Agent({ keepAlive: true });
    let socketClosed!: Promise<void>;
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${emulator.url}/widget.js`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      request.on('socket', (socket) => (socketClosed = new Promise((closed) => socket.once('close', () => closed()))));
      request.end();
    });
    await Promise.all([emulator.close(), emulator.close()]);
    await socketClosed;
    agent.destroy();
    await expect(fetch(`${emulator.url}/widget.js`)).rejects.toThrow();
  });

  it('finishes a delayed redemption after its client went away', async () => {
    const emulator = await startEmulator({ signingKeyPem: sharedSigningKey() });
    try {
      const relay = await createRelay(emulator);
      const pass = await issuePass(emulator, await fetchChallenge(emulator));
      await control(emulator, '/faults', { endpoint: 'generate-claim', mode: 'delay', delayMs: 200 });
      const aborted = new AbortController();
      const request = fetch(`${emulator.url}/api/privacy/v1/relays/${relay.token}/generate-claim`, {
        method: 'POST',
        headers: {
          authorization: `PrivateToken token=${pass.token}`,
          'persona-relay-secret': relay.secret,
          'idempotency-key': randomUUID(),
        },
        body: '{}',
        signal: aborted.signal,
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      aborted.abort();
      await expect(request).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await control(emulator, '/state', undefined, 'GET')).json).toMatchObject({ passesRedeemed: 1, claimsGenerated: 1 });
    } finally {
      await emulator.close();
    }
  });
});
