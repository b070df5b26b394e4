/**
 * One consumer app in a fresh folder: installed from the packed tarball with
 * the README's commands, started as a user would start it, and driven through
 * the claim flow over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readmeInstallCommand } from './readme.js';

/** Plain installs: no resolution flags. These only silence the audit and funding requests and reuse the warm cache. */
const NPM_ENV = {
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_prefer_offline: 'true',
  npm_config_loglevel: 'error',
};

/** Runs a command; rejects with its output when it fails. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...NPM_ENV, ...options.env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`\`${command} ${args.join(' ')}\` in ${options.cwd} exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
}

/** The temporary folders of this run's apps. */
const appRoots: string[] = [];

/** A fresh folder for one app, from a fixture folder or from nothing. */
export function newAppDir(name: string, fixture?: string): string {
  const root = mkdtempSync(join(tmpdir(), `persona-relay-consumer-${name}-`));
  appRoots.push(root);
  const dir = join(root, name);
  if (fixture) cpSync(fixture, dir, { recursive: true });
  else mkdirSync(dir);
  return dir;
}

/** Removes every app folder of this run (each holds a full node_modules), unless CONSUMER_KEEP_APPS is set. */
export function removeAppDirs(): void {
  if (process.env.CONSUMER_KEEP_APPS) return;
  for (const root of appRoots.splice(0)) rmSync(root, { recursive: true, force: true });
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/**
 * Runs the README's install command for `integration` in `dir`, word for word
 * except that `persona-relay` names the tarball under test instead of the registry's.
 */
export async function installFromReadme(dir: string, integration: string, tarball: string): Promise<void> {
  const [npm, install, ...packages] = readmeInstallCommand(integration).split(' ');
  await run(npm!, [install!, ...packages.map((name) => (name === 'persona-relay' ? tarball : name))], { cwd: dir });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The environment a relay app needs, pointed at the emulator. */
export function relayEnv(emulatorUrl: string, apiKey: string): NodeJS.ProcessEnv {
  return {
    PERSONA_API_KEY: apiKey,
    PERSONA_API_URL: emulatorUrl,
    RELAY_STORAGE_KEY: randomBytes(32).toString('base64'),
    RELAY_COOKIE_SECRET: randomBytes(32).toString('base64url'),
    // A small key reserve with a long wait (the apps start cold and share two cores) and no issuance delay keep
    // the flow quick and never busy; none of them changes what is tested.
    RELAY_KEY_RESERVE: '2',
    RELAY_KEY_WAIT_MS: '60000',
    RELAY_ISSUANCE_JITTER_MS: '0',
    // Embedded storage unless an app says otherwise, whatever the calling shell has set.
    DATABASE_URL: '',
  };
}

/** A started app process and its output so far. */
export interface RunningApp {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `command` with PORT set and waits until it answers HTTP (or fails with its output). */
export async function startApp(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunningApp> {
  const port = await freePort();
  // A process group of its own: `npm run start:prod` starts the app as a grandchild, which a signal to npm alone
  // would leave running after the test.
  const child: ChildProcess = spawn(command, args, { cwd, env: { ...process.env, ...env, PORT: String(port) }, detached: true });
  const signalAll = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`\`${command} ${args.join(' ')}\` exited with ${child.exitCode}:\n${output}`);
    try {
      await fetch(`${url}/relay/claims`);
      break;
    } catch {
      if (Date.now() > deadline) {
        signalAll('SIGKILL');
        throw new Error(`\`${command} ${args.join(' ')}\` did not answer on port ${port}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return {
    url,
    output: () => output,
    async stop() {
      signalAll('SIGTERM');
      await exited;
    },
  };
}

const JSON_POST = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };

/**
 * The flow every integration must support, as a browser drives it: create a
 * session (which sets the visitor cookie), be refused on the guarded route,
 * claim the verification the emulator passed, then be let in.
 */
export async function claimFlow(url: string): Promise<{ created: number; before: number; claim: number; result: unknown; after: number }> {
  // Right after start-up no per-relay key may be ready yet: 503 ERR_RELAY_BUSY asks to try again shortly.
  let created = await fetch(`${url}/relay/sessions`, JSON_POST);
  for (let attempt = 0; created.status === 503 && attempt < 60; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    created = await fetch(`${url}/relay/sessions`, JSON_POST);
  }
  const cookie = created.headers.getSetCookie()[0]?.split(';', 1)[0] ?? '';
  const { sessionId } = (await created.json()) as { sessionId: string };
  const before = (await fetch(`${url}/restricted`, { headers: { cookie } })).status;
  // The pass for the redemption is bought in the background right after creation: until then the claim is 409/503.
  let claim = await fetch(`${url}/relay/sessions/${sessionId}/claim`, { ...JSON_POST, headers: { ...JSON_POST.headers, cookie } });
  for (let attempt = 0; claim.status !== 200 && attempt < 60; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    claim = await fetch(`${url}/relay/sessions/${sessionId}/claim`, { ...JSON_POST, headers: { ...JSON_POST.headers, cookie } });
  }
  const { result } = (await claim.json()) as { result?: unknown };
  const after = (await fetch(`${url}/restricted`, { headers: { cookie } })).status;
  return { created: created.status, before, claim: claim.status, result, after };
}

/** What {@link claimFlow} returns when everything works. */
export const PASSING_FLOW = { created: 201, before: 403, claim: 200, result: 'passed', after: 200 };
