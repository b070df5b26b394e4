/**
 * A hostile Persona: the core services (createRelayServices, in-memory and
 * TypeORM/PGlite storage) talk to a server that answers like Persona but
 * wrongly, endpoint by endpoint. The server forwards each request to the
 * emulator first (so Persona's side is real: relays exist, passes are billed
 * and spent) and then replaces or edits the answer. For every hostile answer:
 *
 * - the caller gets a RelayError with the right code, and neither it (its
 *   message, context and cause chain) nor the logs carry a secret: API key,
 *   relay token or secret, Privacy Pass, blinded token, blind signature;
 * - no pass is burned by our side: a redemption is sent only with the
 *   session's one pass and one idempotency key, the emulator spends at most
 *   that pass, an undecodable answer is resumed with the same key (never a new
 *   pass), and a stored-but-unreadable answer is never redeemed again;
 * - nothing is stored half-way: no session when relay creation failed, no pass
 *   when issuance failed (and nothing billed when the challenge or key was
 *   unusable), no claim when the payload is invalid (the response may stay
 *   sealed on a SUCCEEDED record);
 * - a redirect is never followed: whatever it points at gets nothing;
 * - a 429, whatever its `RateLimit-Reset` (generated: huge, negative,
 *   fractional, garbage), holds one call at most `retry.rateLimitMaxWaitMs`
 *   plus the backoffs, and the call then fails cleanly and stays resumable.
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayOptions } from '../../src/core/config/index.js';
import { RelayError, RelayErrorCode } from '../../src/core/errors.js';
import type { RelayErrorCodeValue } from '../../src/core/errors.js';
import type { InspectedStorage, StorageInspector } from '../integration/storage/support/storage-inspector.js';
import { CLAIM_TYPE, PRODUCTION_API_KEY, sharedSigningKeyPem, TestEmulator } from '../support/emulator.js';
import { capturingLogger, memoryBackend, pgliteBackend, useRelayHarness } from '../support/relay.js';
import type { TestRelay } from '../support/relay.js';
import { rsaSpki } from './support/der.js';
import type { Interceptor, PersonaEndpoint, Trap } from './support/hostile-persona.js';
import { HostilePersona, jsonOf, okJson, startTrap } from './support/hostile-persona.js';

const MIB = 1024 * 1024;
const SUBJECT = 'alice';

let emulator: TestEmulator;
let hostile: HostilePersona;
let trap: Trap;
beforeAll(async () => {
  emulator = await TestEmulator.start();
  hostile = await HostilePersona.start(emulator.url);
  trap = await startTrap();
});
afterAll(async () => {
  await hostile?.close();
  await trap?.close();
  await emulator?.close();
});

/** What the harness resets before each test: the hostile server (honest again), the trap and the emulator. */
const persona = () => ({
  url: hostile.url,
  async reset() {
    hostile.reset();
    trap.hits.length = 0;
    await emulator.reset();
  },
});

// ---- hostile answers ------------------------------------------------------------------------------

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** Persona's answer, JSON-edited. */
function edited(edit: (body: Record<string, unknown>) => unknown): Interceptor {
  return async (_request, forward) => {
    const upstream = await forward();
    return upstream.status === 200 ? okJson(edit(jsonOf(upstream))) : upstream;
  };
}

/** Persona's answer with one field set (`undefined` removes it). */
function withField(field: string, value: unknown): Interceptor {
  return edited((body) => {
    const copy: Record<string, unknown> = { ...body };
    if (value === undefined) delete copy[field];
    else copy[field] = value;
    return copy;
  });
}

/** Persona's challenge with its decoded JSON edited. */
function withChallenge(edit: (challenge: Record<string, unknown>) => unknown): Interceptor {
  return edited((body) => {
    const challenge = JSON.parse(Buffer.from(body.challenge as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    return { ...body, challenge: b64url(JSON.stringify(edit({ ...challenge }))) };
  });
}

const notJson: Interceptor = async (_request, forward) => {
  await forward();
  return { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>OK</body></html>' };
};

const overOneMebibyte: Interceptor = async (_request, forward) => {
  const upstream = await forward();
  const text = upstream.body.toString('utf8');
  return { status: 200, body: `${text.slice(0, -1)},"padding":"${'x'.repeat(1.5 * MIB)}"}` };
};

const jsonArray: Interceptor = async (_request, forward) => okJson([jsonOf(await forward())]);

/** A redirect to the trap; the request is not forwarded. */
const redirect: Interceptor = async (request) => ({ status: 307, headers: { location: `${trap.url}${request.path}` }, body: '' });

/** The probe's 401 with another WWW-Authenticate (or none). */
function probeAuthenticate(value: string | undefined): Interceptor {
  return async (_request, forward) => {
    const upstream = await forward();
    const headers: Record<string, string> = { ...upstream.headers };
    delete headers['www-authenticate'];
    if (value !== undefined) headers['www-authenticate'] = value;
    return { status: upstream.status, headers, body: upstream.body };
  };
}

/** The probe's 401, its challenge header intact, with a body over 1 MiB. */
function probeOverOneMebibyte(): Interceptor {
  return async (_request, forward) => {
    const upstream = await forward();
    return { status: upstream.status, headers: upstream.headers, body: 'x'.repeat(1.5 * MIB) };
  };
}

/** The blind signature the emulator's key gives for another blinded message: genuine RSA, wrong message. */
const signatureOfAnotherMessage: Interceptor = async (_request, forward) => {
  const upstream = await forward();
  const other = randomBytes(256);
  other[0] = other[0]! & 0x7f; // below the modulus
  const signature = privateDecrypt({ key: sharedSigningKeyPem(), padding: constants.RSA_NO_PADDING }, other);
  return okJson({ ...jsonOf(upstream), 'blind-sig': b64url(signature) });
};

/** A 4xx whose error envelope repeats what the request carried (API key, blinded token, pass, secret). */
const echoingError: Interceptor = async (request) => {
  const echoed = [request.headers.authorization, request.headers['persona-relay-secret'], request.body].filter(Boolean).join(' | ');
  return {
    status: 422,
    body: JSON.stringify({ errors: [{ title: `Rejected ${echoed}`, details: `You sent ${echoed}`, code: 'echo', meta: { sent: echoed, key: PRODUCTION_API_KEY } }] }),
  };
};

const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

function encryptedPayload(json: string): string {
  return publicEncrypt({ key: otherKey.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(json)).toString('base64');
}

const PASSED_PAYLOAD = JSON.stringify({ claim_type: CLAIM_TYPE, claim_result: 'passed', methodology: [] });

// ---- the checks every case shares ------------------------------------------------------------------

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, but the call succeeded');
}

/** Everything secret that went over the wire in this test, as seen by the hostile server. */
function secretsSeen(passTokens: readonly string[]): string[] {
  const secrets = new Set<string>([PRODUCTION_API_KEY, ...passTokens]);
  for (const request of hostile.requests) {
    if (request.endpoint === 'relays' && request.upstream?.status === 200) {
      const relayAnswer = jsonOf(request.upstream);
      secrets.add(relayAnswer['relay-token'] as string);
      secrets.add(relayAnswer['relay-secret'] as string);
    }
    if (request.endpoint === 'privacy-passes') {
      secrets.add((JSON.parse(request.body) as Record<string, string>)['blinded-token']!);
      if (request.upstream?.status === 200) secrets.add(jsonOf(request.upstream)['blind-sig'] as string);
    }
    if (request.endpoint === 'generate-claim' || request.endpoint === 'probe') {
      const secret = request.headers['persona-relay-secret'];
      if (typeof secret === 'string') secrets.add(secret);
      const token = /^PrivateToken token=(\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (token) secrets.add(token);
    }
  }
  return [...secrets].filter((secret) => typeof secret === 'string' && secret.length >= 8);
}

/** The error is a RelayError with `code`, and neither it nor the logs carry a secret. */
function expectCleanRelayError(
  error: unknown,
  code: RelayErrorCodeValue,
  logger: ReturnType<typeof capturingLogger>,
  passTokens: readonly string[] = [],
): void {
  expect(error, inspect(error)).toBeInstanceOf(RelayError);
  expect((error as RelayError).code, (error as Error).message).toBe(code);
  const errorText = inspect(error, { depth: Infinity, breakLength: Infinity });
  const logText = JSON.stringify(logger.entries);
  for (const secret of secretsSeen(passTokens)) {
    expect(errorText.includes(secret), `the error carries a secret (${secret.slice(0, 12)}…)`).toBe(false);
    expect(logText.includes(secret), `the logs carry a secret (${secret.slice(0, 12)}…)`).toBe(false);
  }
  for (const text of [errorText, logText]) expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY|Bearer |PrivateToken token=/);
  expect(trap.hits, 'a redirect was followed').toEqual([]);
}

async function passCounts(inspector: StorageInspector): Promise<number> {
  return Object.values(await inspector.passes.countByState()).reduce((a, b) => a + b, 0);
}

/** Every pass token the client presented, and every idempotency key it used, on generate-claim. */
function redemptionsSent(): { tokens: Set<string>; keys: Set<string>; count: number } {
  const sent = hostile.seen('generate-claim');
  return {
    tokens: new Set(sent.map((r) => r.headers.authorization ?? '')),
    keys: new Set(sent.map((r) => String(r.headers['idempotency-key']))),
    count: sent.length,
  };
}

/** Every retry of a logical issuance resends the same body under the same key: a lost answer is never billed twice. */
function expectIdempotentIssuance(): void {
  const byKey = new Map<string, Set<string>>();
  for (const request of hostile.seen('privacy-passes')) {
    const key = String(request.headers['idempotency-key']);
    byKey.set(key, (byKey.get(key) ?? new Set()).add(request.body));
  }
  for (const [key, bodies] of byKey) expect(bodies.size, `issuance ${key} sent different bodies`).toBe(1);
}

// ---- the cases -------------------------------------------------------------------------------------

interface HostileCase {
  readonly name: string;
  readonly endpoint: PersonaEndpoint;
  readonly interceptor: Interceptor;
  readonly code: RelayErrorCodeValue;
  readonly options?: RelayOptions;
}

const relayCreationCases: HostileCase[] = [
  { name: 'a 2xx that is not JSON', endpoint: 'relays', interceptor: notJson, code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'a body over 1 MiB', endpoint: 'relays', interceptor: overOneMebibyte, code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'a JSON array', endpoint: 'relays', interceptor: jsonArray, code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'relay-secret missing', endpoint: 'relays', interceptor: withField('relay-secret', undefined), code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'relay-token a number', endpoint: 'relays', interceptor: withField('relay-token', 42), code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'relay-session-access-token null', endpoint: 'relays', interceptor: withField('relay-session-access-token', null), code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'an empty relay-secret', endpoint: 'relays', interceptor: withField('relay-secret', ''), code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'a redirect to another host', endpoint: 'relays', interceptor: redirect, code: RelayErrorCode.PERSONA_API },
  { name: 'an error envelope that echoes the request', endpoint: 'relays', interceptor: echoingError, code: RelayErrorCode.PERSONA_API },
];

const endpointChallenge: RelayOptions = { challengeSource: 'endpoint' };
const relayChallenge: RelayOptions = { challengeSource: 'relay' };

const issuanceCases: HostileCase[] = [
  // The challenge endpoint.
  { name: 'challenge: a 2xx that is not JSON', endpoint: 'challenge', interceptor: notJson, code: RelayErrorCode.PERSONA_PROTOCOL, options: endpointChallenge },
  { name: 'challenge: a body over 1 MiB', endpoint: 'challenge', interceptor: overOneMebibyte, code: RelayErrorCode.PERSONA_PROTOCOL, options: endpointChallenge },
  { name: 'challenge: a redirect', endpoint: 'challenge', interceptor: redirect, code: RelayErrorCode.PERSONA_API, options: endpointChallenge },
  { name: 'challenge: token-key-id missing', endpoint: 'challenge', interceptor: withField('token-key-id', undefined), code: RelayErrorCode.PERSONA_PROTOCOL, options: endpointChallenge },
  { name: 'challenge: challenge a number', endpoint: 'challenge', interceptor: withField('challenge', 7), code: RelayErrorCode.PERSONA_PROTOCOL, options: endpointChallenge },
  { name: 'challenge: challenge not base64url', endpoint: 'challenge', interceptor: withField('challenge', 'not base64url!'), code: RelayErrorCode.INVALID_CHALLENGE, options: endpointChallenge },
  { name: 'challenge: challenge not JSON', endpoint: 'challenge', interceptor: withField('challenge', b64url('token_type=2')), code: RelayErrorCode.INVALID_CHALLENGE, options: endpointChallenge },
  { name: 'challenge: token_type 3', endpoint: 'challenge', interceptor: withChallenge((c) => ({ ...c, token_type: 3 })), code: RelayErrorCode.INVALID_CHALLENGE, options: endpointChallenge },
  { name: 'challenge: token_type "2" (a string)', endpoint: 'challenge', interceptor: withChallenge((c) => ({ ...c, token_type: '2' })), code: RelayErrorCode.INVALID_CHALLENGE, options: endpointChallenge },
  { name: 'challenge: no mac', endpoint: 'challenge', interceptor: withChallenge((c) => Object.fromEntries(Object.entries(c).filter(([field]) => field !== 'mac'))), code: RelayErrorCode.INVALID_CHALLENGE, options: endpointChallenge },
  { name: 'challenge: bad expires_at', endpoint: 'challenge', interceptor: withChallenge((c) => ({ ...c, expires_at: 'next tuesday' })), code: RelayErrorCode.INVALID_CHALLENGE, options: endpointChallenge },
  {
    name: 'challenge: already expired',
    endpoint: 'challenge',
    interceptor: withChallenge((c) => ({ ...c, expires_at: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}/, '') })),
    code: RelayErrorCode.INVALID_CHALLENGE,
    options: endpointChallenge,
  },
  {
    name: 'challenge: expiring inside the safety margin',
    endpoint: 'challenge',
    interceptor: withChallenge((c) => ({ ...c, expires_at: new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}/, '') })),
    code: RelayErrorCode.INVALID_CHALLENGE,
    options: endpointChallenge,
  },
  // The token key.
  { name: 'token-key: RSA-1024', endpoint: 'challenge', interceptor: withField('token-key', b64url(rsaSpki(1024))), code: RelayErrorCode.INVALID_KEY, options: endpointChallenge },
  { name: 'token-key: RSA-8192', endpoint: 'challenge', interceptor: withField('token-key', b64url(rsaSpki(8192))), code: RelayErrorCode.INVALID_KEY, options: endpointChallenge },
  { name: 'token-key: an even modulus', endpoint: 'challenge', interceptor: withField('token-key', b64url(rsaSpki(2048, { even: true }))), code: RelayErrorCode.INVALID_KEY, options: endpointChallenge },
  { name: 'token-key: public exponent 1', endpoint: 'challenge', interceptor: withField('token-key', b64url(rsaSpki(2048, { exponent: 1 }))), code: RelayErrorCode.INVALID_KEY, options: endpointChallenge },
  {
    name: 'token-key: not RSA (EC P-256)',
    endpoint: 'challenge',
    interceptor: withField('token-key', b64url(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }))),
    code: RelayErrorCode.INVALID_KEY,
    options: endpointChallenge,
  },
  {
    name: 'token-key: not RSA (Ed25519)',
    endpoint: 'challenge',
    interceptor: withField('token-key', b64url(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }))),
    code: RelayErrorCode.INVALID_KEY,
    options: endpointChallenge,
  },
  { name: 'token-key: random bytes', endpoint: 'challenge', interceptor: withField('token-key', b64url(randomBytes(294))), code: RelayErrorCode.INVALID_KEY, options: endpointChallenge },
  { name: 'token-key: not base64url', endpoint: 'challenge', interceptor: withField('token-key', 'MIIB+/=='), code: RelayErrorCode.INVALID_BASE64URL, options: endpointChallenge },
  // The relay's 401 (challengeSource 'relay': no fallback to the endpoint).
  { name: 'probe: an invalid WWW-Authenticate', endpoint: 'probe', interceptor: probeAuthenticate('PrivateToken challenge=, token-key'), code: RelayErrorCode.INVALID_CHALLENGE, options: relayChallenge },
  { name: 'probe: no WWW-Authenticate', endpoint: 'probe', interceptor: probeAuthenticate(undefined), code: RelayErrorCode.INVALID_CHALLENGE, options: relayChallenge },
  { name: 'probe: a Basic challenge only', endpoint: 'probe', interceptor: probeAuthenticate('Basic realm="persona"'), code: RelayErrorCode.INVALID_CHALLENGE, options: relayChallenge },
  {
    name: 'probe: a PrivateToken challenge repeating a parameter',
    endpoint: 'probe',
    interceptor: probeAuthenticate('PrivateToken challenge="a", challenge="b", token-key="c", token-key-id="d"'),
    code: RelayErrorCode.INVALID_CHALLENGE,
    options: relayChallenge,
  },
  { name: 'probe: a 401 whose body is over 1 MiB', endpoint: 'probe', interceptor: probeOverOneMebibyte(), code: RelayErrorCode.PERSONA_PROTOCOL, options: relayChallenge },
  { name: 'probe: a 200 instead of the 401', endpoint: 'probe', interceptor: async () => okJson({}), code: RelayErrorCode.INVALID_CHALLENGE, options: relayChallenge },
  {
    name: 'probe: a challenge of token_type 3',
    endpoint: 'probe',
    interceptor: async (_request, forward) => {
      const upstream = await forward();
      const header = upstream.headers['www-authenticate']!;
      const challenge = /challenge="([^"]+)"/.exec(header)![1]!;
      const edited = b64url(JSON.stringify({ ...JSON.parse(Buffer.from(challenge, 'base64url').toString('utf8')), token_type: 3 }));
      return { status: 401, headers: { ...upstream.headers, 'www-authenticate': header.replace(challenge, edited) }, body: upstream.body };
    },
    code: RelayErrorCode.INVALID_CHALLENGE,
    options: relayChallenge,
  },
  // Privacy-passes: the identified, billed call.
  { name: 'privacy-passes: a 2xx that is not JSON', endpoint: 'privacy-passes', interceptor: notJson, code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'privacy-passes: a body over 1 MiB', endpoint: 'privacy-passes', interceptor: overOneMebibyte, code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'privacy-passes: a redirect (the API key must not follow it)', endpoint: 'privacy-passes', interceptor: redirect, code: RelayErrorCode.PERSONA_API },
  { name: 'privacy-passes: an error envelope that echoes the API key and the blinded token', endpoint: 'privacy-passes', interceptor: echoingError, code: RelayErrorCode.PERSONA_API },
  { name: 'privacy-passes: blind-sig missing', endpoint: 'privacy-passes', interceptor: withField('blind-sig', undefined), code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'privacy-passes: blind-sig a number', endpoint: 'privacy-passes', interceptor: withField('blind-sig', 12345), code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'privacy-passes: blind-sig not base64url', endpoint: 'privacy-passes', interceptor: withField('blind-sig', '+/+/not*base64'), code: RelayErrorCode.INVALID_BASE64URL },
  {
    name: 'privacy-passes: blind-sig one byte short',
    endpoint: 'privacy-passes',
    interceptor: edited((body) => ({ ...body, 'blind-sig': b64url(Buffer.from(body['blind-sig'] as string, 'base64url').subarray(1)) })),
    code: RelayErrorCode.INVALID_BLIND_SIGNATURE,
  },
  {
    name: 'privacy-passes: blind-sig one byte long',
    endpoint: 'privacy-passes',
    interceptor: edited((body) => ({ ...body, 'blind-sig': b64url(Buffer.concat([Buffer.from(body['blind-sig'] as string, 'base64url'), Buffer.of(1)])) })),
    code: RelayErrorCode.INVALID_BLIND_SIGNATURE,
  },
  {
    name: 'privacy-passes: blind-sig of the right length that does not verify',
    endpoint: 'privacy-passes',
    interceptor: withField('blind-sig', b64url(Buffer.concat([Buffer.of(0x12), randomBytes(255)]))),
    code: RelayErrorCode.INVALID_BLIND_SIGNATURE,
  },
  { name: 'privacy-passes: blind-sig at least the modulus', endpoint: 'privacy-passes', interceptor: withField('blind-sig', b64url(Buffer.alloc(256, 0xff))), code: RelayErrorCode.INVALID_BLIND_SIGNATURE },
  { name: "privacy-passes: a genuine signature of Persona's key over another message", endpoint: 'privacy-passes', interceptor: signatureOfAnotherMessage, code: RelayErrorCode.INVALID_BLIND_SIGNATURE },
];

/** Undecodable answers: the redemption stays PENDING with its key and is resumed, never redone with another pass. */
const ambiguousRedemptionCases: HostileCase[] = [
  { name: 'a 2xx that is not JSON', endpoint: 'generate-claim', interceptor: notJson, code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'a body over 1 MiB', endpoint: 'generate-claim', interceptor: overOneMebibyte, code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'a JSON array', endpoint: 'generate-claim', interceptor: jsonArray, code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'token-consumed "true" (a string)', endpoint: 'generate-claim', interceptor: withField('token-consumed', 'true'), code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'token-consumed missing', endpoint: 'generate-claim', interceptor: withField('token-consumed', undefined), code: RelayErrorCode.PERSONA_PROTOCOL },
  { name: 'claim-payload an object, not a string', endpoint: 'generate-claim', interceptor: withField('claim-payload', { claim_type: CLAIM_TYPE, claim_result: 'passed' }), code: RelayErrorCode.PERSONA_PROTOCOL },
];

const plaintext: RelayOptions = { encryption: 'none' };
const perRelay: RelayOptions = { encryption: 'per-relay' };

/** Readable answers with an invalid payload: kept sealed on a SUCCEEDED record, no claim, never redeemed again. */
const invalidPayloadCases: HostileCase[] = [
  { name: 'a claim-payload that is not JSON', endpoint: 'generate-claim', interceptor: withField('claim-payload', 'passed!'), code: RelayErrorCode.INVALID_CLAIM_PAYLOAD, options: plaintext },
  {
    name: 'a claim of another claim type',
    endpoint: 'generate-claim',
    interceptor: withField('claim-payload', JSON.stringify({ claim_type: 'age_over21_verified', claim_result: 'passed', methodology: [] })),
    code: RelayErrorCode.INVALID_CLAIM_PAYLOAD,
    options: plaintext,
  },
  {
    name: 'claim_result "maybe"',
    endpoint: 'generate-claim',
    interceptor: withField('claim-payload', JSON.stringify({ claim_type: CLAIM_TYPE, claim_result: 'maybe' })),
    code: RelayErrorCode.INVALID_CLAIM_PAYLOAD,
    options: plaintext,
  },
  {
    name: 'methodology not an array of objects',
    endpoint: 'generate-claim',
    interceptor: withField('claim-payload', JSON.stringify({ claim_type: CLAIM_TYPE, claim_result: 'passed', methodology: 'trust me' })),
    code: RelayErrorCode.INVALID_CLAIM_PAYLOAD,
    options: plaintext,
  },
  { name: 'a claim-payload of 100 000 characters', endpoint: 'generate-claim', interceptor: withField('claim-payload', `{"claim_type":"${'a'.repeat(100_000)}"}`), code: RelayErrorCode.INVALID_CLAIM_PAYLOAD, options: plaintext },
  { name: 'an encrypted payload that is random bytes', endpoint: 'generate-claim', interceptor: withField('claim-payload', randomBytes(256).toString('base64')), code: RelayErrorCode.DECRYPTION_FAILED, options: perRelay },
  { name: 'a payload encrypted to another key', endpoint: 'generate-claim', interceptor: withField('claim-payload', encryptedPayload(PASSED_PAYLOAD)), code: RelayErrorCode.DECRYPTION_FAILED, options: perRelay },
  { name: 'a plaintext payload where the relay has a key (a forged "passed")', endpoint: 'generate-claim', interceptor: withField('claim-payload', PASSED_PAYLOAD), code: RelayErrorCode.DECRYPTION_FAILED, options: perRelay },
];

const finalRedemptionCases: HostileCase[] = [
  { name: 'a redirect (the pass and the relay secret must not follow it)', endpoint: 'generate-claim', interceptor: redirect, code: RelayErrorCode.PERSONA_API },
  { name: 'an error envelope that echoes the pass and the relay secret', endpoint: 'generate-claim', interceptor: echoingError, code: RelayErrorCode.PERSONA_API },
];

/** Persona rate-limits the call: a 429 with `value` as `RateLimit-Reset`; the request is not processed. */
function rateLimited(value: string): Interceptor {
  return async () => ({
    status: 429,
    headers: { 'ratelimit-limit': '300', 'ratelimit-remaining': '0', 'ratelimit-reset': value },
    body: JSON.stringify({ errors: [{ title: 'Rate limited', code: 'rate_limited' }] }),
  });
}

/**
 * `RateLimit-Reset` values a hostile or broken Persona could send: longer than any wait budget, beyond any integer
 * type, and not numbers at all. (Printable ASCII only: anything else cannot be sent as a header.)
 */
const hostileRateLimitReset: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 2, max: 999_999_999 }).map(String),
  fc.bigInt({ min: 10n ** 9n, max: 10n ** 40n }).map(String),
  fc.constantFrom('0', '1', '-1', '1.5', '1e9', 'Infinity', 'NaN', '0x10', ' 3600 ', '60, 60', ''),
  fc.string({ unit: fc.constantFrom(...'0123456789 -.,eE+x'.split('')), maxLength: 24 }),
);

/** Rate-limit budget of these cases: short, so that a reset honoured in full costs the test one second at most. */
const RATE_LIMIT_BUDGET_MS = 1_000;
const RATE_LIMIT_RETRY = { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 50, rateLimitMaxWaitMs: RATE_LIMIT_BUDGET_MS } as const;

/** The waits of each logical call of `operation`, from the retry log lines (a call starts at attempt 1). */
function waitsPerCall(logger: ReturnType<typeof capturingLogger>, operation: string): number[] {
  const totals: number[] = [];
  for (const { context } of logger.entries) {
    if (context?.operation !== operation) continue;
    if (context.attempt === 1) totals.push(0);
    if (context.outcome === 'retry') totals[totals.length - 1]! += context.delayMs as number;
  }
  return totals;
}

// ---- the suite, per storage --------------------------------------------------------------------------

describe.each([memoryBackend, pgliteBackend])('hostile Persona · $name', (backend) => {
  const h = useRelayHarness(backend, persona);

  /** Services on this test's storage, talking to the hostile server, logging into `logger`. */
  function services(options: RelayOptions = {}) {
    const logger = capturingLogger();
    const relay = h.relay({ encryption: 'none', retry: { maxRetries: 2 }, ...options }, { logger });
    return { relay, logger };
  }

  /** A session whose pass was issued honestly and whose user finished the verification (passed). */
  async function readySession(relay: TestRelay) {
    const session = await relay.services.sessions.create(SUBJECT);
    await relay.services.drain();
    expect(await passCounts(h.inspect)).toBe(1);
    await emulator.complete(session.accessToken, 'passed');
    return session;
  }

  describe('relay creation', () => {
    it.each(relayCreationCases)('$name → $code; no session stored, nothing else asked of Persona', async ({ endpoint, interceptor, code, options }) => {
      const { relay, logger } = services(options);
      hostile.on(endpoint, interceptor);
      const error = await failure(relay.services.sessions.create(SUBJECT));
      await relay.services.drain();
      expectCleanRelayError(error, code, logger);
      expect(await h.inspect.sessions.count()).toBe(0);
      expect(await passCounts(h.inspect)).toBe(0);
      expect(hostile.requests.filter((r) => r.endpoint !== 'relays')).toEqual([]);
      expect(await emulator.state()).toMatchObject({ passesIssued: 0, passesRedeemed: 0 });
    });

    // Stored, such a secret would fail every later use (the probe and the claim send it as a header).
    it('a relay-secret that cannot go in a header → PERSONA_PROTOCOL at creation, no session stored', async () => {
      const { relay, logger } = services();
      hostile.on('relays', withField('relay-secret', 'd2b6c3e0-1111-4222-8333-444455556666\r\nX-Injected: 1'));
      const error = await failure(relay.services.sessions.create(SUBJECT));
      expectCleanRelayError(error, RelayErrorCode.PERSONA_PROTOCOL, logger);
      expect(await h.inspect.sessions.count()).toBe(0);
    });
  });

  describe('issuance', () => {
    it.each(issuanceCases)('$name → $code; no pass stored, no redemption sent', async ({ endpoint, interceptor, code, options }) => {
      const { relay, logger } = services(options);
      hostile.on(endpoint, interceptor);
      // The at-creation issuance fails in the background; the claim then issues on demand and fails alike.
      const session = await relay.services.sessions.create(SUBJECT);
      await relay.services.drain();
      await emulator.complete(session.accessToken, 'passed');
      const error = await failure(relay.services.claims.redeem(SUBJECT, session.sessionId));
      expectCleanRelayError(error, code, logger);

      expect(await passCounts(h.inspect)).toBe(0);
      expect(Object.values(await h.inspect.redemptions.countByState()).reduce((a, b) => a + b, 0)).toBe(0);
      expect(await relay.services.claims.hasClaim(SUBJECT, CLAIM_TYPE)).toBe(false);
      expect(hostile.seen('generate-claim')).toEqual([]);
      expect((await emulator.state()).passesRedeemed).toBe(0);
      if (endpoint === 'privacy-passes') expectIdempotentIssuance();
      // An unusable challenge or key is refused before the billed call.
      else expect(hostile.seen('privacy-passes')).toEqual([]);
    });

    it('a 429 with any RateLimit-Reset on the billed call holds each issuance at most the budget, bills nothing twice, stores nothing', async () => {
      const { relay, logger } = services({ retry: RATE_LIMIT_RETRY });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(hostileRateLimitReset, async (reset) => {
          const subject = `rate-limited-${(run += 1)}`;
          hostile.on('privacy-passes', rateLimited(reset));
          logger.entries.length = 0;
          const session = await relay.services.sessions.create(subject);
          await relay.services.drain();
          await emulator.complete(session.accessToken, 'passed');
          // The background issuance failed; the claim issues on demand and meets the same 429.
          const error = await failure(relay.services.claims.redeem(subject, session.sessionId));
          expectCleanRelayError(error, RelayErrorCode.PERSONA_API, logger);
          const waits = waitsPerCall(logger, 'create-privacy-pass');
          expect(waits).toHaveLength(2);
          for (const waited of waits) {
            expect(waited).toBeLessThanOrEqual(RATE_LIMIT_BUDGET_MS + RATE_LIMIT_RETRY.maxRetries * RATE_LIMIT_RETRY.maxDelayMs);
          }
          expect(await passCounts(h.inspect)).toBe(0);
          expectIdempotentIssuance();
        }),
        { numRuns: 6 },
      );
      expect(hostile.seen('generate-claim')).toEqual([]);
      expect(await emulator.state()).toMatchObject({ passesIssued: 0, passesRedeemed: 0 });
    });

    // Not only an HTTP answer without a usable challenge: a probe failing below HTTP (here a body
    // over 1 MiB) falls back too.
    it('falls back to the challenge endpoint when the probe itself fails (challengeSource auto)', async () => {
      const { relay } = services({ challengeSource: 'auto' });
      hostile.on('probe', probeOverOneMebibyte());
      await relay.services.sessions.create(SUBJECT);
      await relay.services.drain();
      expect(hostile.seen('challenge')).toHaveLength(1);
      expect(await passCounts(h.inspect)).toBe(1);
    });

    it("falls back to the challenge endpoint when the relay's 401 carries no usable challenge (challengeSource auto)", async () => {
      const { relay } = services({ challengeSource: 'auto' });
      hostile.on('probe', probeAuthenticate('Basic realm="persona"'));
      const session = await readySession(relay);
      expect(hostile.seen('challenge')).toHaveLength(1);
      expect(await relay.services.claims.redeem(SUBJECT, session.sessionId)).toMatchObject({ result: 'passed' });
    });
  });

  describe('redemption', () => {
    it.each(ambiguousRedemptionCases)(
      '$name → $code; stays PENDING with its one pass and key, and resumes with them once Persona is sane',
      async ({ endpoint, interceptor, code, options }) => {
        const { relay, logger } = services(options);
        const session = await readySession(relay);
        hostile.on(endpoint, interceptor);
        const error = await failure(relay.services.claims.redeem(SUBJECT, session.sessionId));
        const [pass] = await passesOf(h, relay, session.sessionId);
        expectCleanRelayError(error, code, logger, [pass!.token]);

        const live = await h.inspect.redemptions.findLive(session.sessionId);
        expect(live).toMatchObject({ state: 'PENDING', passId: pass!.id });
        expect(pass!.state).toBe('RESERVED');
        expect(await h.storage.claims.getBySession(session.sessionId)).toBeNull();
        const sent = redemptionsSent();
        expect(sent.count).toBeGreaterThan(1); // retried…
        expect(sent.tokens.size).toBe(1); // …with one pass
        expect(sent.keys).toEqual(new Set([live!.key])); // …and one key
        expect((await emulator.state()).passesRedeemed).toBe(1);

        hostile.heal();
        expect(await relay.services.claims.redeem(SUBJECT, session.sessionId)).toMatchObject({ result: 'passed' });
        expect(redemptionsSent().keys).toEqual(new Set([live!.key]));
        expect(redemptionsSent().tokens.size).toBe(1);
        expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1, doubleSpendRejected: 0 });
      },
    );

    it.each(invalidPayloadCases)(
      '$name → $code; no claim recorded, the answer kept sealed, never redeemed again',
      async ({ endpoint, interceptor, code, options }) => {
        const { relay, logger } = services(options);
        const session = await readySession(relay);
        hostile.on(endpoint, interceptor);
        const error = await failure(relay.services.claims.redeem(SUBJECT, session.sessionId));
        const [pass] = await passesOf(h, relay, session.sessionId);
        expectCleanRelayError(error, code, logger, [pass!.token]);

        expect(await h.inspect.redemptions.findLive(session.sessionId)).toMatchObject({ state: 'SUCCEEDED', responseSealed: expect.any(String) });
        expect(pass!.state).toBe('CONSUMED'); // Persona said token-consumed: true
        expect(await h.storage.claims.getBySession(session.sessionId)).toBeNull();
        expect(await relay.services.claims.claimsOf(SUBJECT)).toEqual([]);
        expect(await relay.services.claims.hasClaim(SUBJECT, CLAIM_TYPE)).toBe(false);
        const before = redemptionsSent();
        expect(before.tokens.size).toBe(1);

        // Asked again, even with Persona sane: the stored answer is read again, nothing is sent.
        hostile.heal();
        const again = await failure(relay.services.claims.redeem(SUBJECT, session.sessionId));
        expect((again as RelayError).code).toBe(code);
        expect(redemptionsSent().count).toBe(before.count);
        expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1 });
        expect(await h.storage.claims.getBySession(session.sessionId)).toBeNull();
      },
    );

    it.each(finalRedemptionCases)('$name → $code; no claim, nothing reaches anyone else', async ({ endpoint, interceptor, code, options }) => {
      const { relay, logger } = services(options);
      const session = await readySession(relay);
      hostile.on(endpoint, interceptor);
      const error = await failure(relay.services.claims.redeem(SUBJECT, session.sessionId));
      expectCleanRelayError(error, code, logger);
      expect(await h.storage.claims.getBySession(session.sessionId)).toBeNull();
      expect(redemptionsSent()).toMatchObject({ count: 1 });
      expect((await emulator.state()).passesRedeemed).toBe(0);
    });

    it('a 429 with any RateLimit-Reset holds the redemption at most the budget, then fails cleanly and resumes with the same pass and key', async () => {
      const { relay, logger } = services({ retry: RATE_LIMIT_RETRY });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(hostileRateLimitReset, async (reset) => {
          const subject = `rate-limited-${(run += 1)}`;
          hostile.heal();
          const session = await relay.services.sessions.create(subject);
          await relay.services.drain();
          await emulator.complete(session.accessToken, 'passed');
          const keysBefore = redemptionsSent().keys.size;
          logger.entries.length = 0;

          hostile.on('generate-claim', rateLimited(reset));
          const error = await failure(relay.services.claims.redeem(subject, session.sessionId));
          expectCleanRelayError(error, RelayErrorCode.PERSONA_API, logger);
          expect((error as RelayError).context.status).toBe(429);
          const [waited] = waitsPerCall(logger, 'generate-claim');
          expect(waited).toBeLessThanOrEqual(RATE_LIMIT_BUDGET_MS + RATE_LIMIT_RETRY.maxRetries * RATE_LIMIT_RETRY.maxDelayMs);
          const live = await h.inspect.redemptions.findLive(session.sessionId);
          expect(live).toMatchObject({ state: 'PENDING' });

          hostile.heal();
          expect(await relay.services.claims.redeem(subject, session.sessionId)).toMatchObject({ result: 'passed' });
          expect(redemptionsSent().keys.size).toBe(keysBefore + 1);
        }),
        { numRuns: 6 },
      );
      expect((await emulator.state()).doubleSpendRejected).toBe(0);
    });

    // Persona's answer is stored (the pass is spent) but no claim could be read from it.
    it("does not report a session 'claimed' while its payload could not be read", async () => {
      const { relay } = services(plaintext);
      const session = await readySession(relay);
      hostile.on('generate-claim', withField('claim-payload', 'passed!'));
      await failure(relay.services.claims.redeem(SUBJECT, session.sessionId));
      const view = await relay.services.sessions.get(SUBJECT, session.sessionId);
      expect(view.state === 'claimed' ? view.claim : 'not claimed').toBeDefined();
      expect(view.state).not.toBe('claimed');
    });
  });
});

/** The passes bound to a session (or reserved for it), with their tokens opened. */
async function passesOf({ storage, inspect: inspector }: InspectedStorage, relay: TestRelay, sessionId: string) {
  const record = await inspector.redemptions.findLive(sessionId);
  const ids = record ? [record.passId] : [];
  const passes = await Promise.all(ids.map((id) => storage.passes.get(id)));
  return passes.filter((p) => p !== null).map((p) => ({ ...p, token: relay.passToken(p) }));
}
