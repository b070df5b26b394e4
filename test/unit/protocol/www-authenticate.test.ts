import { describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode } from '../../../src/core/errors.js';
import {
  findPrivateTokenChallenge,
  parseAuthenticateHeader,
  type AuthChallenge,
} from '../../../src/core/protocol/www-authenticate.js';
import { expectRelayError } from './relay-error-assertions.js';

const CHALLENGE =
  'eyJ0b2tlbl90eXBlIjoyLCJpc3N1ZXJfbmFtZSI6IndpdGhwZXJzb25hLmNvbS9hcGkvdjEvcHJpdmFjeS1wYXNzZXMiLCJvcmlnaW5faW5mbyI6Ii9hcGkvcHJpdmFjeS92MS9yZWxheXMiLCJleHBpcmVzX2F0IjoiMjAyNi0wNS0xOFQxODowMDowMFoiLCJtYWMiOiJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiIn0';
const TOKEN_KEY = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA';
const TOKEN_KEY_ID = '5f1c'.repeat(16);
const EXPECTED = { challenge: CHALLENGE, tokenKey: TOKEN_KEY, tokenKeyId: TOKEN_KEY_ID };
/** What the emulator emits: this order, quoted, unpadded. */
const EMULATOR_HEADER = `PrivateToken challenge="${CHALLENGE}", token-key="${TOKEN_KEY}", token-key-id="${TOKEN_KEY_ID}"`;

function params(challenge: AuthChallenge): Record<string, string> {
  return { ...challenge.params };
}

describe('parseAuthenticateHeader', () => {
  it('parses the emulator header', () => {
    const [challenge, ...rest] = parseAuthenticateHeader(EMULATOR_HEADER);
    expect(rest).toEqual([]);
    expect(challenge!.scheme).toBe('privatetoken');
    expect(params(challenge!)).toEqual({ challenge: CHALLENGE, 'token-key': TOKEN_KEY, 'token-key-id': TOKEN_KEY_ID });
    expect(challenge!.invalidReason).toBeUndefined();
    expect(challenge!.token68).toBeUndefined();
  });

  it('returns nothing for an empty or blank header', () => {
    expect(parseAuthenticateHeader('')).toEqual([]);
    expect(parseAuthenticateHeader('   ')).toEqual([]);
    expect(parseAuthenticateHeader(' , ,, ')).toEqual([]);
  });

  it('parses a scheme without parameters', () => {
    const parsed = parseAuthenticateHeader('Negotiate');
    expect(parsed).toHaveLength(1);
    expect(parsed[0]!.scheme).toBe('negotiate');
    expect(params(parsed[0]!)).toEqual({});
  });

  it('parses several challenges, including schemes without parameters between them', () => {
    const parsed = parseAuthenticateHeader('Negotiate, Basic realm="a, b", Bearer error="x", scope="y z"');
    expect(parsed.map((c) => c.scheme)).toEqual(['negotiate', 'basic', 'bearer']);
    expect(params(parsed[1]!)).toEqual({ realm: 'a, b' });
    expect(params(parsed[2]!)).toEqual({ error: 'x', scope: 'y z' });
  });

  it('lower-cases scheme and parameter names but not values', () => {
    const [challenge] = parseAuthenticateHeader('PRIVATETOKEN Challenge="AbC", TOKEN-KEY=XyZ');
    expect(challenge!.scheme).toBe('privatetoken');
    expect(params(challenge!)).toEqual({ challenge: 'AbC', 'token-key': 'XyZ' });
  });

  it('unescapes quoted strings', () => {
    const [challenge] = parseAuthenticateHeader(String.raw`X a="say \"hi\"", b="back\\slash", c="\q", d=""`);
    expect(params(challenge!)).toEqual({ a: 'say "hi"', b: 'back\\slash', c: 'q', d: '' });
  });

  it('keeps commas, equals signs and spaces inside quoted strings', () => {
    const [challenge] = parseAuthenticateHeader('X a="1, b=2", c=3');
    expect(params(challenge!)).toEqual({ a: '1, b=2', c: '3' });
  });

  it('accepts unquoted token values and padded base64url (rule 7)', () => {
    const [challenge] = parseAuthenticateHeader('PrivateToken challenge=YWI=, token-key=YQ==, token-key-id=abc123');
    expect(params(challenge!)).toEqual({ challenge: 'YWI=', 'token-key': 'YQ==', 'token-key-id': 'abc123' });
  });

  it('accepts whitespace around "=" (BWS) and around commas, and tabs', () => {
    const [challenge] = parseAuthenticateHeader('X  a = "1" ,\tb\t=\t2 ,c= 3');
    expect(params(challenge!)).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('accepts several fields joined by Node ("a, b")', () => {
    const joined = ['Basic realm="x"', EMULATOR_HEADER].join(', ');
    expect(parseAuthenticateHeader(joined).map((c) => c.scheme)).toEqual(['basic', 'privatetoken']);
  });

  it('parses the token68 form', () => {
    expect(parseAuthenticateHeader('Basic dXNlcjpwYXNz')).toEqual([{ scheme: 'basic', params: {}, token68: 'dXNlcjpwYXNz' }]);
    expect(parseAuthenticateHeader('Foo abc==, Bar')[0]!.token68).toBe('abc==');
    expect(parseAuthenticateHeader('Foo a-b._~+/c')[0]!.token68).toBe('a-b._~+/c');
  });

  it('treats "name =" followed by a value as a parameter, not token68', () => {
    const [challenge] = parseAuthenticateHeader('Foo realm = x');
    expect(challenge!.token68).toBeUndefined();
    expect(params(challenge!)).toEqual({ realm: 'x' });
  });

  it('starts a new challenge when a name after a comma is not followed by "=" (rule 4)', () => {
    const parsed = parseAuthenticateHeader('A x=1, B, C y=2, z=3');
    expect(parsed.map((c) => [c.scheme, params(c)])).toEqual([
      ['a', { x: '1' }],
      ['b', {}],
      ['c', { y: '2', z: '3' }],
    ]);
  });

  it('marks a challenge that repeats a parameter (rule 6), also case-insensitively', () => {
    const [first, second] = parseAuthenticateHeader('A x=1, x=2, B y=1, Y=2');
    expect(first!.invalidReason).toBe('repeats parameter "x"');
    expect(first!.params['x']).toBe('1');
    expect(second!.invalidReason).toBe('repeats parameter "y"');
  });

  it('marks an unterminated quoted string and stops there', () => {
    const parsed = parseAuthenticateHeader('PrivateToken challenge="abc, token-key=k, token-key-id=i');
    expect(parsed).toHaveLength(1);
    expect(parsed[0]!.invalidReason).toBe('has an unterminated quoted string');
    expect(params(parsed[0]!)).toEqual({});
  });

  it('does not let a misplaced quote pair turn into parameters', () => {
    const [challenge] = parseAuthenticateHeader('PrivateToken challenge="abc, token-key="k", token-key-id="i"');
    // "abc, token-key=" is one quoted string; the k right after it is stray text.
    expect(challenge!.invalidReason).toBe('has unexpected text after parameter "challenge"');
  });

  it('marks a trailing backslash inside quotes as unterminated', () => {
    expect(parseAuthenticateHeader('X a="abc\\')[0]!.invalidReason).toBe('has an unterminated quoted string');
  });

  it('marks a parameter without a value', () => {
    expect(parseAuthenticateHeader('X a=1, b=')[0]!.invalidReason).toBe('has a parameter without a value');
    expect(parseAuthenticateHeader('X a=1, b= , c=2')[0]!.invalidReason).toBe('has a parameter without a value');
  });

  it('marks text after a value', () => {
    expect(parseAuthenticateHeader('X a=1 2')[0]!.invalidReason).toBe('has unexpected text after parameter "a"');
    expect(parseAuthenticateHeader('X a="1"2')[0]!.invalidReason).toBe('has unexpected text after parameter "a"');
  });

  it('marks a scheme glued to other text', () => {
    expect(parseAuthenticateHeader('X"a"')[0]!.invalidReason).toBe('has no space after the scheme');
  });

  it('marks text after the scheme that is neither token68 nor a parameter', () => {
    expect(parseAuthenticateHeader('X a b')[0]!.invalidReason).toBe(
      'has text after the scheme that is neither token68 nor a parameter',
    );
    expect(parseAuthenticateHeader('X "quoted"')[0]!.invalidReason).toBe(
      'has text after the scheme that is neither token68 nor a parameter',
    );
  });

  it('marks token68 mixed with parameters', () => {
    expect(parseAuthenticateHeader('X abc==, a=1')[0]!.invalidReason).toBe('mixes token68 and parameters');
  });

  it('marks stray text after a comma as part of the current challenge', () => {
    const [challenge, next] = parseAuthenticateHeader('X a=1, "junk", Y b=2');
    expect(challenge!.invalidReason).toBe('contains text that is neither a scheme nor a parameter');
    expect(next!.scheme).toBe('y');
    expect(next!.invalidReason).toBeUndefined();
  });

  it('drops parameters that precede any scheme and stray text at the start', () => {
    expect(parseAuthenticateHeader('realm="x, y", Basic')).toEqual([{ scheme: 'basic', params: {} }]);
    expect(parseAuthenticateHeader('"junk, more", Basic')).toEqual([{ scheme: 'basic', params: {} }]);
  });

  it('resynchronises after a broken challenge, stepping over quoted commas', () => {
    const parsed = parseAuthenticateHeader('X a=1 junk="p, q", Y b=2');
    expect(parsed.map((c) => c.scheme)).toEqual(['x', 'y']);
    expect(parsed[0]!.invalidReason).toBeDefined();
    expect(params(parsed[1]!)).toEqual({ b: '2' });
  });

  it('stores parameter names such as __proto__ as plain keys', () => {
    const [challenge] = parseAuthenticateHeader('X __proto__=1, constructor=2');
    expect(Object.hasOwn(challenge!.params, '__proto__')).toBe(true);
    expect(challenge!.params['__proto__']).toBe('1');
    expect(challenge!.params['constructor']).toBe('2');
  });

  it('bounds a long parameter name in the reason', () => {
    const name = 'n'.repeat(500);
    const [challenge] = parseAuthenticateHeader(`X ${name}=1, ${name}=2`);
    expect(challenge!.invalidReason!.length).toBeLessThan(80);
  });

  it('throws TypeError for a non-string', () => {
    expect(() => parseAuthenticateHeader(undefined as unknown as string)).toThrow(TypeError);
    expect(() => parseAuthenticateHeader(['a'] as unknown as string)).toThrow(TypeError);
  });
});

describe('findPrivateTokenChallenge', () => {
  it('reads the emulator header', () => {
    expect(findPrivateTokenChallenge(EMULATOR_HEADER)).toEqual(EXPECTED);
  });

  it('reads the documented example (lower-case scheme, unquoted value, no space after a comma, max-age ignored)', () => {
    const header =
      'Basic realm="x", privatetoken challenge=eyJ0…,token-key="MIIB…", token-key-id="5f1c…", max-age=3600';
    expect(findPrivateTokenChallenge(header)).toEqual({ challenge: 'eyJ0…', tokenKey: 'MIIB…', tokenKeyId: '5f1c…' });
  });

  it('accepts the parameters in any order, with unknown parameters and padded unquoted values', () => {
    const header = `PrivateToken max-age=10, token-key-id=${TOKEN_KEY_ID}, issuer="x", token-key=${TOKEN_KEY}==, challenge=${CHALLENGE}`;
    expect(findPrivateTokenChallenge(header)).toEqual({ ...EXPECTED, tokenKey: `${TOKEN_KEY}==` });
  });

  it('ignores other schemes before and after', () => {
    const header = `Bearer realm="api", Basic dXNlcg==, ${EMULATOR_HEADER}, Digest nonce="n"`;
    expect(findPrivateTokenChallenge(header)).toEqual(EXPECTED);
  });

  it('uses the first usable PrivateToken challenge when there are several', () => {
    const other = `PrivateToken challenge="other", token-key="k2", token-key-id="i2"`;
    expect(findPrivateTokenChallenge(`${EMULATOR_HEADER}, ${other}`)).toEqual(EXPECTED);
    expect(findPrivateTokenChallenge(`${other}, ${EMULATOR_HEADER}`)).toEqual({
      challenge: 'other',
      tokenKey: 'k2',
      tokenKeyId: 'i2',
    });
  });

  it('skips a PrivateToken challenge with a repeated parameter and uses the next usable one', () => {
    const repeated = 'PrivateToken challenge="a", challenge="b", token-key="k", token-key-id="i"';
    expect(findPrivateTokenChallenge(`${repeated}, ${EMULATOR_HEADER}`)).toEqual(EXPECTED);
  });

  it('rejects a header whose only PrivateToken challenge repeats a parameter', () => {
    const error = expectRelayError(
      () => findPrivateTokenChallenge(`${EMULATOR_HEADER}, token-key="again"`),
      RelayErrorCode.INVALID_CHALLENGE,
    );
    expect(error.message).toContain('repeats parameter "token-key"');
    expect(error.context).toMatchObject({ challenges: 1, privateTokenChallenges: 1 });
  });

  it('rejects a repeated unknown parameter too', () => {
    expectRelayError(
      () => findPrivateTokenChallenge(`${EMULATOR_HEADER}, max-age=1, max-age=2`),
      RelayErrorCode.INVALID_CHALLENGE,
    );
  });

  it.each([
    ['challenge', `PrivateToken token-key="${TOKEN_KEY}", token-key-id="${TOKEN_KEY_ID}"`],
    ['token-key', `PrivateToken challenge="${CHALLENGE}", token-key-id="${TOKEN_KEY_ID}"`],
    ['token-key-id', `PrivateToken challenge="${CHALLENGE}", token-key="${TOKEN_KEY}"`],
  ])('rejects a challenge without %s', (missing, header) => {
    const error = expectRelayError(() => findPrivateTokenChallenge(header), RelayErrorCode.INVALID_CHALLENGE);
    expect(error.message).toContain(`missing parameter(s) ${missing}`);
  });

  it('treats an empty quoted value as missing', () => {
    const error = expectRelayError(
      () => findPrivateTokenChallenge(`PrivateToken challenge="", token-key="${TOKEN_KEY}", token-key-id="${TOKEN_KEY_ID}"`),
      RelayErrorCode.INVALID_CHALLENGE,
    );
    expect(error.message).toContain('missing parameter(s) challenge');
  });

  it('rejects a PrivateToken challenge in token68 form', () => {
    const error = expectRelayError(() => findPrivateTokenChallenge('PrivateToken abc=='), RelayErrorCode.INVALID_CHALLENGE);
    expect(error.message).toContain('missing parameter(s) challenge, token-key, token-key-id');
  });

  it('rejects a PrivateToken challenge with an unterminated quote', () => {
    const error = expectRelayError(
      () => findPrivateTokenChallenge(EMULATOR_HEADER.slice(0, -1)),
      RelayErrorCode.INVALID_CHALLENGE,
    );
    expect(error.message).toContain('unterminated quoted string');
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['only other schemes', 'Basic realm="x", Bearer'],
    ['a similar scheme name', 'PrivateTokens challenge="a", token-key="k", token-key-id="i"'],
    ['garbage', '\u0000\u00ff{}[]'],
    ['parameters without a scheme', 'challenge="a", token-key="k", token-key-id="i"'],
  ])('rejects a header with no PrivateToken challenge (%s)', (_label, header) => {
    const error = expectRelayError(() => findPrivateTokenChallenge(header), RelayErrorCode.INVALID_CHALLENGE);
    expect(error.message).toBe('WWW-Authenticate contains no PrivateToken challenge');
    expect(error.context).toMatchObject({ privateTokenChallenges: 0, problems: [] });
  });

  it('never echoes parameter values in the error', () => {
    const secretish = 'VALUE-THAT-MUST-NOT-APPEAR';
    const error = expectRelayError(
      () => findPrivateTokenChallenge(`PrivateToken challenge="${secretish}", challenge="${secretish}"`),
      RelayErrorCode.INVALID_CHALLENGE,
    );
    expect(error.message).not.toContain(secretish);
    expect(JSON.stringify(error.context)).not.toContain(secretish);
  });

  it('reports at most five problems', () => {
    const header = Array.from({ length: 20 }, () => 'PrivateToken x=1').join(', ');
    const error = expectRelayError(() => findPrivateTokenChallenge(header), RelayErrorCode.INVALID_CHALLENGE);
    expect(error.context['problems']).toHaveLength(5);
    expect(error.context['privateTokenChallenges']).toBe(20);
  });

  it('throws TypeError for a non-string', () => {
    expect(() => findPrivateTokenChallenge(null as unknown as string)).toThrow(TypeError);
  });
});

describe('robustness', () => {
  // 16× Node's default header limit; a quadratic scan of this would take minutes, a linear one milliseconds.
  const SIZE = 256 * 1024;
  const hostile: [string, string][] = [
    ['letters', 'a'.repeat(SIZE)],
    ['commas', ','.repeat(SIZE)],
    ['spaces', ' '.repeat(SIZE)],
    ['quotes', '"'.repeat(SIZE)],
    ['backslashes', '\\'.repeat(SIZE)],
    ['equals', '='.repeat(SIZE)],
    ['name=', 'a='.repeat(SIZE / 2)],
    ['name=,', 'a=,'.repeat(SIZE / 3)],
    ['many schemes', 'a, '.repeat(SIZE / 3)],
    ['many token68', 'a b, '.repeat(SIZE / 5)],
    ['scheme then spaces', `a${' '.repeat(SIZE)}b`],
    ['token68 then long tail', `A ${'b'.repeat(SIZE)} c`],
    ['unterminated quote', `PrivateToken challenge="${'x'.repeat(SIZE)}`],
    ['escaped quotes', `X a="${'\\"'.repeat(SIZE / 2)}`],
    ['repeated parameters', `PrivateToken ${'a=b, '.repeat(SIZE / 5)}`],
    ['many broken elements', 'X a=1 b, '.repeat(SIZE / 9)],
    ['quote-comma mix', '",'.repeat(SIZE / 2)],
    ['equals-quote mix', '="'.repeat(SIZE / 2)],
    ['long parameter name', `X ${'n'.repeat(SIZE)}=1`],
  ];

  // A super-linear parser would hit the test timeout here; speed itself is measured by the benchmark.
  it.each(hostile)('parses %s (256 KiB) without hanging', (_label, header) => {
    parseAuthenticateHeader(header);
    try {
      findPrivateTokenChallenge(header);
    } catch (error) {
      expect(error).toBeInstanceOf(RelayError);
    }
  });

  it('never throws anything but RelayError on random input', () => {
    // A small deterministic PRNG (mulberry32) so failures are reproducible.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const alphabet = ['a', 'Z', '0', '=', '"', '\\', ',', ' ', '\t', '-', '/', '+', '\u0000', '\u00e9', 'PrivateToken ', 'challenge', 'token-key', 'token-key-id'];
    for (let round = 0; round < 3_000; round += 1) {
      const length = Math.floor(random() * 40);
      const header = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const parsed = parseAuthenticateHeader(header);
      for (const challenge of parsed) {
        expect(challenge.scheme).toBe(challenge.scheme.toLowerCase());
        for (const name of Object.keys(challenge.params)) expect(name).toBe(name.toLowerCase());
      }
      try {
        const found = findPrivateTokenChallenge(header);
        expect(found.challenge && found.tokenKey && found.tokenKeyId).toBeTruthy();
      } catch (error) {
        expect(error).toBeInstanceOf(RelayError);
      }
    }
  });
});
