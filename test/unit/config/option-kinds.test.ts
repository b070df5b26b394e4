import { describe, expect, it } from 'vitest';
import {
  anyText,
  claimTypeList,
  flag,
  integerBetween,
  keyMap,
  oneOf,
  pemText,
  textMatching,
  trustedProxies,
} from '../../../src/core/config/option-kinds.js';

describe('option kinds: environment text', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', true],
    ['false', false],
    ['FALSE', false],
    ['0', false],
  ])('flag parses %j', (text, value) => {
    expect(flag.parse(text)).toEqual({ value });
  });

  it.each(['yes', 'no', 'on', '2', 't', 'truee'])('flag refuses %j', (text) => {
    expect(flag.parse(text)).toEqual({ problem: 'must be true, false, 1 or 0' });
  });

  it.each([
    ['42', 42],
    ['+42', 42],
    ['-1', -1],
    ['0', 0],
    ['007', 7],
  ])('integers parse %j (range is the rule’s business)', (text, value) => {
    expect(integerBetween(0, 10).parse(text)).toEqual({ value });
  });

  it.each(['ten', '1.5', '1e3', '0x10', '10ms', '1_000', '99999999999999999999', '-', 'Infinity', 'NaN'])(
    'integers refuse %j without echoing it',
    (text) => {
      expect(integerBetween(0, 10).parse(text)).toEqual({ problem: 'must be an integer' });
    },
  );

  it('reads numeric choices as integers and text choices as they are (validated later)', () => {
    expect(oneOf([2048, 4096]).parse('4096')).toEqual({ value: 4096 });
    expect(oneOf([2048, 4096]).parse('big')).toEqual({ problem: 'must be an integer' });
    expect(oneOf(['a', 'b']).parse('A')).toEqual({ value: 'A' });
  });

  it('splits claim type lists, dropping empty items', () => {
    expect(claimTypeList.parse(' a , b,,c, ')).toEqual({ value: ['a', 'b', 'c'] });
  });

  it('parses key maps as id:base64 pairs, keeping a __proto__ id as data', () => {
    expect(keyMap.parse('old : AAAA== , new:BBBB')).toEqual({ value: { old: 'AAAA==', new: 'BBBB' } });
    const parsed = keyMap.parse('__proto__:AAAA') as { value: Record<string, string> };
    expect(Object.hasOwn(parsed.value, '__proto__')).toBe(true);
  });

  it.each([
    ['an entry without a colon', 'k1:AAAA,BBBB', 'must be a comma-separated list of id:base64 entries'],
    ['an empty id', ':AAAA', 'must be a comma-separated list of id:base64 entries'],
    ['an empty key', 'k1:', 'must be a comma-separated list of id:base64 entries'],
    ['a repeated id', 'k1:AAAA,k1:BBBB', 'names a key id more than once'],
  ])('refuses a key map with %s, never echoing keys', (_label, text, problem) => {
    expect(keyMap.parse(text)).toEqual({ problem });
  });

  it('reads trusted proxies as a hop count or a comma-separated list of addresses and ranges', () => {
    expect(trustedProxies.parse('2')).toEqual({ value: 2 });
    expect(trustedProxies.parse('loopback, 10.0.0.0/8 ,fd00::/8')).toEqual({ value: ['loopback', '10.0.0.0/8', 'fd00::/8'] });
  });

  it('turns literal \\n in PEM text into line breaks, but leaves real line breaks alone', () => {
    expect(pemText.parse('-----BEGIN PUBLIC KEY-----\\nMIIB\\n-----END PUBLIC KEY-----')).toEqual({
      value: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----',
    });
    const multi = '-----BEGIN PRIVATE KEY-----\nMII\\nB\n-----END PRIVATE KEY-----';
    expect(pemText.parse(multi)).toEqual({ value: multi });
  });
});

describe('option kinds: rules', () => {
  it('integerBetween accepts both ends and nothing else', () => {
    const kind = integerBetween(1, 10);
    expect(kind.check(1)).toBeUndefined();
    expect(kind.check(10)).toBeUndefined();
    for (const value of [0, 11, 1.5, Number.NaN, Infinity, '5', null, undefined]) {
      expect(kind.check(value), String(value)).toBe('must be an integer from 1 to 10');
    }
  });

  it('oneOf names the choices and matches exactly', () => {
    expect(oneOf(['a', 'b']).check('a')).toBeUndefined();
    expect(oneOf(['a', 'b']).check('A')).toBe('must be one of "a", "b"');
    expect(oneOf([2048, 3072]).check('2048')).toBe('must be one of 2048, 3072');
  });

  it('flag, text and key maps check the type', () => {
    expect(flag.check(false)).toBeUndefined();
    expect(flag.check('true')).toBe('must be true or false');
    expect(anyText.check('')).toBeUndefined();
    expect(anyText.check(42)).toBe('must be a string');
    expect(textMatching(/^x+$/, 'must be xs').check('xy')).toBe('must be xs');
    expect(keyMap.check({ a: 'b' })).toBeUndefined();
    for (const value of ['k1:abc', ['a'], null]) expect(keyMap.check(value)).toBe('must be an object mapping key ids to base64 keys');
  });

  it.each([[['a', 'B']], ['age_over18_verified'], [[1]], [['age_over18_verified', '']]])('claimTypeList refuses %j', (value) => {
    expect(claimTypeList.check(value)).toBe('must be an array of claim types matching ^[a-z0-9_]{1,100}$');
  });

  it('trustedProxies takes hop counts and lists proxy-addr understands, nothing else', () => {
    for (const value of [0, 3, ['loopback'], ['203.0.113.7', '10.0.0.0/8', '::1', 'fd00::/8', '192.168.0.0/255.255.0.0']]) {
      expect(trustedProxies.check(value), JSON.stringify(value)).toBeUndefined();
    }
    for (const value of [-1, 1.5, 101, true, 'loopback', ['not-an-address'], ['10.0.0.0/33'], [1]]) {
      expect(trustedProxies.check(value), JSON.stringify(value)).toBe(
        'must be a hop count from 0 to 100, or an array of proxy addresses and CIDR ranges',
      );
    }
  });

  it('never echoes the value in a problem', () => {
    const secret = 'SECRET-VALUE';
    for (const kind of [flag, integerBetween(0, 1), oneOf(['a']), claimTypeList, keyMap, trustedProxies, textMatching(/^$/, 'must be empty')]) {
      expect(kind.check(secret) ?? '').not.toContain(secret);
      const parsed = kind.parse(`${secret},:`);
      if ('problem' in parsed) expect(parsed.problem).not.toContain(secret);
    }
  });
});
