/**
 * Property tests over every parser that reads untrusted input: whatever the
 * bytes, a parser answers or throws RelayError (TypeError only for values of
 * the wrong JavaScript type). Never a crash of another kind, never a hang.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RelayError } from '../../src/core/errors.js';
import { loadOptionsFromEnv, resolveRelayOptions } from '../../src/core/config/index.js';
import {
  decodeBase64Flexible,
  decodeBase64url,
  decodeChallenge,
  decodePrivacyPassToken,
  encodeBase64url,
  encodePrivacyPassToken,
  findPrivateTokenChallenge,
  parseAuthenticateHeader,
  parseClaimPayload,
  readClaimPayload,
} from '../../src/core/protocol/index.js';

const RUNS = 3_000;

/** Runs `parse` and fails the property if it throws anything but RelayError or TypeError. */
function onlyRelayErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof RelayError) && !(error instanceof TypeError)) throw error;
  }
}

const b64url = (text: string) => Buffer.from(text).toString('base64url');

/** Strings biased towards the parsers' own alphabet: quotes, commas, equals, backslashes, base64url. */
const headerish = fc.stringMatching(/^[A-Za-z0-9=,"\\ \t_\-.:/+]{0,200}$/);
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

/** Challenge objects close to valid, with every field possibly replaced by junk. */
const challengeObject = fc.record(
  {
    token_type: fc.oneof(fc.constant(2), jsonValue),
    issuer_name: fc.oneof(fc.constant('withpersona.com/api/v1/privacy-passes'), jsonValue),
    origin_info: fc.oneof(fc.constant('/api/privacy/v1/relays'), jsonValue),
    expires_at: fc.oneof(fc.constant('2026-05-18T18:00:00Z'), fc.string(), jsonValue),
    mac: fc.oneof(hex64, jsonValue),
  },
  { requiredKeys: [] },
);

describe('parsers never throw anything but RelayError/TypeError', () => {
  it('WWW-Authenticate on arbitrary and header-like strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), headerish, fc.string({ unit: 'binary', maxLength: 100 })), (header) => {
        expect(Array.isArray(parseAuthenticateHeader(header))).toBe(true);
        onlyRelayErrors(() => findPrivateTokenChallenge(header));
      }),
      { numRuns: RUNS },
    );
  });

  it('WWW-Authenticate built from PrivateToken parameters with random values', () => {
    const value = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/), fc.string({ maxLength: 40 }));
    fc.assert(
      fc.property(value, value, value, fc.boolean(), (challenge, tokenKey, keyId, quoted) => {
        const q = (v: string) => (quoted ? `"${v.replace(/["\\]/g, '\\$&')}"` : v);
        onlyRelayErrors(() => findPrivateTokenChallenge(`PrivateToken challenge=${q(challenge)}, token-key=${q(tokenKey)}, token-key-id=${q(keyId)}`));
      }),
      { numRuns: RUNS },
    );
  });

  it('base64url decoders', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.base64String({ maxLength: 100 })), (text) => {
        onlyRelayErrors(() => decodeBase64url(text, 'value'));
        onlyRelayErrors(() => decodeBase64Flexible(text, 'value'));
      }),
      { numRuns: RUNS },
    );
  });

  it('challenges: random strings, random JSON, and near-valid objects', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), jsonValue.map((v) => b64url(JSON.stringify(v))), challengeObject.map((v) => b64url(JSON.stringify(v)))), (text) => {
        onlyRelayErrors(() => decodeChallenge(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('Privacy Pass tokens: random strings, random JSON, and near-valid objects', () => {
    const tokenObject = fc.record(
      {
        token_nonce: fc.oneof(hex64, jsonValue),
        signature: fc.oneof(fc.uint8Array({ minLength: 256, maxLength: 256 }).map((b) => encodeBase64url(b)), jsonValue),
        key_id: fc.oneof(hex64, jsonValue),
        challenge: fc.oneof(challengeObject, jsonValue),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), jsonValue.map((v) => b64url(JSON.stringify(v))), tokenObject.map((v) => b64url(JSON.stringify(v)))), (text) => {
        onlyRelayErrors(() => decodePrivacyPassToken(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('claim payloads: random strings, random JSON, near-valid objects, and undecryptable ciphertexts', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const payloadObject = fc.record(
      {
        claim_type: fc.oneof(fc.constant('age_over18_verified'), jsonValue),
        claim_result: fc.oneof(fc.constantFrom('passed', 'failed'), jsonValue),
        methodology: fc.oneof(fc.constant([]), fc.array(fc.record({ method: jsonValue, result: jsonValue }), { maxLength: 3 }), jsonValue),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), jsonValue.map((v) => JSON.stringify(v)), payloadObject.map((v) => JSON.stringify(v))), (text) => {
        onlyRelayErrors(() => parseClaimPayload(text, 'age_over18_verified'));
        onlyRelayErrors(() => readClaimPayload(text, { privateKey }));
      }),
      { numRuns: RUNS },
    );
  });

  it('configuration: random option objects and random environments', () => {
    const optionValue = fc.oneof(jsonValue, fc.string(), fc.integer(), fc.boolean());
    const keys = ['apiKey', 'apiUrl', 'claimType', 'sandbox', 'storageKey', 'encryption', 'issuance', 'pool', 'challengeSource', 'cookieSecret', 'retry', 'unknownOption'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), optionValue), fc.dictionary(fc.constantFrom('PERSONA_API_KEY', 'RELAY_POOL_SIZE', 'RELAY_SANDBOX', 'RELAY_ENCRYPTION', 'RELAY_STORAGE_KEYS', 'RELAY_ALLOWED_CLAIM_TYPES'), fc.string()), (options, env) => {
        onlyRelayErrors(() => resolveRelayOptions(options as never));
        onlyRelayErrors(() => resolveRelayOptions(loadOptionsFromEnv(env)));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('round trips', () => {
  it('a Privacy Pass token decodes to what was encoded', () => {
    fc.assert(
      fc.property(
        hex64,
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        fc.stringMatching(/^[a-z0-9]{1,64}$/),
        fc.stringMatching(/^[0-9a-f]{1,64}$/),
        (nonce, signature, keyId, mac) => {
          const challenge = { token_type: 2, issuer_name: 'i', origin_info: '/api/privacy/v1/relays', expires_at: '2026-05-18T18:00:00Z', mac };
          const decoded = decodePrivacyPassToken(encodePrivacyPassToken({ tokenNonce: nonce, signature, keyId, challenge }));
          expect(decoded.tokenNonce).toBe(nonce);
          expect(Buffer.from(decoded.signature).equals(Buffer.from(signature))).toBe(true);
          expect(decoded.keyId).toBe(keyId);
          expect(decoded.challenge).toEqual(challenge);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
