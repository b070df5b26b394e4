/**
 * The Persona emulator as the service and e2e tests use it: started in
 * process, driven through its control API, and its request
 * log read back to check what the client really sent.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EmulatorOptions, RequestLogEntry, RunningEmulator, StateCounters } from '../../src/emulator/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import { httpCall, postJson } from './http.js';

/** A production key, so that relays can complete `failed` (sandbox claims always pass). */
export const PRODUCTION_API_KEY = 'persona_production_test';
export const CLAIM_TYPE = 'age_over18_verified';

export const GENERATE_CLAIM_PATH = /^\/api\/privacy\/v1\/relays\/[^/]+\/generate-claim$/;
export const RELAYS_PATH = '/api/privacy/v1/relays';
export const CHALLENGE_PATH = '/api/privacy/v1/relays/challenge';
export const PRIVACY_PASSES_PATH = '/api/v1/privacy-passes';

/** A fault queued on one endpoint. */
export type EmulatorFault =
  | { endpoint: FaultEndpoint; mode: 'status'; status: number; times?: number }
  | { endpoint: FaultEndpoint; mode: 'drop-after-commit'; times?: number }
  | { endpoint: FaultEndpoint; mode: 'delay'; delayMs: number; times?: number };
export type FaultEndpoint = 'relays' | 'challenge' | 'privacy-passes' | 'generate-claim';

/**
 * The fixed RSA-2048 signing key of the emulator tests: the emulator then
 * skips key generation (the machine is small).
 */
export function sharedSigningKeyPem(): string {
  signingKeyPem ??= readFileSync(fileURLToPath(new URL('../emulator/fixtures/signing-key.pem', import.meta.url)), 'utf8');
  return signingKeyPem;
}
let signingKeyPem: string | undefined;

/** A running emulator plus its control API. */
export class TestEmulator {
  private constructor(private readonly running: RunningEmulator) {}

  /** Starts an emulator accepting {@link PRODUCTION_API_KEY}, without rate limit. */
  static async start(options: EmulatorOptions = {}): Promise<TestEmulator> {
    return new TestEmulator(
      await startEmulator({ apiKeys: [PRODUCTION_API_KEY], signingKeyPem: sharedSigningKeyPem(), rateLimit: 0, ...options }),
    );
  }

  get url(): string {
    return this.running.url;
  }

  close(): Promise<void> {
    return this.running.close();
  }

  /** Completes a relay the way the widget does, knowing only the access token. */
  async complete(accessToken: string, outcome: 'passed' | 'failed' = 'passed'): Promise<void> {
    await this.control('POST', '/_emulator/widget/complete', { accessToken, outcome });
  }

  /** Queues a fault. */
  async fault(fault: EmulatorFault): Promise<void> {
    await this.control('POST', '/_emulator/faults', fault);
  }

  /** Moves the emulator clock forward (challenge expiry, relay expiry). */
  async advanceClock(seconds: number): Promise<void> {
    await this.control('POST', '/_emulator/clock', { advanceSeconds: seconds });
  }

  async reset(): Promise<void> {
    await this.control('POST', '/_emulator/reset');
  }

  async state(): Promise<StateCounters> {
    return (await this.control('GET', '/_emulator/state')) as StateCounters;
  }

  async requests(): Promise<RequestLogEntry[]> {
    return (await this.control('GET', '/_emulator/requests')) as RequestLogEntry[];
  }

  /** generate-claim requests that carried a Privacy Pass (redemptions, not 401 probes). */
  async redemptions(): Promise<RequestLogEntry[]> {
    return (await this.requests()).filter(isRedemption);
  }

  private async control(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const response =
      method === 'GET' ? await httpCall(`${this.url}${path}`) : await postJson(`${this.url}${path}`, body ?? {});
    if (response.status !== 200) throw new Error(`emulator ${method} ${path} answered ${response.status}: ${response.text}`);
    return response.json;
  }
}

/** A generate-claim request that presented a pass. */
export function isRedemption(entry: RequestLogEntry): boolean {
  return entry.method === 'POST' && GENERATE_CLAIM_PATH.test(entry.path) && entry.headers.authorization !== undefined;
}

/** A generate-claim request without a pass: the 401 challenge probe. */
export function isProbe(entry: RequestLogEntry): boolean {
  return entry.method === 'POST' && GENERATE_CLAIM_PATH.test(entry.path) && entry.headers.authorization === undefined;
}

/** The Privacy Pass (b64url token) a redemption presented. */
export function presentedToken(entry: RequestLogEntry): string {
  const match = /^PrivateToken token=(\S+)$/.exec(entry.headers.authorization ?? '');
  if (!match) throw new Error(`not a PrivateToken redemption: ${entry.path}`);
  return match[1]!;
}

/** The nonce of a b64url Privacy Pass token (identifies the pass without comparing secrets). */
export function tokenNonce(token: string): string {
  return (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { token_nonce: string }).token_nonce;
}
