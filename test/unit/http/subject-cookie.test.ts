import { createHmac, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SECURE_SUBJECT_COOKIE_NAME, SUBJECT_COOKIE_NAME, SubjectCookie, subjectCookieProblems } from '../../../src/http/subject-cookie.js';

const SECRET = 's'.repeat(32);

/** A new visitor's `Set-Cookie` and the `name=value` pair a browser sends back. */
function newVisitor(cookies: SubjectCookie) {
  const { subject, setCookie } = cookies.resolve(undefined, { create: true });
  return { subject: subject!, setCookie: setCookie!, pair: setCookie!.split(';', 1)[0]! };
}

describe('SubjectCookie', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives a new visitor an id and a signed HttpOnly __Host- cookie, and recognises it on the way back', () => {
    const cookies = new SubjectCookie(SECRET, { secure: true });
    const visitor = newVisitor(cookies);
    expect(visitor.subject).toMatch(/^visitor:[0-9a-f-]{36}$/);
    expect(visitor.setCookie).toBe(`${visitor.pair}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure`);
    expect(visitor.pair).toMatch(new RegExp(`^${SECURE_SUBJECT_COOKIE_NAME}=[0-9a-f-]{36}\\.[0-9]+\\.[A-Za-z0-9_-]{43}$`));
    expect(cookies.resolve(`theme=dark; ${visitor.pair}; lang=de`, { create: true })).toEqual({ subject: visitor.subject });
  });

  it('is accepted by another instance with the same secret (several app instances, one database)', () => {
    const visitor = newVisitor(new SubjectCookie(SECRET));
    expect(new SubjectCookie(SECRET).resolve(visitor.pair, { create: false })).toEqual({ subject: visitor.subject });
  });

  it('is refused under another secret', () => {
    const visitor = newVisitor(new SubjectCookie(SECRET));
    expect(new SubjectCookie('t'.repeat(32)).resolve(visitor.pair, { create: false })).toEqual({});
  });

  it('refuses tampered values: another visitor id, a changed or missing signature, junk', () => {
    const cookies = new SubjectCookie(SECRET);
    const { pair } = newVisitor(cookies);
    const [visitor, issuedAt, signature] = pair.slice(SUBJECT_COOKIE_NAME.length + 1).split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const value of [
      `${randomUUID()}.${issuedAt}.${signature}`,
      `${visitor}.${Number(issuedAt) + 1}.${signature}`,
      `${visitor}.${issuedAt}.${flipped}`,
      `${visitor}.${issuedAt}.${signature}x`,
      `${visitor}.${issuedAt}.${signature}.x`,
      `${visitor}.${issuedAt}.`,
      `${visitor}.${signature}`,
      visitor,
      `${visitor.toUpperCase()}.${issuedAt}.${signature}`,
      '',
      '.'.repeat(50),
    ]) {
      expect(cookies.resolve(`${SUBJECT_COOKIE_NAME}=${value}`, { create: false }), value).toEqual({});
    }
  });

  it('issues a fresh visitor instead of a refused cookie only when asked to create one', () => {
    const cookies = new SubjectCookie(SECRET);
    const tampered = `${SUBJECT_COOKIE_NAME}=${randomUUID()}.AAAA`;
    expect(cookies.resolve(tampered, { create: false })).toEqual({});
    const replaced = cookies.resolve(tampered, { create: true });
    expect(replaced.subject).toMatch(/^visitor:/);
    expect(replaced.setCookie).toMatch(new RegExp(`^${SUBJECT_COOKIE_NAME}=`));
  });

  it('reads the cookie from an array header and ignores oversized headers', () => {
    const cookies = new SubjectCookie(SECRET);
    const visitor = newVisitor(cookies);
    expect(cookies.resolve(['a=1', visitor.pair], { create: false })).toEqual({ subject: visitor.subject });
    expect(cookies.resolve(`${'x'.repeat(17_000)}; ${visitor.pair}`, { create: false })).toEqual({});
  });

  it('honours its options: name, path, max age, SameSite, no Secure', () => {
    const cookies = new SubjectCookie(SECRET, { name: 'sid', path: '/app', maxAgeSeconds: 60, sameSite: 'Strict', secure: false });
    const { setCookie, pair, subject } = newVisitor(cookies);
    expect(setCookie).toBe(`${pair}; Path=/app; Max-Age=60; HttpOnly; SameSite=Strict`);
    expect(cookies.resolve(pair, { create: false })).toEqual({ subject });
    expect(new SubjectCookie(SECRET).resolve(pair.replace(/^sid=/, `${SUBJECT_COOKIE_NAME}=`), { create: false })).toEqual({ subject });
  });

  it('keeps refusing the old format without an issue time (<visitor>.<HMAC of the visitor alone>)', () => {
    const visitor = randomUUID();
    const oldSignature = createHmac('sha256', SECRET).update(`relay-subject:${visitor}`).digest('base64url');
    expect(new SubjectCookie(SECRET).resolve(`${SUBJECT_COOKIE_NAME}=${visitor}.${oldSignature}`, { create: false })).toEqual({});
  });

  // Attack: a copied cookie used to work forever (no issue time under the signature, no server-side age).
  it('refuses a cookie older than maxAgeSeconds, and one issued in the future', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const cookies = new SubjectCookie(SECRET, { maxAgeSeconds: 3600 });
    const { pair, subject } = newVisitor(cookies);
    vi.advanceTimersByTime(3600_000);
    expect(cookies.resolve(pair, { create: false })).toEqual({ subject });
    vi.advanceTimersByTime(1000);
    expect(cookies.resolve(pair, { create: false })).toEqual({});
    vi.setSystemTime(new Date('2029-12-31T23:00:00Z'));
    expect(cookies.resolve(pair, { create: false })).toEqual({});
  });

  // Attack (cookie tossing): a sibling subdomain plants `relay_sid=<its own visitor>` under a longer path, which the
  // browser sends first, so the victim's verification would land on the attacker's visitor.
  it('takes no subject from a request carrying the cookie twice: a new visitor when creating', () => {
    const cookies = new SubjectCookie(SECRET);
    const victim = newVisitor(cookies);
    const attacker = newVisitor(cookies);
    for (const header of [`${attacker.pair}; ${victim.pair}`, [victim.pair, attacker.pair], `${victim.pair}; ${victim.pair}`, `${victim.pair}; ${SUBJECT_COOKIE_NAME}=junk`]) {
      expect(cookies.resolve(header, { create: false })).toEqual({});
      const created = cookies.resolve(header, { create: true });
      expect([victim.subject, attacker.subject]).not.toContain(created.subject);
      expect(created.setCookie).toMatch(new RegExp(`^${SUBJECT_COOKIE_NAME}=`));
    }
  });

  it('names a Secure cookie with path / __Host-relay_sid, any other relay_sid', () => {
    expect(newVisitor(new SubjectCookie(SECRET, { secure: true })).pair.startsWith(`${SECURE_SUBJECT_COOKIE_NAME}=`)).toBe(true);
    expect(newVisitor(new SubjectCookie(SECRET, { secure: true, path: '/app' })).pair.startsWith(`${SUBJECT_COOKIE_NAME}=`)).toBe(true);
    expect(newVisitor(new SubjectCookie(SECRET, { secure: false })).pair.startsWith(`${SUBJECT_COOKIE_NAME}=`)).toBe(true);
  });

  it('refuses a __Host- name the browser would drop (not Secure, or a path other than /)', () => {
    expect(() => new SubjectCookie(SECRET, { name: '__Host-x', secure: false })).toThrow(/__Host-/);
    expect(() => new SubjectCookie(SECRET, { name: '__Host-x', secure: true, path: '/app' })).toThrow(/__Host-/);
  });

  it('lists every attribute a browser would refuse or misread, and none of valid ones', () => {
    expect(
      subjectCookieProblems({ name: 'a b', sameSite: 'lax' as 'Lax', maxAgeSeconds: 1.5, path: 'app', secure: true }),
    ).toEqual([
      'a cookie name must be a non-empty token',
      'sameSite must be Strict, Lax or None',
      'maxAgeSeconds must be a positive whole number',
      'path must start with /',
    ]);
    expect(subjectCookieProblems({ name: 'sid', sameSite: 'None', maxAgeSeconds: 60, path: '/app', secure: true })).toEqual([]);
    expect(() => new SubjectCookie(SECRET, { maxAgeSeconds: 0 })).toThrow(/maxAgeSeconds/);
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(() => new SubjectCookie('short')).toThrow(TypeError);
  });
});
