import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets, sanitizeJson, sanitizeText } from '../../../src/core/persona/redaction.js';
import { fieldSpellings, readField } from '../../../src/core/persona/response-body.js';

describe('redaction', () => {
  it('removes known values, longest first', () => {
    expect(redactSecrets('a-abc-abcdef', ['abc', 'abcdef'])).toBe(`a-${REDACTED}-${REDACTED}`);
  });

  it('ignores empty secrets', () => {
    expect(redactSecrets('text', [''])).toBe('text');
  });

  it('flattens control characters and bounds the length', () => {
    expect(sanitizeText('a\nb\u2028c\u0000d', [], 100)).toBe('a b c d');
    expect(sanitizeText('abcdef', [], 3)).toBe('abc…');
  });

  it('sanitizes JSON deeply, keys included, and drops what is too deep', () => {
    expect(sanitizeJson({ k: ['s3cret', { s3cret: 1 }], n: 2, deep: { a: { b: 1 } } }, ['s3cret'], 50, 2)).toEqual({
      k: [REDACTED, undefined],
      n: 2,
      deep: { a: undefined },
    });
  });
});

describe('field spellings', () => {
  it('derives camel and snake names from kebab', () => {
    expect(fieldSpellings('relay-session-access-token')).toEqual([
      'relay-session-access-token',
      'relaySessionAccessToken',
      'relay_session_access_token',
    ]);
    expect(fieldSpellings('challenge')).toEqual(['challenge', 'challenge', 'challenge']);
  });

  it('takes the first present spelling and ignores inherited properties', () => {
    expect(readField({ token_key_id: 's', tokenKeyId: 'c' }, 'token-key-id')).toBe('c');
    expect(readField(Object.create({ challenge: 'inherited' }) as Record<string, unknown>, 'challenge')).toBeUndefined();
  });
});
