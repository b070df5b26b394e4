/** Pure pieces of the emulator, checked against the protocol's vectors and examples. */
import { describe, expect, it } from 'vitest';
import { challengeExpiry } from '../../src/emulator/challenge.js';
import { fromBase64Url, toRfc3339Seconds } from '../../src/emulator/encoding.js';
import { parseChallengeTtl } from '../../src/emulator/options.js';
import { RequestLog, collectHeaders } from '../../src/emulator/request-log.js';
import { buildTokenInput, privateTokenFromAuthorization } from '../../src/emulator/token.js';

describe('token input (vector)', () => {
  it('hashes nonce, mac and key id as text', () => {
    expect(buildTokenInput('a'.repeat(64), 'b'.repeat(64), 'c'.repeat(65)).toString('hex')).toBe(
      '0002ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb' +
        'a0fab1377f49a759b57f63318262ebe89fabfc990e8e93ceac2984561482b9d4' +
        'b30855e510446ac34706c5acafeedefd5122fe9446b3f812db11e1ac3b4d0cf2',
    );
    expect(buildTokenInput('a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)).subarray(66).toString('hex')).toBe(
      '52b6419d27bd7f547cee3b92f8c17a908b8a49601ecbec161e5030de1dfe9e0a',
    );
  });
});

describe('base64url', () => {
  it.each([
    ['', ''],
    ['AQ', '01'],
    ['AQ==', '01'],
    ['AQI', '0102'],
    ['AQI=', '0102'],
    ['-_8', 'fbff'],
  ])('decodes %j', (text, hex) => {
    expect(fromBase64Url(text)?.toString('hex')).toBe(hex);
  });

  it.each(['A', 'AQ=', 'AQ===', 'A+Q', 'A/Q', 'A Q', 'AQ=A'])('rejects %j', (text) => {
    expect(fromBase64Url(text)).toBeUndefined();
  });
});

describe('challenge expiry', () => {
  const at = (iso: string) => toRfc3339Seconds(challengeExpiry(Date.parse(iso), { kind: 'next-hour' }));
  it('rounds now + 1 h up to the whole hour', () => {
    expect(at('2026-05-18T17:10:00Z')).toBe('2026-05-18T19:00:00Z');
    expect(at('2026-05-18T17:00:00Z')).toBe('2026-05-18T18:00:00Z');
    expect(at('2026-05-18T17:00:00.001Z')).toBe('2026-05-18T19:00:00Z');
  });

  it('adds a fixed TTL rounded up to the second', () => {
    const ttl = parseChallengeTtl('30s');
    expect(ttl).toEqual({ kind: 'fixed', seconds: 30 });
    expect(toRfc3339Seconds(challengeExpiry(Date.parse('2026-05-18T17:10:00.200Z'), ttl!))).toBe('2026-05-18T17:10:31Z');
    expect(parseChallengeTtl('90d')).toEqual({ kind: 'fixed', seconds: 90 * 86_400 });
    expect(parseChallengeTtl('60m')).toEqual({ kind: 'fixed', seconds: 3600 });
    for (const bad of ['', '1', 'h', '1.5h', '-1h', '0m', '1w']) expect(parseChallengeTtl(bad)).toBeUndefined();
  });
});

describe('PrivateToken authorization', () => {
  it.each([
    ['PrivateToken token=abc', 'abc'],
    ['privatetoken TOKEN="abc"', 'abc'],
    ['PrivateToken token = "a\\"b"', 'a"b'],
    ['PrivateToken max-age=5, token=abc==', 'abc=='],
    ['PrivateToken token=abc, token=def', 'abc'],
  ])('reads %j', (header, token) => {
    expect(privateTokenFromAuthorization(header)).toBe(token);
  });

  it.each([undefined, '', 'Bearer abc', 'PrivateToken', 'PrivateToken token=', 'PrivateTokens token=abc'])(
    'finds no token in %j',
    (header) => {
      expect(privateTokenFromAuthorization(header)).toBeUndefined();
    },
  );
});

describe('request log', () => {
  it('keeps the last 1000 entries, oldest first', () => {
    const log = new RequestLog();
    for (let i = 0; i < 1005; i++) {
      log.append({ at: '', method: 'POST', path: `/api/${i}`, status: 200, headers: {}, body: null, remotePort: 1, dropped: false });
    }
    expect(log.entries()).toHaveLength(1000);
    expect(log.entries()[0]!.path).toBe('/api/5');
  });

  it('joins repeated headers and lower-cases names', () => {
    const raw = ['X-A', '1', 'x-a', '2', 'Authorization', 'one', 'AUTHORIZATION', 'two', '__proto__', 'p'];
    expect({ ...collectHeaders(raw) }).toEqual({
      'x-a': '1, 2',
      authorization: 'one, two',
      ['__proto__']: 'p',
    });
  });
});
