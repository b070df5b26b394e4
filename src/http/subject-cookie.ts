import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** Name of the cookie that identifies anonymous visitors. */
export const SUBJECT_COOKIE_NAME = 'relay_sid';

/** Cookie attributes of the anonymous-visitor cookie. */
export interface SubjectCookieOptions {
  /** Default {@link SUBJECT_COOKIE_NAME}. */
  readonly name?: string;
  /** `Secure` attribute; default true unless `NODE_ENV` is `development` or `test`. */
  readonly secure?: boolean;
  /** Default `Lax`. */
  readonly sameSite?: 'Strict' | 'Lax' | 'None';
  /** Default 30 days. */
  readonly maxAgeSeconds?: number;
  /** Default `/`. */
  readonly path?: string;
}

const VISITOR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Signs and verifies the anonymous-visitor cookie (`<visitor uuid>.<HMAC-SHA256>`).
 * Instances sharing a database share the secret, so each accepts the others' cookies.
 */
export class SubjectCookie {
  private readonly name: string;

  constructor(
    private readonly secret: string,
    private readonly options: SubjectCookieOptions = {},
  ) {
    if (typeof secret !== 'string' || secret.length < 32) {
      throw new TypeError('the cookie secret must be a string of at least 32 characters');
    }
    this.name = options.name ?? SUBJECT_COOKIE_NAME;
  }

  /**
   * The visitor id carried by a valid cookie in `cookieHeader`; with
   * `create`, a new id and the `Set-Cookie` value to send when there is none.
   */
  resolve(cookieHeader: string | string[] | undefined, options: { create: boolean }): { subject?: string; setCookie?: string } {
    const value = readCookie(cookieHeader, this.name);
    const subject = value === undefined ? undefined : this.verify(value);
    if (subject) return { subject: `visitor:${subject}` };
    if (!options.create) return {};
    const visitor = randomUUID();
    return { subject: `visitor:${visitor}`, setCookie: this.serialize(`${visitor}.${this.sign(visitor)}`) };
  }

  private verify(value: string): string | undefined {
    const dot = value.indexOf('.');
    if (dot < 0) return undefined;
    const visitor = value.slice(0, dot);
    if (!VISITOR_ID.test(visitor)) return undefined;
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(this.sign(visitor));
    return given.length === expected.length && timingSafeEqual(given, expected) ? visitor : undefined;
  }

  private sign(visitor: string): string {
    return createHmac('sha256', this.secret).update(`relay-subject:${visitor}`).digest('base64url');
  }

  private serialize(value: string): string {
    const { secure = !['development', 'test'].includes(process.env.NODE_ENV ?? ''), sameSite = 'Lax' } = this.options;
    const maxAge = this.options.maxAgeSeconds ?? 30 * 24 * 60 * 60;
    return [
      `${this.name}=${value}`,
      `Path=${this.options.path ?? '/'}`,
      `Max-Age=${maxAge}`,
      'HttpOnly',
      `SameSite=${sameSite}`,
      ...(secure ? ['Secure'] : []),
    ].join('; ');
  }
}

/** The value of cookie `name` in a `Cookie` header, or undefined. Tolerates junk. */
function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text || text.length > 16_384) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
