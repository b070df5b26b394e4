/**
 * Test-side client of the emulator: plain HTTP plus the client half of the protocol (nonce, token input, blinding
 * with @cloudflare/blindrsa-ts, token JSON), written independently of src/core.
 */
import { createHash, createHmac, randomBytes, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RSABSSA } from '@cloudflare/blindrsa-ts';
import type { RunningEmulator } from '../../src/emulator/index.js';

export const SANDBOX_KEY = 'persona_sandbox_emulator';
export const PRODUCTION_KEY = 'persona_production_test';
export const CLAIM_TYPE = 'age_over18_germany';

/**
 * A fixed RSA-2048 PKCS#8 PEM made for these tests only, so most emulators skip key generation (the machine is
 * small and every test file runs in its own worker).
 */
export function sharedSigningKey(): string {
  sharedSigningKeyPem ??= readFileSync(fileURLToPath(new URL('./fixtures/signing-key.pem', import.meta.url)), 'utf8');
  return sharedSigningKeyPem;
}
let sharedSigningKeyPem: string | undefined;

export interface ApiResult {
  status: number;
  headers: Headers;
  /** Parsed JSON body (`undefined` when empty or not JSON). */
  json: any;
  text: string;
}

/** One HTTP request to the emulator. `body` objects are sent as JSON, strings verbatim. */
export async function call(
  emulator: RunningEmulator,
  path: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResult> {
  const { body: given } = options;
  const body = given === undefined || typeof given === 'string' ? given : JSON.stringify(given);
  const response = await fetch(`${emulator.url}${path}`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** `errors[0].code` of an error response. */
export function errorCode(result: ApiResult): string | undefined {
  return result.json?.errors?.[0]?.code;
}

export interface CreatedRelay {
  token: string;
  secret: string;
  accessToken: string;
}

export async function createRelay(
  emulator: RunningEmulator,
  options: { claimType?: string; sandbox?: boolean; pem?: string | null } = {},
): Promise<CreatedRelay> {
  const result = await call(emulator, '/api/privacy/v1/relays', {
    body: {
      'claim-type': options.claimType ?? CLAIM_TYPE,
      'encryption-key-pem': options.pem ?? null,
      ...(options.sandbox === false ? {} : { sandbox: true }),
    },
  });
  if (result.status !== 200) throw new Error(`create relay: ${result.status} ${result.text}`);
  return {
    token: result.json['relay-token'],
    secret: result.json['relay-secret'],
    accessToken: result.json['relay-session-access-token'],
  };
}

export interface ChallengeMaterial {
  challenge: string;
  tokenKey: string;
  tokenKeyId: string;
}

export async function fetchChallenge(
  emulator: RunningEmulator,
  options: { claimType?: string; sandbox?: boolean } = {},
): Promise<ChallengeMaterial> {
  const result = await call(emulator, '/api/privacy/v1/relays/challenge', {
    body: { 'claim-type': options.claimType ?? CLAIM_TYPE, ...(options.sandbox === false ? {} : { sandbox: true }) },
  });
  if (result.status !== 200) throw new Error(`challenge: ${result.status} ${result.text}`);
  return { challenge: result.json.challenge, tokenKey: result.json['token-key'], tokenKeyId: result.json['token-key-id'] };
}

/** The three values of `PrivateToken challenge="…", token-key="…", token-key-id="…"` as the emulator emits it. */
export function parseWwwAuthenticate(header: string | null): ChallengeMaterial {
  const match = /^PrivateToken challenge="([^"]+)", token-key="([^"]+)", token-key-id="([^"]+)"$/.exec(header ?? '');
  if (!match) throw new Error(`unexpected WWW-Authenticate: ${header}`);
  return { challenge: match[1]!, tokenKey: match[2]!, tokenKeyId: match[3]! };
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The token input: `0002` || SHA-256(nonce hex) || SHA-256(mac) || SHA-256(key id). */
export function tokenInput(nonce: string, mac: string, keyId: string): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from([0, 2]), sha256(nonce), sha256(mac), sha256(keyId)]));
}

export function decodeChallenge(challenge: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(challenge, 'base64url').toString('utf8'));
}

/** The token JSON, base64url. */
export function encodeToken(fields: {
  nonce: string;
  signature: Uint8Array;
  keyId: string;
  challenge: Record<string, unknown>;
}): string {
  const json = JSON.stringify({
    token_nonce: fields.nonce,
    signature: Buffer.from(fields.signature).toString('base64url'),
    key_id: fields.keyId,
    challenge: fields.challenge,
  });
  return Buffer.from(json, 'utf8').toString('base64url');
}

export interface IssuedPass {
  token: string;
  nonce: string;
  keyId: string;
  challenge: Record<string, unknown>;
}

/** Blinds, gets the blind signature, unblinds and verifies: a redeemable Privacy Pass. */
export async function issuePass(
  emulator: RunningEmulator,
  material: ChallengeMaterial,
  apiKey: string = SANDBOX_KEY,
): Promise<IssuedPass> {
  const suite = RSABSSA.SHA384.PSS.Randomized();
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    new Uint8Array(Buffer.from(material.tokenKey, 'base64url')),
    { name: 'RSA-PSS', hash: 'SHA-384' },
    true,
    ['verify'],
  );
  const nonce = randomBytes(32).toString('hex');
  const challenge = decodeChallenge(material.challenge);
  const input = tokenInput(nonce, challenge.mac as string, material.tokenKeyId);
  const { blindedMsg, inv } = await suite.blind(publicKey, input);
  const signed = await call(emulator, '/api/v1/privacy-passes', {
    headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': randomBytes(16).toString('hex') },
    body: { 'blinded-token': Buffer.from(blindedMsg).toString('base64url'), 'key-id': material.tokenKeyId },
  });
  if (signed.status !== 200) throw new Error(`privacy-passes: ${signed.status} ${signed.text}`);
  const blindSig = new Uint8Array(Buffer.from(signed.json['blind-sig'], 'base64url'));
  const signature = await suite.finalize(publicKey, input, blindSig, inv);
  const keyId = material.tokenKeyId;
  return { token: encodeToken({ nonce, signature, keyId, challenge }), nonce, keyId, challenge };
}

/** Redeems a pass on a relay. */
export function generateClaim(
  emulator: RunningEmulator,
  relay: CreatedRelay,
  options: { token?: string; idempotencyKey?: string; secret?: string; headers?: Record<string, string> } = {},
): Promise<ApiResult> {
  return call(emulator, `/api/privacy/v1/relays/${encodeURIComponent(relay.token)}/generate-claim`, {
    headers: {
      'persona-relay-secret': options.secret ?? relay.secret,
      ...(options.token ? { authorization: `PrivateToken token=${options.token}` } : {}),
      ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      ...options.headers,
    },
    body: {},
  });
}

/** A control API call (`/_emulator/...`). */
export function control(emulator: RunningEmulator, path: string, body?: unknown, method = 'POST'): Promise<ApiResult> {
  return call(emulator, `/_emulator${path}`, { method, body });
}

/** The MAC key the emulator derives from `--signing-key`, to mint challenges offline. */
export function macKeyFor(signingKeyPem: string): Buffer {
  const der = pkcs8DerOf(signingKeyPem);
  return createHash('sha256').update('persona-relay-emulator mac', 'utf8').update(der).digest();
}

function pkcs8DerOf(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

/** A challenge object with a valid MAC under `macKey` (any field values). */
export function mintChallenge(
  macKey: Buffer,
  fields: { token_type?: number; issuer_name?: string; origin_info?: string; expires_at: string },
): Record<string, unknown> {
  const challenge = {
    token_type: fields.token_type ?? 2,
    issuer_name: fields.issuer_name ?? 'withpersona.com/api/v1/privacy-passes',
    origin_info: fields.origin_info ?? '/api/privacy/v1/relays',
    expires_at: fields.expires_at,
  };
  const mac = createHmac('sha256', macKey)
    .update(`${challenge.token_type}\n${challenge.issuer_name}\n${challenge.origin_info}\n${challenge.expires_at}`)
    .digest('hex');
  return { ...challenge, mac };
}
