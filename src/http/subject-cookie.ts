import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** Name of the cookie that identifies anonymous visitors when it is not `Secure` (local development). */
export const SUBJECT_COOKIE_NAME = 'relay_sid';

/**
 * Default name of a `Secure` visitor cookie with `Path=/`. Browsers take a
 * `__Host-` cookie only from the host itself (Secure, no Domain, Path=/), so a
 * sibling subdomain cannot plant one for the victim to send.
 */
export const SECURE_SUBJECT_COOKIE_NAME = '__Host-relay_sid';

/** Cookie attributes of the anonymous-visitor cookie. */
export interface SubjectCookieOptions {
  /** Default {@link SECURE_SUBJECT_COOKIE_NAME} when `secure` and `path` is `/`, else {@link SUBJECT_COOKIE_NAME}. */
  readonly name?: string;
  /** `Secure` attribute; default true unless `NODE_ENV` is `development` or `test`. */
  readonly secure?: boolean;
  /** Default `Lax`. */
  readonly sameSite?: 'Strict' | 'Lax' | 'None';
  /** Lifetime in the browser and, from the issue time signed into the value, on the server. Default 30 days. */
  readonly maxAgeSeconds?: number;
  /** Default `/`. */
  readonly path?: string;
}

/** An HTTP token (RFC 9110), which is what a cookie name must be. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VISITOR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISSUE_TIME = /^[0-9]{1,12}$/;
const DEFAULT_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;
/** Clock skew between instances tolerated in an issue time that lies ahead. */
const ALLOWED_CLOCK_SKEW_SECONDS = 60;

/**
 * Signs and verifies the anonymous-visitor cookie
 * (`<visitor uuid>.<issued at, Unix seconds>.<HMAC-SHA256>`). Instances sharing
 * a database share the secret, so each accepts the others' cookies.
 *
 * A cookie is refused once it is older than `maxAgeSeconds`, so a copied value
 * stops working when the browser's own copy would have expired. The visitor id
 * is not rotated before then: it owns the visitor's claims, which a new id would
 * orphan. A request carrying the cookie name more than once (a sibling subdomain
 * can plant a second one under a longer path, which browsers send first) gets no
 * subject from any of them, as if it carried an invalid one.
 */
export class SubjectCookie {
  private readonly name: string;
  private readonly secure: boolean;
  private readonly path: string;
  private readonly maxAgeSeconds: number;

  constructor(
    private readonly secret: string,
    private readonly options: SubjectCookieOptions = {},
  ) {
    if (typeof secret !== 'string' || secret.length < 32) {
      throw new TypeError('the cookie secret must be a string of at least 32 characters');
    }
    const [problem] = subjectCookieProblems(options);
    if (problem !== undefined) throw new TypeError(problem);
    this.secure = isSecureCookie(options);
    this.path = options.path ?? '/';
    this.maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
    this.name = options.name ?? (this.secure && this.path === '/' ? SECURE_SUBJECT_COOKIE_NAME : SUBJECT_COOKIE_NAME);
  }

  /**
   * The visitor id carried by a valid cookie in `cookieHeader`; with
   * `create`, a new id and the `Set-Cookie` value to send when there is none.
   * Several cookies of the name count as none: which one is the host's own
   * cannot be told, and picking one would hand the visitor to whoever planted it.
   * (The new cookie replaces the host's own copy; a planted one stays, so that
   * visitor keeps getting new ids until it is cleared: no access, but no theft.)
   */
  resolve(cookieHeader: string | string[] | undefined, options: { create: boolean }): { subject?: string; setCookie?: string } {
    const values = readCookies(cookieHeader, this.name);
    const visitor = values.length === 1 ? this.verify(values[0]!) : undefined;
    if (visitor) return { subject: `visitor:${visitor}` };
    if (!options.create) return {};
    const fresh = randomUUID();
    const issuedAt = String(nowSeconds());
    return { subject: `visitor:${fresh}`, setCookie: this.serialize(`${fresh}.${issuedAt}.${this.sign(fresh, issuedAt)}`) };
  }

  /** The visitor id of a well-formed, authentic and unexpired value. */
  private verify(value: string): string | undefined {
    const [visitor, issuedAt, signature, ...rest] = value.split('.');
    if (rest.length > 0 || !visitor || !issuedAt || signature === undefined) return undefined;
    if (!VISITOR_ID.test(visitor) || !ISSUE_TIME.test(issuedAt)) return undefined;
    const age = nowSeconds() - Number(issuedAt);
    if (age > this.maxAgeSeconds || age < -ALLOWED_CLOCK_SKEW_SECONDS) return undefined;
    const given = Buffer.from(signature);
    const expected = Buffer.from(this.sign(visitor, issuedAt));
    return given.length === expected.length && timingSafeEqual(given, expected) ? visitor : undefined;
  }

  private sign(visitor: string, issuedAt: string): string {
    return createHmac('sha256', this.secret).update(`relay-subject:${visitor}:${issuedAt}`).digest('base64url');
  }

  private serialize(value: string): string {
    return [
      `${this.name}=${value}`,
      `Path=${this.path}`,
      `Max-Age=${this.maxAgeSeconds}`,
      'HttpOnly',
      `SameSite=${this.options.sameSite ?? 'Lax'}`,
      ...(this.secure ? ['Secure'] : []),
    ].join('; ');
  }
}

/** The `Secure` attribute: as given, else on except in development and tests. */
function isSecureCookie(options: SubjectCookieOptions): boolean {
  return options.secure ?? !['development', 'test'].includes(process.env.NODE_ENV ?? '');
}

/**
 * What is wrong with these cookie attributes, one line each (empty when
 * nothing is), so start-up can report them with every other configuration
 * problem before anything is opened.
 */
export function subjectCookieProblems(options: SubjectCookieOptions): string[] {
  const problems: string[] = [];
  if (options.name !== undefined && !COOKIE_NAME.test(options.name)) problems.push('a cookie name must be a non-empty token');
  if (options.sameSite !== undefined && !['Strict', 'Lax', 'None'].includes(options.sameSite)) {
    problems.push('sameSite must be Strict, Lax or None');
  }
  if (options.maxAgeSeconds !== undefined && !(Number.isSafeInteger(options.maxAgeSeconds) && options.maxAgeSeconds > 0)) {
    problems.push('maxAgeSeconds must be a positive whole number');
  }
  if (options.path !== undefined && !options.path.startsWith('/')) problems.push('path must start with /');
  const secure = isSecureCookie(options);
  const name = options.name ?? '';
  if (name.startsWith('__Host-') && (!secure || (options.path ?? '/') !== '/')) {
    problems.push('a __Host- cookie must be Secure with path /');
  }
  return problems;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Every value of cookie `name` in a `Cookie` header. Tolerates junk; an oversized header has none. */
function readCookies(header: string | string[] | undefined, name: string): string[] {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text || text.length > 16_384) return [];
  const values: string[] = [];
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}
