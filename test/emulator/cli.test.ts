/** The program (`runCli`), in process: flags, the one stdout line, shutdown, exit codes. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/emulator/cli-main.js';
import { sharedSigningKey } from './helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  let firstLine!: (line: string) => void;
  let stop!: () => void;
  const listening = new Promise<string>((resolve) => (firstLine = resolve));
  const io: CliIo = {
    stdout: (line) => {
      out.push(line);
      firstLine(line);
    },
    stderr: (line) => err.push(line),
    shutdownRequested: new Promise<void>((resolve) => (stop = resolve)),
  };
  return { io, out, err, listening, stop: () => stop() };
}

describe('runCli', () => {
  it.each([
    [['--bogus']],
    [['--port']],
    [['--port', 'eighty']],
    [['--port', '70000']],
    [['positional']],
    [['--challenge-ttl', '5x']],
    [['--challenge-ttl', '0s']],
    [['--oaep-hash', 'md5']],
    [['--auto-complete', 'sometimes']],
    [['--rate-limit', '-1']],
    [['--signing-key', join(directory, 'missing.pem')]],
  ])('exits 2 with the usage on stderr for %j', async (argv) => {
    const { io, out, err } = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain('Usage: persona-relay-emulator');
  });

  it('rejects a signing key that is not an RSA private key', async () => {
    const file = join(directory, 'ec.pem');
    writeFileSync(file, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const { io, err } = fakeIo();
    expect(await runCli(['--signing-key', file], io)).toBe(2);
    expect(err.join('\n')).toContain('signingKeyPem');
  });

  it('prints the usage on stdout for --help', async () => {
    const { io, out } = fakeIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(out[0]).toContain('--rate-limit N');
  });

  it('starts with every flag, prints exactly one stdout line, logs to stderr, and stops on request', async () => {
    const keyFile = join(directory, 'signing.pem');
    writeFileSync(keyFile, sharedSigningKey());
    const { io, out, err, listening, stop } = fakeIo();
    const exit = runCli(
      [
        '--host', '127.0.0.1',
        '--port', '0',
        '--api-key', 'persona_production_cli',
        '--api-key=persona_sandbox_cli',
        '--signing-key', keyFile,
        '--challenge-ttl', '30s',
        '--oaep-hash', 'sha1',
        '--auto-complete', 'passed',
        '--rate-limit=5',
      ],
      io,
    );
    const line = await listening;
    const url = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line)?.[1];
    expect(url).toBeDefined();

    const challenge = await fetch(`${url}/api/privacy/v1/relays/challenge`, {
      method: 'POST',
      body: JSON.stringify({ 'claim-type': 'live_human_presence' }),
    });
    const { challenge: encoded } = (await challenge.json()) as { challenge: string };
    const decoded = JSON.parse(Buffer.from(encoded, 'base64url').toString());
    expect(Date.parse(decoded.expires_at) - Date.now()).toBeLessThanOrEqual(31_000);
    const passes = await fetch(`${url}/api/v1/privacy-passes`, {
      method: 'POST',
      headers: { authorization: 'Bearer persona_production_cli' },
      body: '{}',
    });
    expect(passes.status).toBe(400);
    expect(passes.headers.get('ratelimit-limit')).toBe('5');

    stop();
    expect(await exit).toBe(0);
    expect(out).toEqual([line]);
    expect(err.some((entry) => entry.startsWith('POST /api/v1/privacy-passes 400'))).toBe(true);
    await expect(fetch(`${url}/widget.js`)).rejects.toThrow();
  });

  it('exits 1 when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { io, out, err } = fakeIo();
      expect(await runCli(['--port', String(port)], io)).toBe(1);
      expect(out).toEqual([]);
      expect(err.join('\n')).toContain('EADDRINUSE');
    } finally {
      blocker.close();
    }
  });
});
