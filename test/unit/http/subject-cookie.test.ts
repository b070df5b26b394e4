import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SUBJECT_COOKIE_NAME, SubjectCookie } from '../../../src/http/subject-cookie.js';

const SECRET = 's'.repeat(32);

/** A new visitor's `Set-Cookie` and the `name=value` pair a browser sends back. */
function newVisitor(cookies: SubjectCookie) {
  const { subject, setCookie } = cookies.resolve(undefined, { create: true });
  return { subject: subject!, setCookie: setCookie!, pair: setCookie!.split(';', 1)[0]! };
}

describe('SubjectCookie', () => {
  it('gives a new visitor an id and a signed HttpOnly cookie, and recognises it on the way back', () => {
    const cookies = new SubjectCookie(SECRET, { secure: true });
    const visitor = newVisitor(cookies);
    expect(visitor.subject).toMatch(/^visitor:[0-9a-f-]{36}$/);
    expect(visitor.setCookie).toBe(`${visitor.pair}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure`);
    expect(visitor.pair.startsWith(`${SUBJECT_COOKIE_NAME}=`)).toBe(true);
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
    const [visitor, signature] = pair.slice(SUBJECT_COOKIE_NAME.length + 1).split('.') as [string, string];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const value of [
      `${randomUUID()}.${signature}`,
      `${visitor}.${flipped}`,
      `${visitor}.${signature}x`,
      `${visitor}.`,
      visitor,
      `${visitor.toUpperCase()}.${signature}`,
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

  it('refuses a secret shorter than 32 characters', () => {
    expect(() => new SubjectCookie('short')).toThrow(TypeError);
  });
});
