/**
 * `WWW-Authenticate` parsing (RFC 9110, section 11, with the refinements of Persona's Relay protocol).
 *
 * The parser is a single forward scan: every character is looked at a bounded number of times, so any
 * input (hostile or broken) is handled in linear time. It never throws on a string: a challenge it
 * cannot make sense of is returned with `invalidReason` set, and scanning resumes at the next
 * top-level comma.
 */
import { RelayError, RelayErrorCode } from '../errors.js';

/** One challenge of a `WWW-Authenticate` field. */
export interface AuthChallenge {
  /** The auth scheme, lower-cased (schemes are case-insensitive). */
  scheme: string;
  /** Parameters by lower-cased name; values unquoted and unescaped. A null-prototype object. */
  params: Record<string, string>;
  /** The token68 form (`Basic dXNlcjpwYXNz`), when the challenge uses it instead of parameters. */
  token68?: string;
  /**
   * Set when the challenge must not be used: a repeated parameter, an unterminated quoted
   * string, stray text. Names the problem, never a parameter value.
   */
  invalidReason?: string;
}

/**
 * What a Privacy Pass is built from: the three values of Persona's `PrivateToken` challenge, verbatim,
 * whether they came from a relay's `WWW-Authenticate` header ({@link findPrivateTokenChallenge}) or
 * from Persona's challenge endpoint (`PersonaApi.requestChallenge`).
 */
export interface ChallengeMaterial {
  /** base64url of the challenge JSON. */
  readonly challenge: string;
  /** base64url of the DER SubjectPublicKeyInfo of the blind-signing key. */
  readonly tokenKey: string;
  /** Opaque key identifier, used verbatim. */
  readonly tokenKeyId: string;
}

const PRIVATE_TOKEN_SCHEME = 'privatetoken';
const PRIVATE_TOKEN_PARAMS = ['challenge', 'token-key', 'token-key-id'] as const;
/** Keeps the error readable and bounded when a header carries many broken challenges. */
const MAX_REPORTED_PROBLEMS = 5;
/** Parameter names are header-controlled; only a bounded prefix goes into a reason. */
const MAX_NAME_IN_REASON = 40;

/**
 * Parses a `WWW-Authenticate` value (several fields joined with `", "`, as Node does) into its challenges.
 *
 * - Scheme and parameter names are lower-cased.
 * - Values may be tokens or quoted strings (`\x` stands for `x`); leniently, an unquoted value runs to
 *   the next comma or space, so unquoted padded base64url is accepted.
 * - After a comma, a name followed by `=` continues the current challenge; any other name starts a new
 *   one.
 * - A challenge that repeats a parameter, or contains text the grammar does not allow, is returned with
 *   `invalidReason` set.
 *
 * @throws TypeError when `header` is not a string (never anything else)
 *
 * @example
 * ```ts
 * parseAuthenticateHeader('Basic realm="x", PrivateToken challenge=abc, token-key="k"');
 * // [ { scheme: 'basic', params: { realm: 'x' } },
 * //   { scheme: 'privatetoken', params: { challenge: 'abc', 'token-key': 'k' } } ]
 * ```
 */
export function parseAuthenticateHeader(header: string): AuthChallenge[] {
  if (typeof header !== 'string') throw new TypeError('parseAuthenticateHeader expects a string');
  return new ChallengeListParser(header).parse();
}

/**
 * Finds the first `PrivateToken` challenge that has `challenge`, `token-key` and `token-key-id`
 * (non-empty) and repeats no parameter. Other schemes and unknown parameters
 * (`max-age`, …) are ignored. The values are returned verbatim; decoding them is the caller's next step.
 *
 * @throws RelayError `INVALID_CHALLENGE` when there is no usable `PrivateToken` challenge; the message
 *   and `context.problems` say why (missing or repeated parameter names, never values)
 */
export function findPrivateTokenChallenge(header: string): ChallengeMaterial {
  if (typeof header !== 'string') throw new TypeError('findPrivateTokenChallenge expects a string');
  const challenges = parseAuthenticateHeader(header);
  const problems: string[] = [];
  let privateTokenChallenges = 0;
  for (const candidate of challenges) {
    if (candidate.scheme !== PRIVATE_TOKEN_SCHEME) continue;
    privateTokenChallenges += 1;
    const problem = candidate.invalidReason ?? describeMissingParams(candidate);
    if (problem === undefined) {
      return {
        challenge: candidate.params['challenge'],
        tokenKey: candidate.params['token-key'],
        tokenKeyId: candidate.params['token-key-id'],
      };
    }
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(problem);
  }
  const message =
    privateTokenChallenges === 0
      ? 'WWW-Authenticate contains no PrivateToken challenge'
      : `WWW-Authenticate contains no usable PrivateToken challenge: ${problems.join('; ')}`;
  throw new RelayError(RelayErrorCode.INVALID_CHALLENGE, message, {
    context: { challenges: challenges.length, privateTokenChallenges, problems },
  });
}

function describeMissingParams(challenge: AuthChallenge): string | undefined {
  const missing = PRIVATE_TOKEN_PARAMS.filter((name) => !challenge.params[name]);
  return missing.length === 0 ? undefined : `missing parameter(s) ${missing.join(', ')}`;
}

/** Character codes of `tchar` (RFC 9110, section 5.6.2) beyond letters and digits. */
const TOKEN_SYMBOLS = codesOf("!#$%&'*+-.^_`|~");
/** Character codes of `token68` (RFC 9110, section 11.2) beyond letters and digits; `=` padding is handled apart. */
const TOKEN68_SYMBOLS = codesOf('-._~+/');

function codesOf(chars: string): ReadonlySet<number> {
  return new Set(Array.from(chars, (char) => char.charCodeAt(0)));
}

function isAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isTokenChar(code: number): boolean {
  return isAlphanumeric(code) || TOKEN_SYMBOLS.has(code);
}

function isToken68Char(code: number): boolean {
  return isAlphanumeric(code) || TOKEN68_SYMBOLS.has(code);
}

function isWhitespace(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

function describeName(name: string): string {
  return name.length <= MAX_NAME_IN_REASON ? `"${name}"` : `"${name.slice(0, MAX_NAME_IN_REASON)}…"`;
}

/**
 * Scans the comma-separated list element by element. An "element" is the text between two top-level
 * commas: a new challenge (scheme plus its first item) or one more parameter of the current challenge.
 */
class ChallengeListParser {
  private pos = 0;
  private current: AuthChallenge | undefined;
  private readonly challenges: AuthChallenge[] = [];

  constructor(private readonly text: string) {}

  parse(): AuthChallenge[] {
    for (;;) {
      this.skipWhitespaceAndCommas();
      if (this.pos >= this.text.length) return this.challenges;
      this.parseElement();
    }
  }

  private parseElement(): void {
    const name = this.readToken();
    if (name === '') {
      // Stray text at an element start most likely belongs to the challenge being read.
      this.invalidateCurrent('contains text that is neither a scheme nor a parameter');
      this.skipRestOfElement();
      return;
    }
    const afterName = this.pos;
    this.skipWhitespace();
    if (this.text[this.pos] === '=') {
      this.pos += 1;
      // A parameter before any scheme belongs to nothing: read it (to step over quoted commas) and drop it.
      this.parseValueAndFinishElement(name);
      return;
    }
    this.current = { scheme: name.toLowerCase(), params: Object.create(null) as Record<string, string> };
    this.challenges.push(this.current);
    if (this.atElementEnd()) return;
    if (this.pos === afterName) {
      this.invalidateCurrent('has no space after the scheme');
      this.skipRestOfElement();
      return;
    }
    if (this.tryToken68()) return;
    this.parseFirstParam();
  }

  /** `scheme 1*SP token68`: only when nothing but `=` padding and spaces follow up to the element end. */
  private tryToken68(): boolean {
    const start = this.pos;
    let end = start;
    while (end < this.text.length && isToken68Char(this.text.charCodeAt(end))) end += 1;
    if (end === start) return false;
    while (this.text[end] === '=') end += 1;
    let next = end;
    while (isWhitespace(this.text[next])) next += 1;
    if (next < this.text.length && this.text[next] !== ',') return false;
    (this.current as AuthChallenge).token68 = this.text.slice(start, end);
    this.pos = next;
    return true;
  }

  private parseFirstParam(): void {
    const name = this.readToken();
    this.skipWhitespace();
    if (name === '' || this.text[this.pos] !== '=') {
      this.invalidateCurrent('has text after the scheme that is neither token68 nor a parameter');
      this.skipRestOfElement();
      return;
    }
    this.pos += 1;
    this.parseValueAndFinishElement(name);
  }

  private parseValueAndFinishElement(name: string): void {
    this.skipWhitespace();
    const value = this.text[this.pos] === '"' ? this.readQuotedString() : this.readUnquotedValue();
    if (value === undefined) {
      this.skipRestOfElement();
      return;
    }
    this.storeParam(name.toLowerCase(), value);
    this.skipWhitespace();
    if (!this.atElementEnd()) {
      this.invalidateCurrent(`has unexpected text after parameter ${describeName(name.toLowerCase())}`);
      this.skipRestOfElement();
    }
  }

  private storeParam(name: string, value: string): void {
    const challenge = this.current;
    if (challenge === undefined) return;
    if (challenge.token68 !== undefined) {
      this.invalidateCurrent('mixes token68 and parameters');
    } else if (Object.hasOwn(challenge.params, name)) {
      this.invalidateCurrent(`repeats parameter ${describeName(name)}`);
    } else {
      challenge.params[name] = value;
    }
  }

  /** quoted-string with `\` escaping the next character; `undefined` (and the challenge invalid) if unterminated. */
  private readQuotedString(): string | undefined {
    const parts: string[] = [];
    let chunkStart = this.pos + 1;
    let at = chunkStart;
    while (at < this.text.length) {
      const char = this.text[at];
      if (char === '"') {
        parts.push(this.text.slice(chunkStart, at));
        this.pos = at + 1;
        return parts.join('');
      }
      if (char === '\\' && at + 1 < this.text.length) {
        parts.push(this.text.slice(chunkStart, at));
        chunkStart = at + 1; // the escaped character starts the next chunk
        at += 2;
      } else {
        at += 1;
      }
    }
    this.pos = this.text.length;
    this.invalidateCurrent('has an unterminated quoted string');
    return undefined;
  }

  /** Lenient: anything up to the next comma or whitespace, so `abc==` is accepted. */
  private readUnquotedValue(): string | undefined {
    const start = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] !== ',' && !isWhitespace(this.text[this.pos])) {
      this.pos += 1;
    }
    if (this.pos === start) {
      this.invalidateCurrent('has a parameter without a value');
      return undefined;
    }
    return this.text.slice(start, this.pos);
  }

  private readToken(): string {
    const start = this.pos;
    while (this.pos < this.text.length && isTokenChar(this.text.charCodeAt(this.pos))) this.pos += 1;
    return this.text.slice(start, this.pos);
  }

  private skipWhitespace(): void {
    while (isWhitespace(this.text[this.pos])) this.pos += 1;
  }

  private skipWhitespaceAndCommas(): void {
    while (this.text[this.pos] === ',' || isWhitespace(this.text[this.pos])) this.pos += 1;
  }

  private atElementEnd(): boolean {
    return this.pos >= this.text.length || this.text[this.pos] === ',';
  }

  /** Resynchronises at the next top-level comma, stepping over quoted strings so their commas do not count. */
  private skipRestOfElement(): void {
    while (this.pos < this.text.length && this.text[this.pos] !== ',') {
      if (this.text[this.pos] !== '"') {
        this.pos += 1;
        continue;
      }
      this.pos += 1;
      while (this.pos < this.text.length && this.text[this.pos] !== '"') {
        this.pos += this.text[this.pos] === '\\' ? 2 : 1;
      }
      this.pos += 1;
    }
  }

  /** The first reason found is kept; later ones are consequences of it. */
  private invalidateCurrent(reason: string): void {
    if (this.current !== undefined && this.current.invalidReason === undefined) this.current.invalidReason = reason;
  }
}
