import { constants, generateKeyPairSync, publicEncrypt, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { RelayErrorCode } from '../../../src/core/errors.js';
import { decryptClaimPayload, parseClaimPayload, readClaimPayload } from '../../../src/core/protocol/claim-payload.js';
import { expectNoSecretIn, expectRelayError } from './relay-error-assertions.js';

const PAYLOAD = '{"claim_type":"age_over18_germany","claim_result":"passed","methodology":[]}';
const WITH_METHODS = JSON.stringify({
  claim_type: 'age_over18_germany',
  claim_result: 'passed',
  methodology: [
    { method: 'facial_age_estimation', result: 'failed' },
    { method: 'document_selfie', result: 'passed' },
  ],
});

describe('parseClaimPayload', () => {
  it('parses the documented generate-claim example', () => {
    expect(parseClaimPayload(PAYLOAD, 'age_over18_germany')).toEqual({
      claimType: 'age_over18_germany',
      result: 'passed',
      methodology: [],
    });
  });

  it('parses methodology entries, keeping only method and result', () => {
    const text = JSON.stringify({
      claim_type: 'x',
      claim_result: 'failed',
      methodology: [{ method: 'live_selfie', result: 'passed', confidence: 0.9 }],
    });
    expect(parseClaimPayload(text)).toEqual({ claimType: 'x', result: 'failed', methodology: [{ method: 'live_selfie', result: 'passed' }] });
    expect(parseClaimPayload(WITH_METHODS).methodology).toHaveLength(2);
  });

  it('leaves methodology out when it is absent or null', () => {
    const absent = parseClaimPayload('{"claim_type":"age_over18_france","claim_result":"passed"}');
    expect(absent).toEqual({ claimType: 'age_over18_france', result: 'passed' });
    expect('methodology' in absent).toBe(false);
    const nulled = parseClaimPayload('{"claim_type":"x","claim_result":"passed","methodology":null}');
    expect('methodology' in nulled).toBe(false);
  });

  it('ignores unknown keys, including __proto__ and constructor', () => {
    const text = '{"claim_type":"x","claim_result":"passed","extra":{"a":1},"__proto__":{"claim_result":"failed"},"constructor":1}';
    expect(parseClaimPayload(text)).toEqual({ claimType: 'x', result: 'passed' });
  });

  it('does not accept a claim_result that only exists through __proto__', () => {
    const error = expectRelayError(
      () => parseClaimPayload('{"claim_type":"x","__proto__":{"claim_result":"passed"}}'),
      RelayErrorCode.INVALID_CLAIM_PAYLOAD,
    );
    expect(error.context['fields']).toEqual(['claim_result']);
  });

  it('takes no field from a methodology entry\'s __proto__', () => {
    const text = '{"claim_type":"x","claim_result":"passed","methodology":[{"__proto__":{"method":"m","result":"passed"}}]}';
    const error = expectRelayError(() => parseClaimPayload(text), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
    expect(error.context['fields']).toEqual(['methodology[0].method', 'methodology[0].result']);
  });

  it('treats keys named after Object.prototype members as plain data', () => {
    const text = JSON.stringify({
      claim_type: 'constructor',
      claim_result: 'passed',
      toString: 'x',
      hasOwnProperty: 1,
      valueOf: null,
      methodology: [{ method: '__proto__', result: 'failed', constructor: {} }],
    });
    expect(parseClaimPayload(text)).toEqual({ claimType: 'constructor', result: 'passed', methodology: [{ method: '__proto__', result: 'failed' }] });
  });

  it('reads only own fields, even when Object.prototype carries one of their names', () => {
    const inherited = ['claim_type', 'claim_result', 'method', 'result'];
    for (const name of inherited) Object.defineProperty(Object.prototype, name, { value: 'passed', configurable: true });
    try {
      const error = expectRelayError(() => parseClaimPayload('{"methodology":[{}]}'), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
      expect(error.context['fields']).toEqual(['claim_type', 'claim_result', 'methodology[0].method', 'methodology[0].result']);
    } finally {
      for (const name of inherited) delete (Object.prototype as Record<string, unknown>)[name];
    }
  });

  describe('rejects a deeply nested payload without overflowing the stack', () => {
    // Thousands of levels in a few dozen KiB: well under the 64 KiB cap, as each case checks.
    const DEPTH = 30_000;
    const nestedArrays = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
    const nestedObjects = '{"a":'.repeat(DEPTH / 5) + '1' + '}'.repeat(DEPTH / 5);

    it.each([
      ['as methodology', `{"claim_type":"x","claim_result":"passed","methodology":${nestedArrays}}`, ['methodology']],
      ['as claim_result', `{"claim_type":"x","claim_result":${nestedObjects}}`, ['claim_result']],
      ['inside a methodology entry', `{"claim_type":"x","claim_result":"passed","methodology":[{"method":${nestedArrays}}]}`, ['methodology[0].method', 'methodology[0].result']],
    ])('%s', (_label, text, fields) => {
      expect(text.length).toBeLessThan(64 * 1024);
      const error = expectRelayError(() => parseClaimPayload(text), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
      expect(error.context['fields']).toEqual(fields);
    });

    it('and ignores deep nesting under an unknown key', () => {
      const text = `{"claim_type":"x","claim_result":"passed","extra":${nestedArrays}}`;
      expect(parseClaimPayload(text)).toEqual({ claimType: 'x', result: 'passed' });
    });
  });

  it('accepts any non-empty method name (the list is open)', () => {
    const text = '{"claim_type":"x","claim_result":"passed","methodology":[{"method":"new_method_2030","result":"passed"}]}';
    expect(parseClaimPayload(text).methodology).toEqual([{ method: 'new_method_2030', result: 'passed' }]);
  });

  it('checks the claim type when asked to, never echoing the payload', () => {
    const text = '{"claim_type":"zz_unexpected_type","claim_result":"passed"}';
    const error = expectRelayError(() => parseClaimPayload(text, 'age_over18_germany'), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
    expect(error.message).toBe('claim payload claim_type does not match the relay claim type');
    expect(error.context).toEqual({ field: 'claim_type', expectedClaimType: 'age_over18_germany' });
    expectNoSecretIn(error, 'zz_unexpected_type');
  });

  it.each([
    ['claim_result "maybe"', { claim_type: 'x', claim_result: 'maybe' }, ['claim_result'], 'claim_result: must be "passed" or "failed"'],
    ['claim_result "PASSED"', { claim_type: 'x', claim_result: 'PASSED' }, ['claim_result'], 'claim_result'],
    ['claim_result true', { claim_type: 'x', claim_result: true }, ['claim_result'], 'claim_result'],
    ['no claim_result', { claim_type: 'x' }, ['claim_result'], 'claim_result'],
    ['no claim_type', { claim_result: 'passed' }, ['claim_type'], 'claim_type: must be a non-empty string'],
    ['empty claim_type', { claim_type: '', claim_result: 'passed' }, ['claim_type'], 'claim_type: must be a non-empty string'],
    ['numeric claim_type', { claim_type: 1, claim_result: 'passed' }, ['claim_type'], 'claim_type'],
    ['methodology an object', { claim_type: 'x', claim_result: 'passed', methodology: { method: 'm', result: 'passed' } }, ['methodology'], 'methodology: must be an array of objects'],
    ['methodology a string', { claim_type: 'x', claim_result: 'passed', methodology: 'document_selfie' }, ['methodology'], 'methodology: must be an array of objects'],
    ['methodology of strings', { claim_type: 'x', claim_result: 'passed', methodology: ['document_selfie'] }, ['methodology'], 'methodology: must be an array of objects'],
    ['methodology with null', { claim_type: 'x', claim_result: 'passed', methodology: [null] }, ['methodology'], 'methodology'],
    ['methodology of arrays', { claim_type: 'x', claim_result: 'passed', methodology: [[{ method: 'm', result: 'passed' }]] }, ['methodology'], 'methodology'],
    ['a bad entry result', { claim_type: 'x', claim_result: 'passed', methodology: [{ method: 'm', result: 'passed' }, { method: 'm', result: 'ok' }] }, ['methodology[1].result'], 'methodology[1].result: must be "passed" or "failed"'],
    ['an entry without method', { claim_type: 'x', claim_result: 'passed', methodology: [{ result: 'passed' }] }, ['methodology[0].method'], 'methodology[0].method: must be a non-empty string'],
    ['an entry with an empty method', { claim_type: 'x', claim_result: 'passed', methodology: [{ method: '', result: 'passed' }] }, ['methodology[0].method'], 'methodology[0].method'],
    ['several bad fields', { claim_type: 2, claim_result: 'x', methodology: [{}] }, ['claim_type', 'claim_result', 'methodology[0].method', 'methodology[0].result'], 'claim_type'],
  ])('rejects %s, naming the field(s)', (_label, value, fields, messagePart) => {
    const error = expectRelayError(() => parseClaimPayload(JSON.stringify(value)), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
    expect(error.context['fields']).toEqual(fields);
    expect(error.message).toContain(messagePart);
    expect(error.message.startsWith('claim payload has invalid fields: ')).toBe(true);
  });

  it.each([
    ['not JSON', 'claim_type=x SECRET-MARKER'],
    ['truncated JSON', '{"claim_type":"SECRET-MARKER",'],
    ['empty', ''],
  ])('rejects %s without echoing it', (_label, text) => {
    const error = expectRelayError(() => parseClaimPayload(text), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
    expect(error.message).toBe('claim payload is not valid JSON');
    expect(error.cause).toBeUndefined();
    if (text !== '') expectNoSecretIn(error, 'SECRET-MARKER');
  });

  it.each([
    ['an array', '[{"claim_type":"x","claim_result":"passed"}]'],
    ['null', 'null'],
    ['a string', '"passed"'],
    ['a number', '1'],
  ])('rejects JSON that is %s', (_label, text) => {
    expect(expectRelayError(() => parseClaimPayload(text), RelayErrorCode.INVALID_CLAIM_PAYLOAD).message).toBe(
      'claim payload is not a JSON object',
    );
  });

  it('never echoes field values in validation errors', () => {
    const text = JSON.stringify({ claim_type: 'SECRET-TYPE', claim_result: 'SECRET-RESULT', methodology: [{ method: 'SECRET-M', result: 'SECRET-R' }] });
    const error = expectRelayError(() => parseClaimPayload(text), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
    for (const secret of ['SECRET-TYPE', 'SECRET-RESULT', 'SECRET-M', 'SECRET-R']) expectNoSecretIn(error, secret);
  });

  it('rejects a payload larger than 64 KiB', () => {
    const huge = JSON.stringify({ claim_type: 'x', claim_result: 'passed', pad: 'p'.repeat(64 * 1024) });
    const error = expectRelayError(() => parseClaimPayload(huge), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
    expect(error.message).toContain('larger than 65536');
    expect(error.context).toEqual({ length: huge.length });
  });

  it('throws TypeError on misuse', () => {
    expect(() => parseClaimPayload({} as unknown as string)).toThrow(TypeError);
    expect(() => parseClaimPayload(PAYLOAD, 1 as unknown as string)).toThrow(TypeError);
  });
});

describe('decryptClaimPayload', () => {
  const keys: Record<2048 | 3072, { publicKey: KeyObject; privateKey: KeyObject }> = {} as never;
  let otherKey: KeyObject;

  beforeAll(() => {
    keys[2048] = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys[3072] = generateKeyPairSync('rsa', { modulusLength: 3072 });
    otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  });

  const encrypt = (publicKey: KeyObject, text: string | Uint8Array, oaepHash: 'sha256' | 'sha1') =>
    publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, typeof text === 'string' ? Buffer.from(text) : text);

  const encodings: [string, (bytes: Buffer) => string][] = [
    ['base64, padded', (bytes) => bytes.toString('base64')],
    ['base64, unpadded', (bytes) => bytes.toString('base64').replace(/=+$/, '')],
    ['base64url, unpadded', (bytes) => bytes.toString('base64url')],
    ['base64url, padded', (bytes) => bytes.toString('base64url').padEnd(Math.ceil(bytes.toString('base64url').length / 4) * 4, '=')],
    ['base64, wrapped at 60 columns', (bytes) => bytes.toString('base64').replace(/.{60}/g, '$&\n')],
  ];

  for (const bits of [2048, 3072] as const) {
    for (const oaepHash of ['sha256', 'sha1'] as const) {
      for (const [encodingName, encode] of encodings) {
        it(`decrypts RSA-${bits}, OAEP ${oaepHash}, ${encodingName}`, () => {
          const { publicKey, privateKey } = keys[bits];
          const ciphertext = encode(encrypt(publicKey, PAYLOAD, oaepHash));
          expect(decryptClaimPayload(ciphertext, privateKey)).toBe(PAYLOAD);
        });
      }
    }
  }

  it('produces ciphertexts of 344 / 512 base64 characters for 2048 / 3072-bit keys', () => {
    expect(encrypt(keys[2048].publicKey, PAYLOAD, 'sha256').toString('base64')).toHaveLength(344);
    expect(encrypt(keys[3072].publicKey, PAYLOAD, 'sha256').toString('base64')).toHaveLength(512);
  });

  it('decrypts a three-entry methodology under RSA-3072 SHA-256 (why 3072 is the default)', () => {
    const big = JSON.stringify({
      claim_type: 'age_over18_united_kingdom',
      claim_result: 'passed',
      methodology: [
        { method: 'facial_age_estimation', result: 'passed' },
        { method: 'document_selfie', result: 'passed' },
        { method: 'live_selfie', result: 'passed' },
      ],
    });
    expect(() => encrypt(keys[2048].publicKey, big, 'sha256')).toThrow();
    expect(decryptClaimPayload(encrypt(keys[3072].publicKey, big, 'sha256').toString('base64'), keys[3072].privateKey)).toBe(big);
  });

  it('fails with DECRYPTION_FAILED under the wrong key, keeping the key and payload out of the error', () => {
    const ciphertext = encrypt(keys[2048].publicKey, PAYLOAD, 'sha256').toString('base64');
    const error = expectRelayError(() => decryptClaimPayload(ciphertext, otherKey), RelayErrorCode.DECRYPTION_FAILED);
    expect(error.context).toEqual({ keyBits: 2048, oaepHashesTried: ['sha256', 'sha1'] });
    expectNoSecretIn(error, ciphertext.slice(0, 30));
    expectNoSecretIn(error, 'age_over18_germany');
  });

  it('fails with DECRYPTION_FAILED when the ciphertext length does not fit the key', () => {
    const ciphertext = encrypt(keys[2048].publicKey, PAYLOAD, 'sha256');
    const error = expectRelayError(
      () => decryptClaimPayload(ciphertext.toString('base64'), keys[3072].privateKey),
      RelayErrorCode.DECRYPTION_FAILED,
    );
    expect(error.context).toEqual({ keyBits: 3072, ciphertextBytes: 256 });
    expectRelayError(
      () => decryptClaimPayload(ciphertext.subarray(1).toString('base64'), keys[2048].privateKey),
      RelayErrorCode.DECRYPTION_FAILED,
    );
    expectRelayError(() => decryptClaimPayload('', keys[2048].privateKey), RelayErrorCode.DECRYPTION_FAILED);
  });

  it('fails with DECRYPTION_FAILED when the ciphertext was tampered with', () => {
    const ciphertext = encrypt(keys[2048].publicKey, PAYLOAD, 'sha256');
    ciphertext[100] ^= 0x01;
    expectRelayError(() => decryptClaimPayload(ciphertext.toString('base64'), keys[2048].privateKey), RelayErrorCode.DECRYPTION_FAILED);
  });

  it.each([
    ['not base64', '!!!!'],
    ['mixed alphabets', '+-AA'],
    ['plaintext JSON', PAYLOAD],
  ])('fails with DECRYPTION_FAILED for %s', (_label, text) => {
    const error = expectRelayError(() => decryptClaimPayload(text, keys[2048].privateKey), RelayErrorCode.DECRYPTION_FAILED);
    expect((error.cause as { code?: string }).code).toBe(RelayErrorCode.INVALID_BASE64URL);
    expectNoSecretIn(error, text);
  });

  it('fails with DECRYPTION_FAILED for an absurdly large ciphertext', () => {
    const error = expectRelayError(() => decryptClaimPayload('A'.repeat(64 * 1024 + 4), keys[2048].privateKey), RelayErrorCode.DECRYPTION_FAILED);
    expect(error.message).toContain('larger than 65536');
  });

  it('fails with INVALID_CLAIM_PAYLOAD when the plaintext is not UTF-8', () => {
    const ciphertext = encrypt(keys[2048].publicKey, new Uint8Array([0x7b, 0xff, 0x7d]), 'sha256').toString('base64');
    expectRelayError(() => decryptClaimPayload(ciphertext, keys[2048].privateKey), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
  });

  it('fails with INVALID_KEY for a public key or a non-RSA key', () => {
    const ciphertext = encrypt(keys[2048].publicKey, PAYLOAD, 'sha256').toString('base64');
    expectRelayError(() => decryptClaimPayload(ciphertext, keys[2048].publicKey), RelayErrorCode.INVALID_KEY);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(expectRelayError(() => decryptClaimPayload(ciphertext, ec), RelayErrorCode.INVALID_KEY).context).toEqual({
      keyType: 'private',
      asymmetricKeyType: 'ec',
    });
  });

  it('throws TypeError on misuse', () => {
    expect(() => decryptClaimPayload(1 as unknown as string, keys[2048].privateKey)).toThrow(TypeError);
    expect(() => decryptClaimPayload('AAAA', 'pem' as unknown as KeyObject)).toThrow(TypeError);
    expect(() => decryptClaimPayload('AAAA', undefined as unknown as KeyObject)).toThrow(TypeError);
  });

  describe('readClaimPayload', () => {
    it('parses plaintext when no key is given', () => {
      expect(readClaimPayload(PAYLOAD, {})).toEqual({ claimType: 'age_over18_germany', result: 'passed', methodology: [] });
      expect(readClaimPayload(PAYLOAD, { expectedClaimType: 'age_over18_germany' }).result).toBe('passed');
    });

    it('decrypts, then parses and checks the claim type', () => {
      const ciphertext = encrypt(keys[3072].publicKey, WITH_METHODS, 'sha1').toString('base64');
      expect(readClaimPayload(ciphertext, { privateKey: keys[3072].privateKey, expectedClaimType: 'age_over18_germany' })).toEqual({
        claimType: 'age_over18_germany',
        result: 'passed',
        methodology: [
          { method: 'facial_age_estimation', result: 'failed' },
          { method: 'document_selfie', result: 'passed' },
        ],
      });
      expectRelayError(
        () => readClaimPayload(ciphertext, { privateKey: keys[3072].privateKey, expectedClaimType: 'live_human_presence' }),
        RelayErrorCode.INVALID_CLAIM_PAYLOAD,
      );
    });

    it('rejects ciphertext when no key is given, and plaintext when a key is given', () => {
      const ciphertext = encrypt(keys[2048].publicKey, PAYLOAD, 'sha256').toString('base64');
      expectRelayError(() => readClaimPayload(ciphertext, {}), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
      expectRelayError(() => readClaimPayload(PAYLOAD, { privateKey: keys[2048].privateKey }), RelayErrorCode.DECRYPTION_FAILED);
    });

    it('rejects an encrypted payload whose plaintext is invalid', () => {
      const ciphertext = encrypt(keys[2048].publicKey, '{"claim_type":"x","claim_result":"unknown"}', 'sha256').toString('base64');
      const error = expectRelayError(() => readClaimPayload(ciphertext, { privateKey: keys[2048].privateKey }), RelayErrorCode.INVALID_CLAIM_PAYLOAD);
      expect(error.context['fields']).toEqual(['claim_result']);
    });

    it('throws TypeError on misuse', () => {
      expect(() => readClaimPayload(PAYLOAD, undefined as unknown as object)).toThrow(TypeError);
      expect(() => readClaimPayload(null as unknown as string, {})).toThrow(TypeError);
    });
  });
});
